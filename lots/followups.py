"""What follows a round that did not end in a paid sale (A24, A26, A37; [C] A16).

- Round 1 failed (流拍): a re-auction (round 2) is prepared as a DRAFT, prefilled within the law: starting
  price cut by the most A26 allows (20%, the judge may raise it before publishing), the same deposit
  ratio (kept within A17's 5–20%), the same increment, and an opening time inside A26's 30 days that
  leaves the 7/15 days' notice (plus 3 days for the parties' notice, A16) after publication. The judge
  publishes it (lots.services.publish_round), which checks every publication rule again.
- Round 2 failed: an online sell-off (变卖) opens at once: a Round of kind `selloff`, 60 days, at the
  round-2 starting price, whose deposit is the full price; the first bidder with that deposit held
  who "bids" exactly the price buys it and the round closes as sold (bidding.services.place_bid). The
  judge may instead settle the lot in kind with a creditor (settlement.services.settle_in_kind, [C] A16).
- A sold round defaulted (悔拍, status set by escrow): a re-auction is prepared as a DRAFT at the same
  starting price; escrow's eligibility rules bar the defaulter (A24).
- A lot settled in kind (Lot.settled_in_kind_at, [C] A16) gets no follow-up.

Idempotent and safe to run twice at once: the source round is locked (skip_locked) and a round has at
most one follow-up (`Round.previous` is one-to-one).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Max

from lots import rounds
from lots import rules as lot_rules
from lots.models import Round

Status = Round.Status
SHANGHAI = ZoneInfo("Asia/Shanghai")
# A16: parties notified ≥ 3 days before the announcement. The prepared draft leaves parties_notified_at empty:
# notifying is the judge's act (lots.services.notify_parties), and publication waits the 3 days.
PARTY_NOTICE = lot_rules.PARTY_NOTICE_BEFORE_ANNOUNCEMENT
OPENING_HOUR = 10  # rounds open at 10:00 Beijing time, as the real listings do


def _at_opening_hour(moment: datetime) -> datetime:
    local = moment.astimezone(SHANGHAI)
    day = local.date() if local.time() <= time(OPENING_HOUR) else local.date() + timedelta(days=1)
    return datetime.combine(day, time(OPENING_HOUR), tzinfo=SHANGHAI)


def _deposit_for(new_start: int, previous: Round) -> int:
    """Keep the previous deposit ratio, inside A17's 5%–20% of the new starting price."""
    deposit = previous.deposit * new_start // previous.starting_price
    low = -(-new_start * lot_rules.DEPOSIT_MIN_PERCENT // 100)
    high = new_start * lot_rules.DEPOSIT_MAX_PERCENT // 100
    return min(max(deposit, low), high)


def auction_failures(lot_id: int) -> int:
    return Round.objects.filter(lot_id=lot_id, kind=Round.Kind.AUCTION, status=Status.FAILED).count()


def _next_number(lot_id: int) -> int:
    return (Round.objects.filter(lot_id=lot_id).aggregate(m=Max("number"))["m"] or 0) + 1


def prepare_reauction(source: Round, now: datetime, *, after_default: bool) -> Round:
    """A draft re-auction following `source` (locked by the caller)."""
    category = source.lot.category
    number = _next_number(source.lot_id)
    closed_at = source.closed_at or now
    start_price = source.starting_price if after_default else lot_rules.min_reauction_start(source.starting_price)
    notice = lot_rules.min_notice(category, number)
    starts_at = _at_opening_hour(max(closed_at, now) + PARTY_NOTICE + notice)
    if not after_default and starts_at - closed_at > lot_rules.REAUCTION_WITHIN:
        starts_at = closed_at + lot_rules.REAUCTION_WITHIN  # a late clock must not push it past A26's 30 days
    period = max(source.scheduled_ends_at - source.starts_at, lot_rules.MIN_BIDDING_PERIOD)
    reason = "悔拍后重新拍卖（A24）" if after_default else "流拍后再次拍卖（A26）"
    nxt = rounds.create(
        actor="clock", action="round.prepared", data={
            "previous": source.pk, "reason": reason, "number": number, "starting_price": start_price,
            "deposit": _deposit_for(start_price, source), "starts_at": starts_at, "ends_at": starts_at + period},
        lot_id=source.lot_id, number=number, kind=Round.Kind.AUCTION, previous=source, status=Status.DRAFT,
        starting_price=start_price, deposit=_deposit_for(start_price, source), increment=min(source.increment, start_price),
        starts_at=starts_at, ends_at=starts_at + period, scheduled_ends_at=starts_at + period,
        balance_due_days=source.balance_due_days, proxy_bidding_enabled=source.proxy_bidding_enabled,
        announcement=source.announcement, status_reason=reason, created_at=now,
    )
    return nxt


def open_selloff(source: Round, now: datetime) -> Round:
    """变卖 after the second failure: 60 days at the round-2 starting price, full price as the deposit (A26, A37)."""
    price = source.starting_price
    starts_at = now
    ends_at = starts_at + lot_rules.SELLOFF_PERIOD
    selloff = rounds.create(
        actor="clock", action="round.opened", data={
            "kind": "selloff", "previous": source.pk, "price": price, "starts_at": starts_at, "ends_at": ends_at},
        lot_id=source.lot_id, number=_next_number(source.lot_id), kind=Round.Kind.SELLOFF, previous=source, status=Status.OPEN,
        starting_price=price, deposit=price, increment=price, starts_at=starts_at, ends_at=ends_at, scheduled_ends_at=ends_at,
        balance_due_days=source.balance_due_days, announcement=source.announcement, published_at=now,
        status_reason="二拍流拍后网络变卖（A26）", created_at=now,
    )
    return selloff


def follow_up(round_id: int, now: datetime) -> tuple[str, int] | None:
    with transaction.atomic():
        src = rounds.try_lock(round_id)
        if src is None or Round.objects.filter(previous_id=src.pk).exists():
            return None
        if src.lot.settled_in_kind_at is not None:
            return None
        if Round.objects.filter(lot_id=src.lot_id, number__gt=src.number).exists():
            return None  # the judge already made the next round
        try:
            with transaction.atomic():
                if src.status == Status.DEFAULTED:
                    return "reauction", prepare_reauction(src, now, after_default=True).pk
                if src.status == Status.FAILED and src.kind == Round.Kind.AUCTION:
                    if auction_failures(src.lot_id) >= 2:
                        return "selloff", open_selloff(src, now).pk
                    return "reauction", prepare_reauction(src, now, after_default=False).pk
        except IntegrityError:
            return None  # another clock made it first
    return None


def tick(now: datetime) -> dict:
    out: dict[str, list[int]] = {}
    # Newest first, so rounds that can never have a follow-up (the judge chose otherwise) never hold up new ones.
    due = (Round.objects.filter(next_round__isnull=True, lot__settled_in_kind_at__isnull=True)
           .filter(status__in=[Status.FAILED, Status.DEFAULTED]).exclude(kind=Round.Kind.SELLOFF, status=Status.FAILED)
           .order_by("-pk").values_list("pk", flat=True)[:500])
    for pk in list(due):
        made = follow_up(pk, now)
        if made:
            out.setdefault(made[0], []).append(made[1])
    return out
