"""Live bidding over real websockets against real Daphne processes, PostgreSQL and Redis."""

import asyncio
import json
import random
import uuid
from datetime import timedelta

import pytest

from auction_site import clock
from bidding import clockwork
from bidding.models import Bid
from lots.models import Round
from tests.bidding.conftest import INCREMENT, START, WsClient, hold, make_lot, make_round, token_for

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

N_BIDDERS = 60


def setup_round(enforcement_case, bidder_factory, n, **kw):
    rnd = make_round(make_lot(enforcement_case), **kw)
    users = [bidder_factory(id_number="") for _ in range(n)]
    regs = [hold(rnd, u, f"B{i:04d}") for i, u in enumerate(users)]
    return rnd, users, regs, [token_for(u) for u in users]


def test_fifty_plus_concurrent_bidders_prices_rise_with_seq_and_every_ack_is_committed(
        daphne_servers, enforcement_case, bidder_factory, shared_layer):
    servers = daphne_servers(2)
    # The round ends in 2 minutes: every bid falls in the last 5 minutes and extends it (A20).
    rnd, users, regs, tokens = setup_round(enforcement_case, bidder_factory, N_BIDDERS, starts_in=timedelta(hours=-24),
                                           lasts=timedelta(hours=24, minutes=2))
    original_end = rnd.ends_at

    async def bidder(i, token, watcher_seen):
        c = await WsClient.connect(servers[i % 2], rnd.pk, token)
        price = c.snapshot["round"]["current_price"]
        acks, rejections = [], []
        for attempt in range(10):
            # bid on what this client last heard, sometimes jumping a few increments
            latest = [m for m in c.messages if m.get("type") == "bid"]
            if latest:
                price = max(price or 0, max(m["current_price"] for m in latest))
            amount = START + INCREMENT * random.randint(0, 5) if price is None else price + INCREMENT * random.randint(1, 40)
            rid = f"{i}-{attempt}-{uuid.uuid4().hex[:6]}"
            await c.send({"type": "bid", "amount": amount, "request_id": rid})
            reply = await c.wait_for(lambda m, rid=rid: m.get("request_id") == rid and m["type"] in ("ack", "rejected"), 30)
            (acks if reply["type"] == "ack" else rejections).append((reply, amount))
            await asyncio.sleep(random.random() * 0.05)
        await asyncio.sleep(1.0)  # let the last events arrive
        seen = [m for m in c.messages if m.get("type") == "bid"]
        await c.close()
        return acks, rejections, seen

    async def main():
        return await asyncio.gather(*[bidder(i, t, None) for i, t in enumerate(tokens)])

    results = asyncio.run(main())
    bids = list(Bid.objects.filter(round=rnd).order_by("seq"))
    rnd = Round.objects.get(pk=rnd.pk)
    all_acks = [(a, amt) for acks, _, _ in results for a, amt in acks]
    assert sum(len(a) + len(r) for a, r, _ in results) == N_BIDDERS * 10  # every request got its answer
    assert len(bids) >= 10, "the bidders should have placed many bids"
    # every ack is a committed bid with the amount that was asked, by the bidder who asked
    by_seq = {b.seq: b for b in bids}
    assert len(all_acks) == len(bids)
    for ack, amount in all_acks:
        assert by_seq[ack["seq"]].amount == amount
    for (acks, _, _), reg in zip(results, regs):
        for ack, _ in acks:
            assert by_seq[ack["seq"]].registration_id == reg.pk
    # prices strictly increase with the sequence; no two accepted bids at one price (no priority holders here)
    assert [b.seq for b in bids] == list(range(1, len(bids) + 1))
    amounts = [b.amount for b in bids]
    assert all(a < b for a, b in zip(amounts, amounts[1:]))
    assert all((a - START) % INCREMENT == 0 for a in amounts)
    # rejections carry contract codes only
    codes = {r["code"] for _, rej, _ in results for r, _ in rej}
    assert codes <= {"too_low", "rate_limited", "invalid"}
    # the extension followed the bid times: the end is the last bid's time + 5 minutes
    assert rnd.ends_at == bids[-1].placed_at + timedelta(minutes=5) > original_end
    assert (rnd.current_price, rnd.bid_count, rnd.leader_id) == (bids[-1].amount, len(bids), bids[-1].registration_id)
    # every watcher saw bid events in increasing seq order, each matching the database
    for _, _, seen in results:
        seqs = [m["seq"] for m in seen]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        for m in seen:
            assert by_seq[m["seq"]].amount == m["amount"]

    # nothing is accepted after the close, even before the clock has run
    clock.advance(int((rnd.ends_at - clock.now()).total_seconds()) + 1)

    async def late():
        c = await WsClient.connect(servers[0], rnd.pk, tokens[0])
        await c.send({"type": "bid", "amount": rnd.current_price + 10 * INCREMENT, "request_id": "late"})
        reply = await c.wait_for(lambda m: m.get("request_id") == "late")
        await c.close()
        return reply

    reply = asyncio.run(late())
    assert reply["type"] == "rejected" and reply["code"] == "closed"
    clockwork.tick(clock.now())
    rnd = Round.objects.get(pk=rnd.pk)
    assert rnd.status == "sold" and rnd.sold_price == bids[-1].amount and rnd.leader_id == bids[-1].registration_id
    assert not Bid.objects.filter(round=rnd, placed_at__gte=rnd.ends_at).exists()


