"""The lottery's beacon (B16): a value fixed before the draw that nobody controls.

It is the signed transcript root of the last round closed before the draw time. Transcripts belong to a higher app
(transparency), which registers the reader here in its AppConfig.ready(); valuation never imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from valuation import rules

# before -> (round id, transcript root) of the last round closed strictly before `before`, or None
_reader: Callable[[datetime], tuple[int, str] | None] | None = None


def register(reader: Callable[[datetime], tuple[int, str] | None]) -> None:
    global _reader
    _reader = reader


def value_before(at: datetime) -> tuple[int | None, str]:
    """-> (round id or None, beacon); BEACON_FALLBACK when no round closed before `at`."""
    found = _reader(at) if _reader is not None else None
    if found is None:
        return None, rules.BEACON_FALLBACK
    return found
