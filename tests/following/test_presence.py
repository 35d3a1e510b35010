"""Watchers connected now: each process's live sockets per round, added up over processes (bidding.presence)."""

import time

from bidding import presence


async def test_watchers_now_add_up_over_processes_and_a_dead_process_stops_counting(settings):
    rid = 900_000 + int(time.time()) % 100_000  # a round id of this run only (Redis outlives the test)
    presence.changed(rid, 3)
    await presence._write([rid])
    assert presence.watching([rid]) == {rid: 3}
    r = presence._async_redis()
    await r.hset(presence._key(rid), "other-host:1", f"2:{int(time.time())}")  # another web process
    await r.hset(presence._key(rid), "dead-host:9", f"5:{int(time.time()) - presence.STALE - 5}")  # stopped refreshing
    assert presence.watching([rid]) == {rid: 5}
    presence.changed(rid, 0)  # this process's last socket left
    await presence._write([rid])
    assert presence.watching([rid]) == {rid: 2}
    await r.delete(presence._key(rid))
