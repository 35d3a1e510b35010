"""Sending the outbox: the clock process (``notifications.clockwork.tick``) sends each due e-mail or text message.

Each delivery is claimed by one UPDATE (a lease), sent with no transaction open and no lock held, then
marked sent; a failed attempt is due again after a backoff (1, 2, 4 … minutes, at most an hour) and given
up after `MAX_ATTEMPTS`. The notification's key is the message's idempotency key (e-mail ``Message-ID``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.utils import DNS_NAME
from django.db.models import F, Q

from auction_site import clock
from notifications import backends
from notifications.models import Delivery

logger = logging.getLogger("notifications")

LEASE = timedelta(seconds=60)
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=1)
MAX_ATTEMPTS = 8
BATCH = 200


def backoff(attempts: int) -> timedelta:
    return min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


def _unsent(now: datetime):
    return (Delivery.objects.filter(sent_at__isnull=True, given_up_at__isnull=True, due_at__lte=now)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now)))


def _send(d: Delivery) -> None:
    n = d.notification
    link = f"\n\n{settings.SITE_URL.rstrip('/')}{n.url}" if n.url and settings.SITE_URL else ""
    if d.channel == Delivery.Channel.EMAIL:
        EmailMessage(n.subject, (n.body or n.subject) + link, None, [d.to],
                     headers={"Message-ID": f"<{n.key.replace(':', '.')}.{n.user_id}@{DNS_NAME}>"}).send()
    else:
        backends.sms_backend().send(d.to, f"【司法拍卖】{n.subject}。{n.body}"[:300], key=f"{n.key}:{n.user_id}")


def deliver(delivery_id: int) -> bool:
    """Send one delivery if it is due and nobody else holds it; True when the backend took it. Run outside any transaction."""
    now = clock.now()
    if not _unsent(now).filter(pk=delivery_id).update(lease_until=now + LEASE, attempts=F("attempts") + 1):
        return False
    d = Delivery.objects.select_related("notification").get(pk=delivery_id)
    try:
        _send(d)
    except Exception as e:  # any backend failure: retried later
        error = f"{type(e).__name__}: {e}"[:300]
        given_up = d.attempts >= MAX_ATTEMPTS
        (logger.error if given_up else logger.warning)("%s %s (attempt %s) failed: %s", d.channel, d.notification.key, d.attempts, error)
        Delivery.objects.filter(pk=d.pk).update(lease_until=None, last_error=error, due_at=now + backoff(d.attempts),
                                                given_up_at=now if given_up else None)
        return False
    Delivery.objects.filter(pk=d.pk).update(sent_at=clock.now(), lease_until=None, last_error="")
    return True


def drain(now: datetime) -> dict:
    sent = failed = 0
    for pk in _unsent(now).order_by("due_at", "id").values_list("pk", flat=True)[:BATCH]:
        if deliver(pk):
            sent += 1
        else:
            failed += 1
    return {k: v for k, v in {"sent": sent, "failed": failed}.items() if v}
