"""Notices to the parties and valuers: an in-site `Notification` and its e-mail (through the outbox, after commit).

Also the two ways a valuation is named in them (`describe`, `local_time`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from auction_site import clock
from lots.models import CaseParty
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


def notify_parties(valuation: Valuation, kind: str, subject: str, body: str) -> None:
    for party in CaseParty.objects.filter(case_id=valuation.lot.case_id, user__isnull=False).select_related("user"):
        notify(party.user, valuation, kind, subject, body)


def notify_valuers(inquiry: Inquiry, valuation: Valuation, kind: str, subject: str, body: str) -> None:
    for valuer in Valuer.objects.filter(organisation_id=inquiry.organisation_id).select_related("user"):
        notify(valuer.user, valuation, kind, subject, body)


def mark_notifications_read(user: Any) -> int:
    """The user has seen their notices (the parties' page)."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=clock.now())
