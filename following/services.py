"""Writes of following: watch / unwatch a lot, set / cancel a reminder (actor-first, idempotent)."""

from __future__ import annotations

from typing import Any

from auction_site import clock
from auction_site.errors import Conflict, ErrorCode, NotFound, msg
from following.models import Reminder, Watch
from lots import selectors as lot_selectors
from lots.models import Lot, Round


def _public_lot(lot_id: int) -> Lot:
    lot = Lot.objects.filter(pk=lot_id).first()
    if lot is None or not lot_selectors.is_published(lot):
        raise NotFound(msg("拍品不存在", "no such lot"))
    return lot


def watch(user: Any, /, *, lot_id: int) -> Watch:
    lot = _public_lot(lot_id)
    w, _ = Watch.objects.get_or_create(user=user, lot=lot, defaults={"created_at": clock.now()})
    return w


def unwatch(user: Any, /, *, lot_id: int) -> int:
    return Watch.objects.filter(user=user, lot_id=lot_id).delete()[0]


def set_reminder(user: Any, /, *, round_id: int) -> Reminder:
    """设置提醒: only for a published round whose bidding has not opened yet."""
    rnd = Round.objects.select_related("lot").filter(pk=round_id).first()
    if rnd is None or rnd.status == Round.Status.DRAFT:
        raise NotFound(msg("拍卖不存在", "no such round"))
    if rnd.status not in {Round.Status.ANNOUNCED, Round.Status.SUSPENDED}:
        raise Conflict(ErrorCode.ROUND_IN_PROGRESS, msg("竞价已开始或已结束，无需提醒", "bidding has already opened or ended"))
    m, _ = Reminder.objects.get_or_create(user=user, round=rnd, defaults={"created_at": clock.now()})
    return m


def cancel_reminder(user: Any, /, *, round_id: int) -> int:
    return Reminder.objects.filter(user=user, round_id=round_id).delete()[0]