def test_a_bid_through_one_daphne_reaches_watchers_on_the_other(daphne_servers, enforcement_case, bidder_factory):
    a, b = daphne_servers(2)
    rnd, users, regs, tokens = setup_round(enforcement_case, bidder_factory, 1)

    async def main():
        watchers = [await WsClient.connect(b, rnd.pk) for _ in range(3)]  # anonymous watchers on server B
        assert all(w.snapshot["you"] is None for w in watchers)
        bidder = await WsClient.connect(a, rnd.pk, tokens[0])
        assert bidder.snapshot["you"]["code"] == "B0000"
        await bidder.send({"type": "bid", "amount": START, "request_id": "r1"})
        ack = await bidder.wait_for(lambda m: m.get("request_id") == "r1")
        events = [await w.wait_for(lambda m: m.get("type") == "bid") for w in watchers]
        for w in watchers + [bidder]:
            await w.close()
        return ack, events

    ack, events = asyncio.run(main())
    assert ack["type"] == "ack" and ack["seq"] == 1
    for ev in events:
        assert ev["seq"] == 1 and ev["code"] == "B0000" and ev["amount"] == START and ev["current_price"] == START
        assert "real_name" not in ev and users[0].real_name not in str(ev)


def test_bad_input_is_refused_and_the_server_keeps_serving(live_daphne, enforcement_case, bidder_factory):
    import websockets

    rnd, users, regs, tokens = setup_round(enforcement_case, bidder_factory, 2)

    bad_frames = [
        "{not json", "[1,2,3]", '"bid"', "42", "null", '{"type": 7}', '{"type": "launch_missiles"}', '{"no_type": 1}',
        '{"type":"bid","amount":-5,"request_id":"n"}', '{"type":"bid","amount":1.5,"request_id":"f"}',
        '{"type":"bid","amount":"330925000","request_id":"s"}', '{"type":"bid","amount":1e400,"request_id":"inf"}',
        '{"type":"bid","amount":' + "9" * 400 + ',"request_id":"big"}', '{"type":"bid","request_id":"missing"}',
        '{"type":"bid","amount":true,"request_id":"b"}', '{"type":"bid","amount":330925000,"request_id":{"x":1}}',
        '{"type":"bid","amount":' + str(START) + ',"pad":"' + "x" * 8000 + '"}',
        "[" * 1100 + "]" * 1100, '{"type":"bid","amount":' + "[" * 1090 + "]" * 1090 + "}",  # 2,200 chars, deeply nested
        '{"type":"ping","x":' + '{"a":' * 500 + "1" + "}" * 500 + "}",  # parses, but nested past the bound
    ]

    async def main():
        c = await WsClient.connect(live_daphne, rnd.pk, tokens[0])
        replies = []
        for frame in bad_frames:
            await c.send(frame)
            replies.append(await c.recv())
            await asyncio.sleep(0.06)  # stay under the flood limit for this part
        await c.send(b"\x00\x01binary")
        replies.append(await c.recv())
        # a frame over Daphne's 1 MB limit closes that socket with 1009 (a close frame, not a dropped
        # connection); nothing else is affected
        big = await WsClient.connect(live_daphne, rnd.pk, tokens[1])
        await big.send('{"type":"bid","amount":1,"pad":"' + "x" * (1024 * 1024 + 10) + '"}')
        closed = None
        try:
            await big.recv(timeout=10)
        except websockets.ConnectionClosed as exc:
            closed = exc.rcvd.code if exc.rcvd is not None else "no close frame"
        # a flood: refused with rate_limited, then the socket is closed
        flood = await WsClient.connect(live_daphne, rnd.pk)
        for _ in range(400):
            try:
                await flood.send('{"type":"ping"}')
            except Exception:
                break
        flood_replies = []
        try:
            while True:
                flood_replies.append(await flood.recv(timeout=5))
        except Exception:
            pass
        # the first client is still served
        await c.send({"type": "sync"})
        snap = await c.wait_for(lambda m: m.get("type") == "snapshot" and m is not c.snapshot)
        await c.send({"type": "bid", "amount": START, "request_id": "good"})
        ack = await c.wait_for(lambda m: m.get("request_id") == "good")
        await c.close()
        return replies, closed, flood_replies, snap, ack

    replies, closed, flood_replies, snap, ack = asyncio.run(main())
    assert [r for r in replies if not (r["type"] == "rejected" and r["code"] == "invalid")] == []
    assert len(replies) == len(bad_frames) + 1  # each bad frame answered, none closed the socket (1011)
    assert closed == 1009
    assert any(r.get("code") == "rate_limited" for r in flood_replies)
    assert snap["round"]["seq"] == 0 and snap["round"]["bid_count"] == 0  # nothing changed by bad input
    assert ack["type"] == "ack" and ack["seq"] == 1
    assert Bid.objects.filter(round=rnd).count() == 1


