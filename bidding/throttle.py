"""Per-bidder rate limit on bids (refusal code `rate_limited`), shared by every process through Redis.

A fixed one-second window per (bidder, round): at most BIDDING_MAX_BIDS_PER_SECOND bids. Redis is
only an aid: if it is not configured or does not answer, an in-process token bucket does the job.

A Redis outage must not slow bidding down (every batch asks the limit before it takes the round's
lock). So a call waits at most REDIS_TIMEOUT (no retries), and after one failure Redis is left alone:
the per-process bucket decides while a background thread pings Redis every PROBE_INTERVAL, and the
shared count resumes once Redis answers again. At most one batch per outage waits for the timeout.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from django.conf import settings

logger = logging.getLogger("bidding.throttle")

REDIS_TIMEOUT = float(os.environ.get("BIDDING_RATE_LIMIT_REDIS_TIMEOUT", "0.2"))  # seconds, connect and reply
PROBE_INTERVAL = 0.5  # seconds between pings while Redis is away

_client = None
_client_lock = threading.Lock()
_redis_down = threading.Event()  # set: Redis failed; the local bucket decides until a ping succeeds
_local: dict[tuple[int, int], list[float]] = {}
_local_lock = threading.Lock()


def max_per_second() -> int:
    """Settings first, then the environment (operators and the benchmark set it per process); 0 turns it off."""
    value = getattr(settings, "BIDDING_MAX_BIDS_PER_SECOND", None)
    if value is None:
        value = os.environ.get("BIDDING_MAX_BIDS_PER_SECOND", "5")
    return int(value)


def _redis():
    global _client
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return None
    if _client is None:
        with _client_lock:
            if _client is None:
                import redis
                from redis.backoff import NoBackoff
                from redis.retry import Retry

                _client = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT,
                                               retry=Retry(NoBackoff(), 0))
    return _client


def redis_in_use() -> bool:
    """Whether the limit is counted in Redis now (False while it is away, or not configured)."""
    return _redis() is not None and not _redis_down.is_set()


def _redis_failed(client) -> None:
    """Stop asking Redis; ping it in the background until it answers."""
    if _redis_down.is_set():
        return
    _redis_down.set()
    threading.Thread(target=_probe, args=(client,), name="bidding-throttle-probe", daemon=True).start()


def _probe(client) -> None:
    while True:
        time.sleep(PROBE_INTERVAL)
        try:
            client.ping()
        except Exception:
            continue
        logger.info("rate limit: Redis answers again, counting there")
        _redis_down.clear()
        return


class TokenBucket:
    """`rate` tokens per second, at most `burst` saved up."""

    def __init__(self, rate: float, burst: float):
        self.rate, self.burst = rate, burst
        self.tokens, self.at = burst, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def _allow_local(user_id: int, round_id: int, limit: int) -> bool:
    key = (user_id, round_id)
    with _local_lock:
        if len(_local) > 50_000:
            _local.clear()
        state = _local.get(key)
        bucket = TokenBucket(limit, limit)
        if state is not None:
            bucket.tokens, bucket.at = state
        ok = bucket.take()
        _local[key] = [bucket.tokens, bucket.at]
        return ok


# One script call per batch: each key (bidder, round, second) counted in order, expiring with its window.
_COUNT_SCRIPT = """
local counts = {}
for i, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('EXPIRE', key, 2) end
  counts[i] = n
end
return counts
"""
_script = None


def allow_bid(user_id: int, round_id: int) -> bool:
    return allow_bids([user_id], round_id)[0]


def allow_bids(user_ids: list[int], round_id: int) -> list[bool]:
    """`allow_bid` for several attempts at once (one Redis command); attempts of the same bidder
    count one after the other, in the given order."""
    return allow_pairs([(uid, round_id) for uid in user_ids])


def allow_pairs(pairs: list[tuple[int, int]]) -> list[bool]:
    """`allow_bid` for (bidder, round) attempts on any rounds, in one Redis command."""
    global _script
    limit = max_per_second()
    if limit <= 0 or not pairs:
        return [True] * len(pairs)
    client = _redis()
    if client is not None and not _redis_down.is_set():
        window = int(time.time())
        prefix = getattr(settings, "CHANNEL_LAYERS", {}).get("default", {}).get("CONFIG", {}).get("prefix", "auction")
        try:
            if _script is None:
                _script = client.register_script(_COUNT_SCRIPT)
            counts = _script(keys=[f"{prefix}:bidrate:{round_id}:{uid}:{window}" for uid, round_id in pairs])
            return [int(count) <= limit for count in counts]
        except Exception as exc:
            logger.warning("rate limit: Redis unavailable (%r), using the in-process bucket until it answers", exc)
            _redis_failed(client)
    return [_allow_local(uid, round_id, limit) for uid, round_id in pairs]
