"""Work the clock process does for bidding on each tick (see auction_site/ticks.py).

Closing: open rounds whose (extended) end has passed become sold or failed. Idempotent and safe to
run twice at once (skip_locked + the end re-checked under the lock); a late tick never changes an
outcome: the bid engine refuses bids at/after `ends_at`, the winner is decided from the bids before
it, and `closed_at` is the legal end (`ends_at`), not the time the clock got round to it.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from bidding import rules
from bidding.models import Bid
from bidding.services import open_with_proxies
from lots import deadlines, rounds
from lots.models import Round

Status = Round.Status
BATCH = 500


def _winner(rnd: Round) -> tuple[rules.RankedBid, str] | None:
    """The winning bid (A21 ties) and its bidder code."""
    if not rnd.bid_count:
        return None
    top = rnd.current_price
    rows = (Bid.objects.filter(round_id=rnd.pk, amount__gte=top or 0).select_related("registration")
            .only("seq", "amount", "placed_at", "registration__id", "registration__code", "registration__priority_rank"))
    codes = {b.registration.pk: b.registration.code or "" for b in rows}
    winner = rules.decide_winner([rules.RankedBid(b.seq, b.registration.pk, b.amount, b.registration.priority_rank, b.placed_at)
                                  for b in rows], rnd.ends_at)
    return (winner, codes[winner.registration_id]) if winner else None


def close_round(round_id: int, now: datetime) -> str | None:
    """Close one due round under its row lock; returns the new status, or None if there was nothing to do."""
    with transaction.atomic():
        rnd = rounds.try_lock(round_id, status__in=[Status.OPEN, Status.CLOSED])
        if rnd is None or rnd.ends_at > now:
            return None  # closed by someone else, locked by a bid right now, or extended meanwhile
        won = _winner(rnd)
        rnd.closed_at = rnd.ends_at
        fields = ["closed_at"]
        if won is None:
            status = Status.FAILED  # 流拍: no bid (A26)
            data = {"bids": 0}
        else:
            status = Status.SOLD
            winner, rnd.leader_code = won
            rnd.leader_id = winner.registration_id
            rnd.sold_price = winner.amount
            rnd.balance_due_at = deadlines.balance_due_by(rnd.closed_at, rnd.balance_due_days)  # A25
            fields += ["leader_id", "leader_code", "sold_price", "balance_due_at"]
            data = {"sold_price": winner.amount, "winner_seq": winner.seq, "balance_due_at": rnd.balance_due_at}
        rounds.change_status(rnd, status, actor="clock", fields=fields,
                            data={"ends_at": rnd.ends_at, "closed_at": rnd.closed_at, "bid_count": rnd.bid_count, **data})
    return status


def close_due_rounds(now: datetime) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    due = list(Round.objects.filter(status__in=[Status.OPEN, Status.CLOSED], ends_at__lte=now).order_by("ends_at").values_list("pk", flat=True)[:BATCH])
    for pk in due:
        status = close_round(pk, now)
        if status:
            out.setdefault(str(status), []).append(pk)
    return out


def proxies_open_rounds(now: datetime) -> list[int]:
    """Open rounds still without a bid where proxy ceilings wait: the proxies bid first."""
    due = (Round.objects.filter(status=Status.OPEN, bid_count=0, proxy_bidding_enabled=True, kind=Round.Kind.AUCTION,
                                starts_at__lte=now, ends_at__gt=now, proxy_bids__active=True)
           .values_list("pk", flat=True).distinct()[:BATCH])
    return [pk for pk in list(due) if open_with_proxies(pk)]


def tick(now: datetime) -> dict:
    report: dict = {}
    closed = close_due_rounds(now)
    if closed:
        report["closed"] = closed
    opened = proxies_open_rounds(now)
    if opened:
        report["proxy_opening_bids"] = opened
    return report

