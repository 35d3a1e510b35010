"""Every legal deadline of a case, lot and round, computed in one place ([A] 2016, [B] 2018).

Pure functions of the facts (no database): the judge's desk (escrow.desk), the party-facing pages and
the rules modules of lots, valuation and escrow all take their deadlines from here, so a duration is
written once. Durations are legal values, not settings.

- ``price_due_by(seized_at)``                 B1: the reference price within 30 days of the seizure
- ``sale_due_by(fixed_at)``                   B30: the sale started within 10 days of the price
- ``publishable_from(parties_notified_at)``   A16: the announcement at least 3 days after the parties' notice
- ``min_notice(category, round_number)``      A12/A26: days between the announcement and the opening
- ``latest_notice_at(...)`` / ``latest_publication_at(...)``  A16/A12: the last moment to notify / publish
  for a round to open at its start
- ``earliest_start(...)``                     A16 + A12/A26: the first start time that passes both
- ``release_due_by(closed_at)``               A23: the losers' deposits within 24 hours of the close
- ``balance_due_by(closed_at, days)``         A25: the buyer's balance, by the announced number of days
- ``resume_due_by(cause_ended_at)``           A28: the round resumed within 5 days of the end of the cause
- ``Deadline`` and ``order_for_desk``         one row of a to-do list and its order (newest risk first)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

# B1: the reference price is fixed within 30 days of the seizure.
FIX_WITHIN_AFTER_SEIZURE = timedelta(days=30)
# B30: the sale starts within 10 days of the reference price being fixed.
SALE_START_WITHIN = timedelta(days=10)
# A16: the parties are told at least 3 days before the announcement.
PARTY_NOTICE_BEFORE_ANNOUNCEMENT = timedelta(days=3)
# A23: every deposit but the winner's goes back within 24 hours of the close.
RELEASE_WITHIN = timedelta(hours=24)
# A25: the balance is due by the deadline of the announcement (typically 10 days).
DEFAULT_BALANCE_DAYS = 10
# A28: a suspended round resumes within 5 days once the cause ends.
RESUME_WITHIN = timedelta(days=5)

REAL_ESTATE_LIKE = {"real_estate", "equity", "other"}


def price_due_by(seized_at: datetime | None) -> datetime | None:
    """B1: the last moment to fix the reference price (None when the seizure date is unknown)."""
    return seized_at + FIX_WITHIN_AFTER_SEIZURE if seized_at else None


def sale_due_by(fixed_at: datetime | None) -> datetime | None:
    """B30: the last moment to start the sale (publish the first announcement) after the price was fixed."""
    return fixed_at + SALE_START_WITHIN if fixed_at else None


def publishable_from(parties_notified_at: datetime) -> datetime:
    """A16: the earliest moment the announcement may be published after the parties were notified."""
    return parties_notified_at + PARTY_NOTICE_BEFORE_ANNOUNCEMENT


def min_notice(category: str, round_number: int) -> timedelta:
    """A12: movables 15 days, real estate and other property rights 30; A26: a re-auction 7 / 15 days."""
    real_estate_like = category in REAL_ESTATE_LIKE
    if round_number == 1:
        return timedelta(days=30 if real_estate_like else 15)
    return timedelta(days=15 if real_estate_like else 7)


def latest_publication_at(category: str, round_number: int, starts_at: datetime) -> datetime:
    """A12/A26: the last moment to publish for bidding to open at `starts_at`."""
    return starts_at - min_notice(category, round_number)


def latest_notice_at(category: str, round_number: int, starts_at: datetime) -> datetime:
    """A16 + A12/A26: the last moment to notify the parties for the round to open at `starts_at`."""
    return latest_publication_at(category, round_number, starts_at) - PARTY_NOTICE_BEFORE_ANNOUNCEMENT


def earliest_start(category: str, round_number: int, now: datetime, parties_notified_at: datetime | None = None) -> datetime:
    """The first start time that passes A16 (publication 3 days after the parties' notice, which, when not
    yet given, is given now) and A12/A26 (the notice period after publication)."""
    notified = parties_notified_at or now
    publish_at = max(now, publishable_from(notified))
    return publish_at + min_notice(category, round_number)


def release_due_by(closed_at: datetime) -> datetime:
    """A23: the losing bidders' deposits are released within 24 hours of the close."""
    return closed_at + RELEASE_WITHIN


def balance_due_by(closed_at: datetime, days: int = DEFAULT_BALANCE_DAYS) -> datetime:
    """A25: the buyer pays the balance within the days the announcement set."""
    return closed_at + timedelta(days=days)


def resume_due_by(cause_ended_at: datetime) -> datetime:
    """A28: the round resumes within 5 days once the cause of the suspension ended."""
    return cause_ended_at + RESUME_WITHIN


# ---------------------------------------------------------------------------------------- to-do rows


@dataclass(frozen=True)
class Deadline:
    """One duty of the court with its legal deadline: a row of the judge's desk or a party's page."""

    article: str  # "B1", "B30", "A16", "A23", "A25", "A28"
    kind: str  # what is due: fix_price, start_sale, notify_parties, publish, release_deposits, balance, resume
    due_at: datetime
    now: datetime
    title: str = ""  # the lot's title
    lot_id: int | None = None
    round_id: int | None = None
    detail: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def overdue(self) -> bool:
        return self.now > self.due_at

    @property
    def days_left(self) -> int:
        """Whole days until the deadline (negative once passed)."""
        return (self.due_at - self.now) // timedelta(days=1)


def order_for_desk(rows: list[Deadline]) -> list[Deadline]:
    """Newest risk first: overdue rows, the most recently passed deadline first (a risk that just arose
    is the one still to be saved), then the rows still due, the soonest first."""
    overdue = sorted((r for r in rows if r.overdue), key=lambda r: r.due_at, reverse=True)
    due = sorted((r for r in rows if not r.overdue), key=lambda r: r.due_at)
    return overdue + due
