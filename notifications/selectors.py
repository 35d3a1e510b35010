"""Reads of notifications: the inbox and its unread count."""

from __future__ import annotations

from typing import Any

from notifications import kinds
from notifications.models import Notification, Preference


def unread_count(user: Any) -> int:
    return Notification.objects.filter(user=user, in_inbox=True, read_at__isnull=True).count()  # index notification_unread


def inbox(user: Any, *, limit: int = 100) -> list[Notification]:
    rows = list(Notification.objects.filter(user=user, in_inbox=True)[:limit])
    for n in rows:  # known kinds in the reader's language
        n.title = kinds.render(n.kind, n.data, "subject") or n.subject
        n.text = kinds.render(n.kind, n.data, "body") or n.body
    return rows


def preference_table(user: Any) -> list[dict]:
    """One row per kind: its label and, per channel, whether the user hears it there."""
    chosen = Preference.objects.filter(user=user).values_list("channels", flat=True).first() or {}
    return [{"kind": k.name, "label": k.label, "on": {c: c in chosen.get(k.name, k.default) for c in kinds.CHANNELS}}
            for k in kinds.KINDS.values()]
