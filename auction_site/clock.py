"""The one clock. All domain code reads time from here (ARCHITECTURE.md, Time).

In test/demo mode the clock can be advanced; the offset lives in the database so every process
(Daphne workers, run_clock, tests) sees the same time. In production it is the real time.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone


class ClockAdvanceNotAllowed(Exception):
    pass


def _offset_seconds() -> int:
    from auction_site.models import ClockOffset

    row = ClockOffset.objects.filter(id=1).values_list("offset_seconds", flat=True).first()
    return int(row or 0)


def now() -> datetime:
    real = timezone.now()
    if not settings.CLOCK_ADVANCE_ALLOWED:
        return real
    return real + timedelta(seconds=_offset_seconds())


def advance(seconds: int) -> datetime:
    """Move the test/demo clock forward; never available in production."""
    from auction_site.models import ClockOffset

    if not settings.CLOCK_ADVANCE_ALLOWED:
        raise ClockAdvanceNotAllowed("the clock cannot be advanced in production")
    if seconds < 0:
        raise ValueError("the clock only moves forward")
    with transaction.atomic():
        row, _ = ClockOffset.objects.select_for_update().get_or_create(id=1)
        row.offset_seconds += int(seconds)
        row.save(update_fields=["offset_seconds"])
    return now()


def reset() -> None:
    """Back to real time (tests only)."""
    from auction_site.models import ClockOffset

    ClockOffset.objects.filter(id=1).delete()


def parse_duration(text: str) -> int:
    """'3d', '12h', '30m', '45s' or a plain number of seconds -> seconds."""
    text = text.strip().lower()
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)
