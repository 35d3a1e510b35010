"""Work the clock process does for this app on each tick (see auction_site/ticks.py)."""

from datetime import datetime


def tick(now: datetime) -> dict:
    return {}
