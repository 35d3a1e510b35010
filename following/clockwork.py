"""The clock's part of following: the notices that time brings, outbid notices, and the view counts.

Every notice has a key (notifications: once per user and key), so each pass may find the same one again
and nobody hears it twice. Runs before notifications.clockwork.tick, which sends what these wrote.

- 设置提醒: a round with reminders whose bidding opens within REMINDER_LEAD;
- 5 minutes left: an open round ending within ENDING_LEAD (once per round, however often it is extended);
- the balance due in 3 days and in 1 day (A25): the winner of a sold round not yet paid;
- outbid: a bidder whose last bid on an open round is no longer the leading one. The bids table is the outbox
  here: bids are append-only and only committed bids are seen, so a bid rolled back tells nobody, and the bid
  path keeps its two round trips (docs/bidding.md);
- views counted in Redis are added to LotViews.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection, transaction

from bidding.models import Bid
from escrow.models import Registration
from following import counters, rules
from following.models import Reminder
from lots.models import Round
from notifications import kinds
from notifications.models import Notification
from notifications.services import notify, notify_audience, notify_many

Status = Round.Status

# What this process already examined: the rounds' sequence numbers at the last outbid pass, and the keys of
# time-based notices already written. A restarted process examines everything once more (the keys make that
# harmless); without the memo each tick would query every open round again.
_outbid_seen: dict[int, int] = {}
_told_keys: set[str] = set()


def _lot_url(rnd: Round) -> str:
    return f"/lots/{rnd.lot_id}/"


def reminders(now: datetime) -> int:
    told = 0
    due = (Round.objects.filter(status=Status.ANNOUNCED, starts_at__gt=now, starts_at__lte=now + rules.REMINDER_LEAD,
                                reminders__isnull=False).distinct().select_related("lot"))
    for rnd in due:
        users = Reminder.objects.filter(round=rnd).values_list("user_id", flat=True)
        with transaction.atomic():
            told += len(notify_many(users, kinds.REMINDER.name, key=f"round:{rnd.pk}:reminder:{rnd.starts_at:%Y%m%d%H%M}",
                                    data=kinds.round_data(rnd, when=rnd.starts_at), url=_lot_url(rnd)))
    return told  # not memoised: a reminder set in the last half hour is told on the next tick


def ending(now: datetime) -> int:
    told = 0
    for rnd in Round.objects.filter(status=Status.OPEN, ends_at__gt=now, ends_at__lte=now + rules.ENDING_LEAD).select_related("lot"):
        key = f"round:{rnd.pk}:ending"
        if key in _told_keys:
            continue
        with transaction.atomic():
            told += len(notify_audience("round", rnd.pk, kinds.ENDING.name, key=key,
                                        data=kinds.round_data(rnd, when=rnd.ends_at), url=_lot_url(rnd)))
        transaction.on_commit(lambda key=key: _told_keys.add(key))
    return told


def balance_due(now: datetime) -> int:
    told = 0
    longest = max(rules.BALANCE_REMINDERS_DAYS)
    sold = Round.objects.filter(status=Status.SOLD, balance_due_at__gt=now, balance_due_at__lte=now + timedelta(days=longest),
                                leader_id__isnull=False).select_related("lot")
    for rnd in sold:
        winner = Registration.objects.filter(pk=rnd.leader_id).values_list("bidder_id", flat=True).first()
        left = rnd.balance_due_at - now
        days = min(d for d in rules.BALANCE_REMINDERS_DAYS if left <= timedelta(days=d))  # only the nearest one
        key = f"round:{rnd.pk}:balance_due:{days}d"
        if key in _told_keys:
            continue
        with transaction.atomic():
            told += int(notify(winner, kinds.BALANCE_DUE.name, key=key, url=_lot_url(rnd),
                               data=kinds.round_data(rnd, when=rnd.balance_due_at, amount=(rnd.sold_price or 0) - rnd.deposit, days=days))
                        is not None)
        transaction.on_commit(lambda key=key: _told_keys.add(key))
    return told


def outbid(now: datetime) -> int:
    """Tell each bidder of an open round whose last bid was passed (once per last bid of theirs)."""
    told = 0
    live = {pk: seq for pk, seq in Round.objects.filter(status=Status.OPEN, bid_count__gt=0).values_list("pk", "seq")}
    for pk in [pk for pk in _outbid_seen if pk not in live]:
        del _outbid_seen[pk]
    for rnd in Round.objects.filter(pk__in=[pk for pk, seq in live.items() if _outbid_seen.get(pk) != seq]).select_related("lot"):
        passed = _last_bids(rnd)
        keys = {f"round:{rnd.pk}:outbid:{seq}": bidder_id for bidder_id, seq in passed}
        known = set(Notification.objects.filter(key__in=list(keys)).values_list("key", flat=True))  # told already: no more work
        for key, bidder_id in keys.items():
            if key in known:
                continue
            with transaction.atomic():
                told += int(notify(bidder_id, kinds.OUTBID.name, key=key, url=f"/rounds/{rnd.pk}/live/",
                                   data=kinds.round_data(rnd, amount=rnd.current_price)) is not None)
        _outbid_seen[rnd.pk] = rnd.seq
    return told


def _last_bids(rnd: Round) -> list[tuple[int, int]]:
    """(bidder id, seq of their last bid) for every registration of the round but the leading one."""
    rows = Bid.objects.filter(round=rnd).exclude(registration_id=rnd.leader_id)
    if connection.vendor == "postgresql":
        return list(rows.order_by("registration_id", "-seq").distinct("registration_id").values_list("registration__bidder_id", "seq"))
    last: dict[int, tuple[int, int]] = {}
    for reg_id, bidder_id, seq in rows.order_by("seq").values_list("registration_id", "registration__bidder_id", "seq"):
        last[reg_id] = (bidder_id, seq)
    return list(last.values())


def tick(now: datetime) -> dict:
    report = {"reminded": reminders(now), "ending": ending(now), "balance_due": balance_due(now), "outbid": outbid(now),
              "views": counters.flush_views()}
    return {k: v for k, v in report.items() if v}

