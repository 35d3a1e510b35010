"""Reads of following: who follows a round, the numbers shown on cards and lot pages, a user's watch list and auctions."""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from bidding import presence
from escrow import selectors as escrow_selectors
from escrow.models import Registration
from following.models import LotViews, Reminder, Watch
from lots.models import Round

RegStatus = Registration.Status
# 报名人数: registrations whose deposit was paid (held, and later released, applied or forfeited).
REGISTERED = [RegStatus.HELD, RegStatus.RELEASED, RegStatus.APPLIED, RegStatus.FORFEITED]
WON_STATUSES = [Round.Status.SOLD, Round.Status.PAID, Round.Status.SETTLED]


def round_followers(round_id: int) -> set[int]:
    """Everyone who hears about a round: its registered bidders, its reminders, the watchers of its lot."""
    regs = Registration.objects.filter(round_id=round_id).exclude(status=RegStatus.CANCELLED).values_list("bidder_id", flat=True)
    reminders = Reminder.objects.filter(round_id=round_id).values_list("user_id", flat=True)
    watchers = Watch.objects.filter(lot__rounds=round_id).values_list("user_id", flat=True)
    return set(regs) | set(reminders) | set(watchers)


def round_bidders(round_id: int) -> set[int]:
    """The bidders who paid the round's deposit."""
    return set(Registration.objects.filter(round_id=round_id, status__in=REGISTERED).values_list("bidder_id", flat=True))


def round_winner(round_id: int) -> set[int]:
    leader = Round.objects.filter(pk=round_id, status__in=WON_STATUSES).values_list("leader_id", flat=True).first()
    return set(Registration.objects.filter(pk=leader).values_list("bidder_id", flat=True)) if leader else set()


def numbers(rounds: list[Round]) -> dict[int, dict]:
    """round id -> {registered, reminders, views, watching_now} for a page of rounds: three grouped queries and,
    for the open rounds, one Redis round trip (bidding.presence)."""
    ids = [r.pk for r in rounds]
    regs = dict(Registration.objects.filter(round_id__in=ids, status__in=REGISTERED).values("round_id")
                .annotate(n=Count("id")).values_list("round_id", "n"))
    rem = dict(Reminder.objects.filter(round_id__in=ids).values("round_id").annotate(n=Count("id")).values_list("round_id", "n"))
    views = dict(LotViews.objects.filter(lot_id__in=[r.lot_id for r in rounds]).values_list("lot_id", "count"))
    live = presence.watching([r.pk for r in rounds if r.status == Round.Status.OPEN])
    return {r.pk: {"round_id": r.pk, "registered": regs.get(r.pk, 0), "reminders": rem.get(r.pk, 0), "views": views.get(r.lot_id, 0),
                   "watching_now": live.get(r.pk, 0)} for r in rounds}


def follow_state(user: Any, rnd: Round) -> dict:
    if not getattr(user, "is_authenticated", False):
        return {"watching": False, "reminded": False}
    return {"watching": Watch.objects.filter(user=user, lot_id=rnd.lot_id).exists(),
            "reminded": Reminder.objects.filter(user=user, round=rnd).exists()}


def _latest_rounds(lot_ids: list[int]) -> dict[int, Round]:
    latest: dict[int, Round] = {}
    for r in Round.objects.filter(lot_id__in=lot_ids).exclude(status=Round.Status.DRAFT).select_related("lot", "lot__case__court").order_by("lot_id", "number"):
        latest[r.lot_id] = r
    return latest


def watch_list(user: Any) -> list[dict]:
    watches = list(Watch.objects.filter(user=user).select_related("lot"))
    latest = _latest_rounds([w.lot_id for w in watches])
    return [{"watch": w, "lot": w.lot, "round": latest.get(w.lot_id)} for w in watches]


def my_auctions(user: Any) -> dict[str, list[dict]]:
    """参拍 (every registration), 已竞得 (won), 保证金 (deposits and their state), 提醒 (reminders set)."""
    deposits = escrow_selectors.my_deposits(user)
    joined = [row for row in deposits if row["registration"].status != RegStatus.CANCELLED]
    won = [row for row in joined if row["round"].leader_id == row["registration"].pk and row["round"].status in
           [*WON_STATUSES, Round.Status.DEFAULTED]]
    reminders = [{"reminder": m, "round": m.round, "lot": m.round.lot}
                 for m in Reminder.objects.filter(user=user).select_related("round__lot").order_by("round__starts_at")]
    return {"joined": joined, "won": won, "deposits": [row for row in deposits if row["deposit"] is not None], "reminders": reminders}
