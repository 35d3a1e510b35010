"""Watchers connected now (人正在围观): live sockets per round, over every web process.

Each process knows its own sockets (RoundRelay); `changed(round_id, n)` records its count, and the process
writes its counts to Redis — at once for the round that changed and every REFRESH seconds for all — as one
field per process of a hash per round, ``"<n>:<unix time>"``. `watching(round_ids)` adds up the fields
younger than STALE, so a process that died stops counting within STALE seconds. No database write, and a
Redis failure only costs the number (it is never in the bid path). Without Redis (the embedded demo's one
process) the local counts are the answer.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time

from django.conf import settings

logger = logging.getLogger("bidding.presence")

REFRESH = 15.0
STALE = 45
_counts: dict[int, int] = {}
_me = f"{socket.gethostname()}:{os.getpid()}"
_loop_client: tuple[asyncio.AbstractEventLoop, object] | None = None
_refresher: asyncio.Task | None = None
_sync_client = None


def _key(round_id: int) -> str:
    return f"{settings.REDIS_KEY_PREFIX}:presence:{round_id}"


def _async_redis():
    global _loop_client
    loop = asyncio.get_running_loop()
    if _loop_client is None or _loop_client[0] is not loop:
        import redis.asyncio as aioredis

        _loop_client = (loop, aioredis.Redis.from_url(settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5))
    return _loop_client[1]


async def _write(round_ids: list[int]) -> None:
    try:
        r = _async_redis()
        pipe = r.pipeline(transaction=False)
        now = int(time.time())
        for rid in round_ids:
            n = _counts.get(rid, 0)
            if n > 0:
                pipe.hset(_key(rid), _me, f"{n}:{now}")
                pipe.expire(_key(rid), STALE * 2)
            else:
                pipe.hdel(_key(rid), _me)
        await pipe.execute()
    except Exception:  # the number is best-effort
        logger.debug("presence not written", exc_info=True)


async def _refresh_forever() -> None:
    while True:
        await asyncio.sleep(REFRESH)
        await _write(list(_counts))
        for rid in [rid for rid, n in _counts.items() if n <= 0]:
            _counts.pop(rid, None)


def changed(round_id: int, n: int) -> None:
    """This process now has `n` live sockets on the round (called by the relay on join and leave)."""
    global _refresher
    _counts[round_id] = n
    if not settings.REDIS_URL:
        return
    asyncio.get_running_loop().create_task(_write([round_id]))
    if _refresher is None or _refresher.done() or _refresher.get_loop() is not asyncio.get_running_loop():
        _refresher = asyncio.get_running_loop().create_task(_refresh_forever())


def watching(round_ids: list[int]) -> dict[int, int]:
    """round id -> live sockets open now over every process (sync: for pages)."""
    global _sync_client
    if not settings.REDIS_URL:
        return {rid: _counts.get(rid, 0) for rid in round_ids}
    try:
        if _sync_client is None:
            import redis

            _sync_client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5)
        pipe = _sync_client.pipeline(transaction=False)
        for rid in round_ids:
            pipe.hvals(_key(rid))
        fresh_after = time.time() - STALE
        out = {}
        for rid, values in zip(round_ids, pipe.execute()):
            total = 0
            for v in values:
                n, _, at = v.decode().partition(":")
                if at.isdigit() and int(at) >= fresh_after:
                    total += int(n)
            out[rid] = total
        return out
    except Exception:
        logger.debug("presence not read", exc_info=True)
        return {}
