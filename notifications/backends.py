"""Text messages behind one interface; ``settings.SMS_BACKEND`` names the class (e-mail goes through Django's mail framework).

A backend's ``send(to, text, *, key)`` raises on failure (the outbox retries later with the same key, which a
provider that supports it uses to drop a repeat). A real provider is a subclass living in the deployment.
"""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("notifications.sms")


class SmsBackend:
    def send(self, to: str, text: str, *, key: str) -> None:
        raise NotImplementedError


class ConsoleSmsBackend(SmsBackend):
    """Writes each message to standard output (the demo): nothing leaves the machine."""

    def send(self, to: str, text: str, *, key: str) -> None:
        sys.stdout.write(f"[SMS to {to}] {text} ({key})\n")
        sys.stdout.flush()


class LocmemSmsBackend(SmsBackend):
    """Keeps the messages in `outbox` (tests), like Django's locmem e-mail backend."""

    outbox: list[dict] = []

    def send(self, to: str, text: str, *, key: str) -> None:
        LocmemSmsBackend.outbox.append({"to": to, "text": text, "key": key})


def sms_backend() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()
