"""What the clock process does on each tick. Each app owns its `clockwork.tick(now) -> dict`.

Every tick is idempotent and safe to run twice at once; a late tick never changes an outcome.
Order matters: rounds open/close before deposits are released and documents generated.
"""

from datetime import datetime
from importlib import import_module

from auction_site import clock

TICKS = [
    "lots.clockwork.tick",
    "bidding.clockwork.tick",
    "lots.clockwork.follow_ups",
    "valuation.clockwork.tick",
    "escrow.clockwork.tick",
    "escrow.bank.clockwork.tick",
    "transparency.clockwork.tick",
    "settlement.clockwork.tick",
    "avm.clockwork.tick",
    "following.clockwork.tick",  # time-based notices (reminders, 5 minutes left, balance due), outbid, view counts
    "notifications.clockwork.tick",  # last: sends what every tick before wrote to the outbox
]


def run_all(now: datetime | None = None) -> dict[str, dict]:
    now = now or clock.now()
    report: dict[str, dict] = {}
    for dotted in TICKS:
        module, func = dotted.rsplit(".", 1)
        report[module] = getattr(import_module(module), func)(now) or {}
    return report
