"""Watchers connected now: each process's live sockets per round, added up over processes (bidding.presence)."""

import asyncio
import time

import pytest
from asgiref.sync import sync_to_async
from django.test import AsyncClient

from bidding import presence
from tests.bidding.conftest import make_lot, make_round


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


@pytest.mark.django_db(transaction=True)
async def test_the_lot_page_polls_the_watchers_a_connected_socket_adds(enforcement_case, settings, channel_prefix):
    """The number under 人正在围观 is read again by the page (GET /rounds/<id>/watchers/): a socket that
    connects to the round (Channels' communicator, no Daphne) is counted in it, and stops counting when it leaves."""
    from channels.layers import channel_layers
    from channels.testing import WebsocketCommunicator

    from auction_site.asgi import application

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    rnd = await sync_to_async(lambda: make_round(make_lot(enforcement_case)))()
    client = AsyncClient()
    page = (await client.get(f"/lots/{rnd.lot_id}/")).content.decode()
    assert "following/watchers.js" in page and "人正在围观" in page
    assert (await client.get(f"/rounds/{rnd.pk}/watchers/")).json() == {"round_id": rnd.pk, "watching_now": 0}
    ws = WebsocketCommunicator(application, f"/ws/rounds/{rnd.pk}/")
    connected, _ = await ws.connect()
    assert connected
    assert (await ws.receive_json_from(timeout=5))["type"] == "snapshot"
    for _ in range(50):  # the count is written to Redis just after the join
        n = (await client.get(f"/rounds/{rnd.pk}/watchers/")).json()["watching_now"]
        if n == 1:
            break
        await asyncio.sleep(0.05)
    assert n == 1
    await ws.disconnect()
    await asyncio.sleep(0.2)
    assert (await client.get(f"/rounds/{rnd.pk}/watchers/")).json()["watching_now"] == 0
    channel_layers.backends.clear()
