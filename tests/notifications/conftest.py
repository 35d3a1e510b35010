"""Fixtures of the notification tests: text messages kept in memory, a round with followers of every kind."""

import pytest

from auction_site import clock


@pytest.fixture(autouse=True)
def sms_outbox(settings):
    from notifications.backends import LocmemSmsBackend

    settings.SMS_BACKEND = "notifications.backends.LocmemSmsBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    LocmemSmsBackend.outbox = []
    return LocmemSmsBackend.outbox


def send_outbox() -> dict:
    """What the clock process does after every other tick: send the outbox."""
    from notifications import clockwork

    return clockwork.tick(clock.now())


def told(kind: str) -> list[int]:
    from notifications.models import Notification

    return sorted(Notification.objects.filter(kind=kind).values_list("user_id", flat=True))


@pytest.fixture
def no_throttle(settings):
    settings.BIDDING_MAX_BIDS_PER_SECOND = 0
