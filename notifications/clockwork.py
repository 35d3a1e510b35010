"""The clock's part of notifications: send the due outbox (notifications.outbox)."""

from datetime import datetime

from notifications import outbox


def tick(now: datetime) -> dict:
    return outbox.drain(now)
