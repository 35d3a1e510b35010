"""Writes of notifications: the one API every app calls (docs/notifications.md).

Call these inside the transaction of the change that causes the event: the inbox row and its outbox rows
(e-mail, text message) commit with the change or not at all, and the clock process sends them afterwards
(notifications.outbox). Each event has a key; (user, key) is unique, so telling twice tells once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import translation

from auction_site import clock
from notifications import audiences, kinds
from notifications.models import Delivery, Notification, Preference


def channels_for(user_ids: Iterable[int], kind: str) -> dict[int, set[str]]:
    """user id -> the channels on which they hear about `kind` (their preference, else the kind's default)."""
    ids = set(user_ids)
    default = set(kinds.KINDS[kind].default) if kind in kinds.KINDS else {kinds.INBOX, kinds.EMAIL}
    chosen = {uid: set(ch.get(kind, default)) for uid, ch in Preference.objects.filter(user_id__in=ids).values_list("user_id", "channels")}
    return {uid: chosen.get(uid, default) for uid in ids}


def notify(recipient: Any, kind: str, /, *, key: str, data: dict | None = None, url: str = "",
           subject: str = "", body: str = "") -> Notification | None:
    """Tell one user (a User or a user id) about an event; None when they chose to hear nothing of this kind
    or were told already. `subject`/`body` are for kinds without a text of their own (e.g. ``message``)."""
    uid = getattr(recipient, "pk", recipient)
    made = notify_many([uid], kind, key=key, data=data, url=url, subject=subject, body=body)
    return made[0] if made else None


def notify_audience(audience: str, obj_id: int, kind: str, /, *, key: str, data: dict | None = None, url: str = "",
                    exclude: Iterable[int] = ()) -> list[Notification]:
    """Tell every member of an audience (notifications.audiences) but `exclude`."""
    return notify_many(audiences.members(audience, obj_id) - set(exclude), kind, key=key, data=data, url=url)


def notify_many(user_ids: Iterable[int], kind: str, /, *, key: str, data: dict | None = None, url: str = "",
                subject: str = "", body: str = "") -> list[Notification]:
    """Tell several users about one event: returns the notifications made now (none for those told already)."""
    ids = {int(u) for u in user_ids if u is not None}
    if not ids:
        return []
    data = {**(data or {}), **({"subject": subject} if subject else {}), **({"body": body} if body else {})}
    with translation.override("zh-hans"):  # stored in Chinese, the site's first language
        subject = (kinds.render(kind, data, "subject") or subject)[:200]
        body = kinds.render(kind, data, "body") or body
    wanted = {uid: ch for uid, ch in channels_for(ids, kind).items() if ch}
    if not wanted:
        return []
    now = clock.now()
    with transaction.atomic():  # a savepoint inside the caller's transaction
        told = set(Notification.objects.filter(key=key, user_id__in=wanted).values_list("user_id", flat=True))
        fresh = [uid for uid in wanted if uid not in told]
        Notification.objects.bulk_create(
            [Notification(user_id=uid, kind=kind, key=key, subject=subject, body=body, url=url, data=data,
                          in_inbox=kinds.INBOX in wanted[uid], created_at=now) for uid in fresh],
            ignore_conflicts=True)  # told by a concurrent transaction meanwhile: theirs stands
        made = list(Notification.objects.filter(key=key, user_id__in=fresh, created_at=now).select_related("user"))
        outbox = []
        for n in made:
            if kinds.EMAIL in wanted[n.user_id] and n.user.email:
                outbox.append(Delivery(notification=n, channel=Delivery.Channel.EMAIL, to=n.user.email, due_at=now))
            if kinds.SMS in wanted[n.user_id] and getattr(n.user, "phone", ""):
                outbox.append(Delivery(notification=n, channel=Delivery.Channel.SMS, to=n.user.phone, due_at=now))
        Delivery.objects.bulk_create(outbox, ignore_conflicts=True)
    return made


def mark_read(user: Any, /, *, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all of them when `ids` is None); returns how many changed."""
    rows = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return rows.update(read_at=clock.now())


def set_preferences(user: Any, /, *, channels: dict[str, Iterable[str]]) -> Preference:
    """Save which kinds the user hears about on which channels; unknown kinds and channels are dropped."""
    clean = {k: sorted(set(v) & set(kinds.CHANNELS)) for k, v in channels.items() if k in kinds.KINDS}
    pref, _ = Preference.objects.update_or_create(user=user, defaults={"channels": clean, "updated_at": clock.now()})
    return pref
