"""Work the clock process does for lots on each tick (see auction_site/ticks.py).

- ``tick(now) -> {"opened": [round ids]}``: announced rounds whose ``starts_at`` has come are opened.
- ``follow_ups(now) -> {"reauction"|"selloff": [round ids]}``: what follows a failed or defaulted
  round (lots.followups; A24, A26, A37), run after bidding's closing tick.

Idempotent and safe to run twice at once (each round is re-checked under its row lock); suspended and
withdrawn rounds are never opened. Closing is the bidding app's clock; deposits are the escrow app's.
"""

from datetime import datetime

from lots import followups
from lots.services import open_due_rounds


def tick(now: datetime) -> dict:
    opened = open_due_rounds(now)
    return {"opened": opened} if opened else {}


def follow_ups(now: datetime) -> dict:
    prepared = followups.tick(now)
    return {"prepared": prepared} if prepared else {}
