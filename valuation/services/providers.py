"""The calls to outside providers: an inquiry POSTed to an HTTP platform (signed), an e-mail to the mail server.

Nothing here reads or writes the database or takes a lock: the outbox (services/outbox.py) calls these outside any
transaction, and retries what they report as failed. Each call carries the message's idempotency key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.utils import DNS_NAME

from lots.models import Lot
from valuation.models import Inquiry

HTTP_TIMEOUT = 5  # seconds (setting VALUATION_HTTP_TIMEOUT): a platform that does not answer in time is retried later
SMTP_TIMEOUT = 10  # seconds, unless EMAIL_TIMEOUT is set: Django's own default is to wait for the mail server forever


def lot_facts(lot: Lot) -> dict[str, Any]:
    """What an inquiry platform is told about the lot."""
    return {"id": lot.pk, "title": lot.title, "category": lot.category, "description": lot.description, "location": lot.location,
            "city": lot.city, "size": str(lot.size) if lot.size is not None else None, "size_unit": lot.size_unit,
            "year_built": lot.year_built, "court": lot.case.court.name}


def inquiry_payload(inquiry: Inquiry, base_url: str = "") -> str:
    """The JSON body POSTed to an HTTP platform (docs/valuation.md); `base_url` makes the callback absolute."""
    return json.dumps({
        "inquiry": inquiry.pk, "token": inquiry.token, "deadline": inquiry.deadline.isoformat() if inquiry.deadline else None,
        "callback": f"{base_url}/api/v1/valuer/inquiries/{inquiry.pk}/quote/", "lot": lot_facts(inquiry.valuation.lot),
    }, ensure_ascii=False, sort_keys=True)


def sign(secret: str, body: bytes) -> str:
    """X-Signature: hex HMAC-SHA256 of the raw body with the organisation's shared secret."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_inquiry(endpoint: str, secret: str, body: bytes, *, key: str, inquiry_id: int) -> str | None:
    """POST one inquiry; None when the platform acknowledged it (any 2xx), else what went wrong."""
    req = urllib.request.Request(endpoint, data=body, method="POST", headers={
        "Content-Type": "application/json", "X-Signature": sign(secret, body), "X-Inquiry": str(inquiry_id), "Idempotency-Key": key})
    try:
        with urllib.request.urlopen(req, timeout=getattr(settings, "VALUATION_HTTP_TIMEOUT", HTTP_TIMEOUT)) as resp:
            return None if 200 <= resp.status < 300 else f"HTTP {resp.status}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return str(exc)[:300] or type(exc).__name__


def message_id(key: str) -> str:
    """The e-mail's Message-ID: the same for every attempt of one message, so a resent copy is recognisably the same."""
    return f"<{key}@{DNS_NAME}>"


def send_email(to: str, subject: str, body: str, *, key: str) -> str | None:
    """Send one e-mail through Django's mail backend; None when the mail server accepted it, else what went wrong."""
    try:
        connection = get_connection(timeout=getattr(settings, "EMAIL_TIMEOUT", None) or SMTP_TIMEOUT)
        EmailMessage(subject, body, None, [to], connection=connection, headers={"Message-ID": message_id(key)}).send()
    except Exception as exc:  # any failure of the mail server is retried from the outbox
        return str(exc)[:300] or type(exc).__name__
    return None
