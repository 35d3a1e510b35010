"""Page views (围观次数), counted in Redis: no database write per page view.

``count_view(lot_id)`` is one HINCRBY; ``flush_views()`` (the clock, every tick) moves the counts into LotViews
with F(), one UPDATE per lot viewed since the last tick. Without Redis (the embedded demo) a view is added to
LotViews at once.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db.models import F

from following.models import LotViews
from lots.models import Lot

logger = logging.getLogger("following")
_client = None


def _redis():
    global _client
    if not settings.REDIS_URL:
        return None
    if _client is None:
        import redis

        _client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5)
    return _client


def _key(name: str) -> str:
    return f"{settings.REDIS_KEY_PREFIX}:following:{name}"


def _add_views(counts: dict[int, int]) -> None:
    """Add views with F() (one UPDATE per lot); lots that no longer exist are skipped."""
    for lot_id, n in counts.items():
        if not LotViews.objects.filter(lot_id=lot_id).update(count=F("count") + n) and Lot.objects.filter(pk=lot_id).exists():
            LotViews.objects.bulk_create([LotViews(lot_id=lot_id, count=0)], ignore_conflicts=True)
            LotViews.objects.filter(lot_id=lot_id).update(count=F("count") + n)


def count_view(lot_id: int) -> None:
    r = _redis()
    if r is not None:
        try:
            r.hincrby(_key("views"), str(lot_id), 1)
            return
        except Exception:  # Redis away: count it in the database instead
            logger.warning("view of lot %s counted in the database: Redis failed", lot_id)
    _add_views({lot_id: 1})


def flush_views() -> int:
    """Move the views counted in Redis into LotViews; returns how many lots changed."""
    r = _redis()
    if r is None:
        return 0
    pending, taken = _key("views"), _key("views:flushing")
    try:
        if not r.exists(taken):  # a flush that died half-way is finished first
            if not r.exists(pending):
                return 0
            r.rename(pending, taken)
        counts = {int(k): int(v) for k, v in r.hgetall(taken).items()}
        _add_views(counts)
        r.delete(taken)
    except Exception:
        logger.warning("view counts not flushed: Redis failed", exc_info=True)
        return 0
    return len(counts)
