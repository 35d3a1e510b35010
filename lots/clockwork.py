"""Work the clock process does for lots on each tick (see auction_site/ticks.py).

``tick(now) -> {"opened": [round ids]}``: announced rounds whose ``starts_at`` has come are opened.
Idempotent and safe to run twice at once (each round is re-checked under its row lock); suspended and
withdrawn rounds are never opened. Closing is the bidding app's clock; deposits are the escrow app's.
"""

from datetime import datetime

from lots.services import open_due_rounds


def tick(now: datetime) -> dict:
    opened = open_due_rounds(now)
    return {"opened": opened} if opened else {}
