"""13.9: during a Redis outage the per-bidder rate limit fails fast to the per-process bucket, so a
bid batch does not wait for Redis (today: 0.5 s per batch while Redis hangs), and counts in Redis
again once it answers. Against a real redis-server of the test's own, frozen and stopped."""

import time

import pytest

from bidding import throttle
from tests.bidding.private_redis import private_redis  # noqa: F401 (fixture)


@pytest.fixture
def limit_on(settings, private_redis, monkeypatch):  # noqa: F811
    settings.REDIS_URL = private_redis.url
    settings.BIDDING_MAX_BIDS_PER_SECOND = 5
    monkeypatch.setattr(throttle, "_client", None)
    monkeypatch.setattr(throttle, "_script", None)
    monkeypatch.setattr(throttle, "_local", {})
    monkeypatch.setattr(throttle, "PROBE_INTERVAL", 0.1)
    throttle._redis_down.clear()
    yield private_redis
    private_redis.resume()
    throttle._redis_down.clear()


def _keys(redis_server) -> list[bytes]:
    return redis_server.client().keys("*bidrate*")


def _counted_while_hung(server, user_id, round_id, calls):
    started = time.monotonic()
    answers = [throttle.allow_bids([user_id], round_id)[0] for _ in range(calls)]
    return answers, time.monotonic() - started


def test_a_hung_redis_costs_one_short_wait_then_the_process_limit_decides_until_it_answers(limit_on):
    server = limit_on
    assert throttle.allow_bids([1], 10) == [True] and _keys(server)  # counted in Redis
    server.freeze()
    # 30 batches (as a busy round makes in well under a second): the first waits for the bounded
    # timeout, the rest do not touch Redis. Today every one waited 0.5 s (15 s in all).
    answers, took = _counted_while_hung(server, 2, 10, 30)
    assert took < 2.0
    assert not throttle.redis_in_use()
    assert answers[:5] == [True] * 5 and answers.count(True) <= 6  # still 5 per second, per process
    server.resume()
    for _ in range(100):
        if throttle.redis_in_use():
            break
        time.sleep(0.05)
    assert throttle.redis_in_use()  # the background ping found it back
    server.client().flushall()
    assert throttle.allow_bids([3], 10) == [True] and _keys(server)  # counted in Redis again


def test_a_stopped_redis_does_not_stop_bidding_and_a_restarted_one_is_used_again(limit_on):
    server = limit_on
    server.stop()
    answers, took = _counted_while_hung(server, 4, 11, 30)
    assert took < 2.0 and not throttle.redis_in_use()
    assert answers[:5] == [True] * 5 and answers.count(True) <= 6
    server.start()  # same port, empty
    for _ in range(100):
        if throttle.redis_in_use():
            break
        time.sleep(0.05)
    assert throttle.allow_bids([5], 11) == [True] and _keys(server)