def test_anonymous_watcher_cannot_bid_and_sees_the_close(live_daphne, enforcement_case, bidder_factory, shared_layer):
    rnd, users, regs, tokens = setup_round(enforcement_case, bidder_factory, 1)

    async def main():
        w = await WsClient.connect(live_daphne, rnd.pk)
        await w.send({"type": "bid", "amount": START, "request_id": "anon"})
        rej = await w.wait_for(lambda m: m.get("request_id") == "anon")
        return w, rej

    async def after_close(w):
        status = await w.wait_for(lambda m: m.get("type") == "status")
        await w.close()
        return status

    loop = asyncio.new_event_loop()
    try:
        w, rej = loop.run_until_complete(main())
        assert rej["type"] == "rejected" and rej["code"] == "not_registered"
        clock.advance(25 * 3600)
        report = clockwork.tick(clock.now())
        assert rnd.pk in report["closed"]["failed"]
        status = loop.run_until_complete(after_close(w))
    finally:
        loop.close()
    assert status["status"] == "failed" and status["seq"] == 1


def test_unknown_round_closes_the_socket(live_daphne):
    import websockets

    async def main():
        try:
            async with websockets.connect(f"{live_daphne.ws_url}/ws/rounds/999999/") as ws:
                await asyncio.wait_for(ws.recv(), 5)
        except Exception as exc:
            return exc
        return None

    assert asyncio.run(main()) is not None


def test_http_bids_and_proxy_messages_reach_websocket_watchers(live_daphne, enforcement_case, bidder_factory):
    import json
    import urllib.request

    rnd, users, regs, tokens = setup_round(enforcement_case, bidder_factory, 2, proxy=True)

    async def main():
        watcher = await WsClient.connect(live_daphne, rnd.pk)
        proxy_owner = await WsClient.connect(live_daphne, rnd.pk, tokens[1])
        await proxy_owner.send({"type": "proxy", "ceiling": START + 5 * INCREMENT, "request_id": "p1"})
        ack = await proxy_owner.wait_for(lambda m: m.get("request_id") == "p1")
        first = await watcher.wait_for(lambda m: m.get("type") == "bid" and m["seq"] == 1)

        def http_bid():
            req = urllib.request.Request(f"{live_daphne.url}/api/v1/rounds/{rnd.pk}/bids/", method="POST",
                                         data=json.dumps({"amount": START + 2 * INCREMENT}).encode(),
                                         headers={"Content-Type": "application/json", "Authorization": f"Token {tokens[0]}"})
            return json.loads(urllib.request.urlopen(req, timeout=20).read())

        body = await asyncio.get_running_loop().run_in_executor(None, http_bid)
        second = await watcher.wait_for(lambda m: m.get("type") == "bid" and m["seq"] == 2)
        answer = await watcher.wait_for(lambda m: m.get("type") == "bid" and m["seq"] == 3)
        for c in (watcher, proxy_owner):
            await c.close()
        return ack, first, body, second, answer

    ack, first, body, second, answer = asyncio.run(main())
    assert ack["type"] == "proxy_ack" and ack["placed"][0]["amount"] == START
    assert first["code"] == "B0001" and first["proxy"] is True
    assert body["seq"] == 2 and second["code"] == "B0000" and second["amount"] == START + 2 * INCREMENT
    assert answer["code"] == "B0001" and answer["proxy"] and answer["amount"] == START + 3 * INCREMENT


def test_a_page_on_another_site_cannot_bid_with_the_session_cookie(live_daphne, enforcement_case, bidder_factory):
    import websockets
    from django.test import Client

    rnd, users, regs, tokens = setup_round(enforcement_case, bidder_factory, 1)
    client = Client()
    client.force_login(users[0])
    cookie = f"sessionid={client.cookies['sessionid'].value}"

    async def attempt(origin, query=""):
        url = f"{live_daphne.ws_url}/ws/rounds/{rnd.pk}/{query}"
        async with websockets.connect(url, origin=origin, additional_headers={"Cookie": cookie}) as ws:
            snap = json.loads(await asyncio.wait_for(ws.recv(), 10))
            await ws.send(json.dumps({"type": "bid", "amount": START, "request_id": "x"}))
            while True:
                reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if reply.get("request_id") == "x":
                    return snap, reply

    snap, reply = asyncio.run(attempt("http://evil.example"))
    assert snap["you"] is None and reply["code"] == "not_registered"
    # nor by naming an empty or unknown token, or by putting "token=" anywhere in the query string
    for query in ("?token=", "?round=1&token=", "?token=forged", "?x=token="):
        snap, reply = asyncio.run(attempt("http://evil.example", query))
        assert snap["you"] is None and reply["code"] == "not_registered", query
    assert not Bid.objects.filter(round=rnd).exists()
    snap, reply = asyncio.run(attempt(live_daphne.url))  # the site's own page
    assert snap["you"]["code"] == "B0000" and reply["type"] == "ack"
