"""Notices to the parties and valuers: an in-site `Notification` and its e-mail (through the outbox, after commit).

Also the two ways a valuation is named in them (`describe`, `local_time`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from auction_site import clock
from lots.models import CaseParty
from notifications import kinds
from notifications.services import notify_many
from valuation.models import Inquiry, Method, Notification, Valuation, Valuer
from valuation.services import outbox


def describe(valuation: Valuation, n: int | None = None) -> str:
    """How a valuation is named in notices and as the lot's reference price source ("… · 估价#12")."""
    label = {
        Method.NEGOTIATED: "当事人议价",
        Method.DIRECTED: "定向询价",
        Method.NETWORK: f"网络询价（{n}家平台结果平均值）" if n else "网络询价",
        Method.APPRAISAL: "委托评估",
    }[valuation.method]
    return f"{label} · 估价#{valuation.pk}"


def local_time(at: datetime | None) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at else "—"


def notify(user: Any, valuation: Valuation | None, kind: str, subject: str, body: str) -> Notification:
    """An in-site notice now; its e-mail is an outbox message sent once this transaction commits."""
    note = Notification.objects.create(user=user, valuation=valuation, kind=kind, subject=subject, body=body, created_at=clock.now())
    outbox.enqueue_email(note)
    return note


def notify_case_parties(case_id: int, kind: str, subject: str, body: str, *, valuation: Valuation | None = None,
                        exclude_user: Any = None, only_user_id: int | None = None, key: str = "", url: str = "") -> int:
    """THE way the parties of a case hear of a step of their case (执行公开), inside the transaction of the change.
    A valuation's steps stay in valuation's own notices (with their e-mail: B21's delivery rests on them); every other
    step (the link, the rounds, the case account) goes to the site's notification outbox (notifications.services),
    once per `key`, with `kind` in its data. Returns how many accounts were told."""
    parties = CaseParty.objects.filter(case_id=case_id, user__isnull=False).select_related("user")
    if only_user_id is not None:
        parties = parties.filter(user_id=only_user_id)
    users = [u for u in {p.user_id: p.user for p in parties}.values()
             if exclude_user is None or u.pk != getattr(exclude_user, "pk", exclude_user)]
    if valuation is None:
        made = notify_many([u.pk for u in users], kinds.MESSAGE.name, key=key or f"case:{case_id}:{kind}:{clock.now().isoformat()}",
                           data={"case": case_id, "step": kind}, url=url or f"/party/cases/{case_id}/", subject=subject, body=body)
        return len(made)
    for user in users:
        notify(user, valuation, kind, subject, body)
    return len(users)


def notify_parties(valuation: Valuation, kind: str, subject: str, body: str, *, exclude_user: Any = None) -> None:
    notify_case_parties(valuation.lot.case_id, kind, subject, body, valuation=valuation, exclude_user=exclude_user)


def notify_valuers(inquiry: Inquiry, valuation: Valuation, kind: str, subject: str, body: str) -> None:
    for valuer in Valuer.objects.filter(organisation_id=inquiry.organisation_id).select_related("user"):
        notify(valuer.user, valuation, kind, subject, body)


def mark_notifications_read(user: Any) -> int:
    """The user has seen their notices (the parties' page)."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=clock.now())
