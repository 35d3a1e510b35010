"""Work the clock process does for this app on each tick (see auction_site/ticks.py).

Idempotent and safe to run twice at once: each step locks its rows (skip_locked) and re-checks the state;
outcomes follow the recorded deadlines, so a late tick changes nothing. The outbox is drained last, outside any
transaction: inquiries to HTTP platforms and e-mails not yet sent (or due again after a failed attempt).
"""

from datetime import datetime

from valuation import services


def tick(now: datetime) -> dict:
    report = services.process_deadlines(now)
    report["fees_awarded"] = services.award_fees_for_sold_rounds()
    report.update(services.drain_outbox(now))
    return report
