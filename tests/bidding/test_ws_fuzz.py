"""Websocket fuzz (issue 13): random and malformed frames of every client type, against a real Daphne.
Each frame gets `rejected` (with a contract code) or a valid answer; none closes the socket (no 1011),
and the socket stays usable after all of them."""

import asyncio
import json

import pytest
import websockets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.bidding.conftest import INCREMENT, START, WsClient, hold, make_lot, make_round, token_for

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

CODES = {"too_low", "not_on_increment", "not_registered", "not_open", "closed", "barred", "rate_limited", "invalid"}
ANSWERS = {"rejected", "ack", "pong", "proxy_ack", "snapshot"}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
amounts = st.one_of(json_values, st.integers(), st.integers(0, 60).map(lambda k: START + k * INCREMENT),
                    st.integers(-2**70, 2**70), st.sampled_from([0, -1, 10**15, 10**15 + 1, 2**63, 1.5, "1", True]))
request_ids = st.one_of(st.none(), st.text(max_size=80), st.integers(-2**60, 2**60), json_values)


def message(kind) -> st.SearchStrategy:
    return st.fixed_dictionaries({"type": st.just(kind)}, optional={
        "amount": amounts, "ceiling": amounts, "request_id": request_ids, "extra": json_values})


kinds = st.sampled_from(["bid", "proxy", "sync", "ping"]) | json_values
objects = kinds.flatmap(message)
frames = st.one_of(
    objects.map(json.dumps),  # well formed, each type, random fields
    st.tuples(objects.map(json.dumps), st.integers(1, 30)).map(lambda t: t[0][:-t[1]]),  # cut short
    json_values.map(json.dumps),  # JSON, but not an object (or an object without a type)
    st.text(max_size=300),  # anything
    st.binary(max_size=300),  # binary frames
    st.integers(1, 3000).map(lambda d: "[" * d + "]" * d),  # nesting, up to the parser's limit and past it
    st.integers(1, 800).map(lambda d: '{"type":"bid","amount":' + '{"a":' * d + "1" + "}" * d + "}"),
    st.integers(4000, 40_000).map(lambda n: '{"type":"ping","pad":"' + "x" * n + '"}'),  # over 4 KB, under 1 MB
)


def test_random_and_malformed_frames_of_each_type_get_an_answer_and_never_close_the_socket(daphne_servers, enforcement_case, bidder_factory):
    (server,) = daphne_servers(1, env={"BIDDING_MAX_MESSAGES_PER_SECOND": "100000", "BIDDING_MAX_BIDS_PER_SECOND": "0"})
    rnd = make_round(make_lot(enforcement_case), proxy=True)
    users = [bidder_factory(id_number="") for _ in range(2)]
    for i, user in enumerate(users):
        hold(rnd, user, f"Z{i:04d}")
    loop = asyncio.new_event_loop()
    clients = [loop.run_until_complete(WsClient.connect(server, rnd.pk, token_for(u))) for u in users]
    clients.append(loop.run_until_complete(WsClient.connect(server, rnd.pk)))  # an anonymous watcher
    answered: list[str] = []

    async def exchange(client: WsClient, frame) -> dict:
        await client.ws.send(frame)
        while True:  # broadcasts (other sockets' bids, the relay's events) may come first
            reply = json.loads(await asyncio.wait_for(client.ws.recv(), 20))
            if reply.get("type") in ANSWERS:
                return reply

    @settings(max_examples=400, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(frame=frames, who=st.integers(0, len(clients) - 1))
    def check(frame, who):
        try:
            reply = loop.run_until_complete(exchange(clients[who], frame))
        except websockets.ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd is not None else "dropped"
            clients[who] = loop.run_until_complete(WsClient.connect(server, rnd.pk, token_for(users[who]) if who < 2 else None))
            raise AssertionError(f"socket closed ({code}) by {frame[:200]!r}") from None
        assert reply["type"] in ANSWERS
        if reply["type"] == "rejected":
            assert reply["code"] in CODES, reply
            assert "could not be processed" not in reply["message"], (frame[:200], reply)  # no internal error behind it
        answered.append(reply["type"])

    try:
        check()
        # every socket is still usable: a ping, a sync, and a bid on the grid
        for client in clients:
            assert loop.run_until_complete(exchange(client, json.dumps({"type": "ping"})))["type"] == "pong"
            snap = loop.run_until_complete(exchange(client, json.dumps({"type": "sync"})))
            assert snap["type"] == "snapshot"
        price = snap["round"]["current_price"]
        leader = snap["round"]["leader_code"]
        bidder = clients[1] if leader == "Z0000" else clients[0]
        amount = START if price is None else price + INCREMENT
        reply = loop.run_until_complete(exchange(bidder, json.dumps({"type": "bid", "amount": amount, "request_id": "last"})))
        assert reply["type"] in ("ack", "rejected") and reply["request_id"] == "last"
        if reply["type"] == "rejected":  # a proxy may have moved the price meanwhile: never a protocol fault
            assert reply["code"] in ("too_low", "invalid") and "processed" not in reply["message"]
    finally:
        for client in clients:
            loop.run_until_complete(client.close())
        loop.close()
    assert "rejected" in answered and len(answered) >= 100
