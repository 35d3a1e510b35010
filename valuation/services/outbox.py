"""The transactional outbox: every message to an outside provider, written with the change, sent after commit.

- ``enqueue_inquiry(inquiry)`` / ``enqueue_email(notification)`` run inside the transaction of the change: the message
  row commits with it or not at all, and ``deliver`` is called once that transaction has committed.
- ``deliver(message_id)`` sends one message — from the request that made the change (on commit) or from the clock
  (``drain``) — and must run outside any transaction. It claims the message in one UPDATE (a lease of `LEASE`), sends
  with no transaction open and no lock held, then records the outcome in a short transaction. Two senders never send
  one message at once; a sender that died mid-send loses its lease and the message is sent again, with the same
  idempotency key (HTTP ``Idempotency-Key``, e-mail ``Message-ID``) so that the provider can tell.
- A failed attempt is retried with exponential backoff (`backoff`), up to `MAX_ATTEMPTS`; an e-mail is not sent after
  B21's three days; an inquiry that is no longer pending (cancelled, missed) is not sent at all.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q

from auction_site import audit, clock
from valuation import rules
from valuation.models import Inquiry, Notification, OutboxMessage
from valuation.services import locks, providers

logger = logging.getLogger("valuation")

Channel = OutboxMessage.Channel

LEASE = timedelta(seconds=60)  # longer than any one attempt (providers' timeouts)
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=1)
MAX_ATTEMPTS = {Channel.HTTP: 10, Channel.EMAIL: 5}
BATCH = 200  # messages per drain


def backoff(attempts: int) -> timedelta:
    """How long after its `attempts`-th failed attempt a message is tried again: 1, 2, 4 … minutes, at most an hour."""
    return min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


def _send_on_commit(message: OutboxMessage) -> None:
    transaction.on_commit(lambda: deliver(message.pk), robust=True)  # a failure here is logged; the clock retries


def enqueue_inquiry(inquiry: Inquiry) -> OutboxMessage:
    """The inquiry is POSTed to its HTTP platform once this transaction commits (body fixed now, signed when sent)."""
    now = clock.now()
    message = OutboxMessage.objects.create(
        channel=Channel.HTTP, key=f"valuation-inquiry-{inquiry.pk}", inquiry=inquiry, to=inquiry.organisation.endpoint,
        body=providers.inquiry_payload(inquiry, os.environ.get("SITE_URL", "")),  # the public base URL the provider calls back
        created_at=now, due_at=now)
    _send_on_commit(message)
    return message


def enqueue_email(notification: Notification) -> OutboxMessage | None:
    """The notice is e-mailed once this transaction commits (none for an account without an address)."""
    address = notification.user.email
    if not address:
        return None
    message = OutboxMessage.objects.create(
        channel=Channel.EMAIL, key=f"valuation-notification-{notification.pk}", notification=notification, to=address,
        subject=notification.subject[:200], body=notification.body, created_at=notification.created_at, due_at=notification.created_at)
    _send_on_commit(message)
    return message


def _unsent(now: datetime):
    return (OutboxMessage.objects.filter(sent_at__isnull=True, given_up_at__isnull=True, due_at__lte=now)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now)))


def deliver(message_id: int) -> bool:
    """Send one message if it is due and no other sender holds it; True when the provider accepted it.

    Call it outside any transaction (on commit, or from the clock): whatever the caller had locked would otherwise
    stay locked while the provider takes its time."""
    now = clock.now()
    if not _unsent(now).filter(pk=message_id).update(lease_until=now + LEASE, attempts=F("attempts") + 1):
        return False  # sent, given up, not due yet, or being sent by someone else right now
    message = OutboxMessage.objects.select_related("inquiry__organisation").get(pk=message_id)
    if message.channel == Channel.HTTP:
        inquiry = message.inquiry
        if inquiry.status != Inquiry.Status.PENDING:
            _finish(message, given_up=f"询价已{inquiry.get_status_display()}，不再发送 / the inquiry is {inquiry.status}: not sent")
            return False
        error = providers.post_inquiry(message.to, inquiry.organisation.secret, message.body.encode(), key=message.key,
                                       inquiry_id=inquiry.pk)
    else:
        if now > message.created_at + rules.DELIVERY_WITHIN:
            _finish(message, given_up="[B21] 已超过三日送达期限，不再发送 / past B21's three days: not sent")
            return False
        error = providers.send_email(message.to, message.subject, message.body, key=message.key)
    if error is None:
        _sent(message)
        return True
    logger.warning("%s (attempt %s) failed: %s", message.key, message.attempts, error)
    _finish(message, error=error)
    return False


def _sent(message: OutboxMessage) -> None:
    now = clock.now()
    with transaction.atomic():
        if message.channel == Channel.HTTP:
            valuation = locks.valuation(message.inquiry.valuation_id)  # lock order: valuation, inquiry, then the message
            inquiry = locks.inquiry(message.inquiry_id)
            if inquiry.dispatched_at is None:
                inquiry.dispatched_at = now
                inquiry.save(update_fields=["dispatched_at"])
                audit.record("valuation.inquiry_dispatched", inquiry, chain=valuation, data={
                    "endpoint": message.to, "attempt": message.attempts, "key": message.key})
        else:
            Notification.objects.filter(pk=message.notification_id, emailed_at__isnull=True).update(emailed_at=now)
        OutboxMessage.objects.filter(pk=message.pk).update(sent_at=now, lease_until=None, last_error="")


def _finish(message: OutboxMessage, *, error: str = "", given_up: str = "") -> None:
    """A failed attempt: due again after the backoff, or given up (too many attempts, or nothing left to send)."""
    now = clock.now()
    if error and message.attempts >= MAX_ATTEMPTS[message.channel]:
        given_up = f"{message.attempts} 次均失败 / {message.attempts} attempts failed"
        logger.error("%s given up after %s attempts: %s", message.key, message.attempts, error)
    OutboxMessage.objects.filter(pk=message.pk).update(
        lease_until=None, last_error=(error or given_up)[:300], due_at=now + backoff(message.attempts),
        given_up_at=now if given_up else None)


def drain(now: datetime) -> dict:
    """The clock's pass: send every message that is due (each by `deliver`, so each at most once at a time)."""
    sent = {Channel.HTTP: 0, Channel.EMAIL: 0}
    for pk, channel in _unsent(now).order_by("due_at", "id").values_list("pk", "channel")[:BATCH]:
        sent[channel] += int(deliver(pk))
    return {"dispatched": sent[Channel.HTTP], "mailed": sent[Channel.EMAIL]}
