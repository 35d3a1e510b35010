"""Faults against real processes (issue 13): Redis stopped and restarted mid-round, a Daphne process
killed with SIGKILL, the clock killed while a round's end passes and two clocks started at once.
Real Daphne processes, PostgreSQL, a redis-server of the test's own, `manage.py run_clock` processes."""

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
import websockets

from auction_site import clock
from auction_site.models import AuditRecord
from bidding.models import Bid
from bidding.services import place_bid
from lots.models import Round
from tests.bidding.conftest import INCREMENT, START, WsClient, hold, make_lot, make_round, token_for
from tests.bidding.private_redis import private_redis  # noqa: F401 (fixture)
from tests.conftest import ARTIFACTS, ROOT, _test_env

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def setup_round(enforcement_case, bidder_factory, n, **kw):
    rnd = make_round(make_lot(enforcement_case), **kw)
    users = [bidder_factory(id_number="") for _ in range(n)]
    regs = [hold(rnd, u, f"F{i:04d}") for i, u in enumerate(users)]
    return rnd, users, regs, [token_for(u) for u in users]


async def bid(client: WsClient, amount: int, timeout: float = 15) -> dict:
    rid = uuid.uuid4().hex[:12]
    await client.send({"type": "bid", "amount": amount, "request_id": rid})
    return await client.wait_for(lambda m: m.get("request_id") == rid and m["type"] in ("ack", "rejected"), timeout)


async def got_event(client: WsClient, seq: int, timeout: float) -> bool:
    try:
        await client.wait_for(lambda m: m.get("type") == "bid" and m.get("seq") == seq, timeout)
        return True
    except TimeoutError:
        return False


def test_redis_stopped_and_restarted_mid_round_bids_go_on_relays_recover_and_late_watchers_get_live_events(
        daphne_servers, private_redis, enforcement_case, bidder_factory, settings):  # noqa: F811
    settings.BIDDING_MAX_BIDS_PER_SECOND = 0
    a, b = daphne_servers(2, env={"REDIS_URL": private_redis.url})
    rnd, users, regs, tokens = setup_round(enforcement_case, bidder_factory, 2)

    async def main():
        early = await WsClient.connect(a, rnd.pk)  # A's relay for the round subscribes before the outage
        bidders = [await WsClient.connect(a, rnd.pk, t) for t in tokens]
        first = await bid(bidders[0], START)
        assert first["type"] == "ack" and await got_event(early, 1, 10)

        private_redis.stop()
        during = [await bid(bidders[1], START + INCREMENT), await bid(bidders[0], START + 2 * INCREMENT)]  # bids go on
        # B has no socket on the round yet: its relay is created while Redis is away
        late = [await WsClient.connect(b, rnd.pk) for _ in range(2)]
        assert all(w.snapshot["round"]["seq"] == 3 for w in late)  # the snapshot comes from PostgreSQL
        private_redis.start()  # same port, empty

        # bids go on until the relays deliver again (each relay retries with backoff, at most 5 s apart)
        seq, turn, recovered_at, deadline = 3, 1, None, time.monotonic() + 40
        while time.monotonic() < deadline:
            reply = await bid(bidders[turn], START + (seq + 1) * INCREMENT)
            assert reply["type"] == "ack", reply
            seq, turn = reply["seq"], 1 - turn
            if all([await got_event(w, seq, 1.5) for w in (*late, early)]):
                recovered_at = seq
                break
        # and from then on every watcher gets each event live, the late ones included
        reply = await bid(bidders[turn], START + (seq + 1) * INCREMENT)
        after = [await got_event(w, reply["seq"], 10) for w in (*late, early)]
        resynced = [sum(1 for m in w.messages if m["type"] == "snapshot") for w in late]
        for c in (*late, early, *bidders):
            await c.close()
        return first, during, recovered_at, reply, after, resynced

    first, during, recovered_at, last, after, resynced = asyncio.run(main())
    assert [d["type"] for d in during] == ["ack", "ack"] and [d["seq"] for d in during] == [2, 3]
    assert recovered_at is not None, "the relays never delivered again after Redis came back"
    assert last["type"] == "ack" and all(after)
    assert all(n >= 1 for n in resynced)  # the relay created in the outage gave its sockets a fresh snapshot
    acked = [first, *during, last]
    by_seq = {bid.seq: bid.amount for bid in Bid.objects.filter(round=rnd)}
    assert all(ack["seq"] in by_seq for ack in acked)
    assert sorted(by_seq) == list(range(1, len(by_seq) + 1))


def test_a_daphne_killed_with_sigkill_its_clients_reconnect_to_the_other_and_no_acked_bid_is_lost(
        daphne_servers, enforcement_case, bidder_factory, shared_layer, settings):
    settings.BIDDING_MAX_BIDS_PER_SECOND = 0
    a, b = daphne_servers(2, env={"BIDDING_MAX_BIDS_PER_SECOND": "0"})
    n = 8
    rnd, users, regs, tokens = setup_round(enforcement_case, bidder_factory, n)
    killed = asyncio.Event()
    acks_total = [0]

    async def bidder(i: int):
        client, acks, reconnected, after_kill = await WsClient.connect(a, rnd.pk, tokens[i]), [], 0, 0
        price = None
        for _ in range(25):
            seen = [m["current_price"] for m in client.messages if m.get("type") in ("bid", "ack") and "current_price" in m]
            snaps = [m["round"]["current_price"] for m in client.messages if m.get("type") == "snapshot" and m["round"]["current_price"]]
            price = max([p for p in (*seen, *snaps, price) if p] or [0]) or None
            amount = START if price is None else price + INCREMENT * random.randint(1, 3)
            try:
                reply = await bid(client, amount, timeout=10)
            except (websockets.ConnectionClosed, TimeoutError, OSError):
                # the process is gone: reconnect to the other one, as the live page does, and resync
                for _ in range(50):
                    try:
                        client = await WsClient.connect(b, rnd.pk, tokens[i])
                        break
                    except OSError:
                        await asyncio.sleep(0.2)
                reconnected += 1
                continue
            if reply["type"] == "ack":
                acks.append((reply["seq"], amount))
                acks_total[0] += 1
                if killed.is_set():
                    after_kill += 1
            await asyncio.sleep(random.random() * 0.05)
        await client.close()
        return acks, reconnected, after_kill

    async def killer():
        while acks_total[0] < 15:
            await asyncio.sleep(0.02)
        os.kill(a.proc.pid, signal.SIGKILL)
        killed.set()

    async def main():
        return await asyncio.gather(killer(), *[bidder(i) for i in range(n)])

    _, *results = asyncio.run(main())
    assert a.proc.wait(10) == -signal.SIGKILL
    assert all(reconnected >= 1 for _, reconnected, _ in results)  # every client moved to the other process
    assert sum(after for _, _, after in results) >= 5  # and bid on there
    bids = {x.seq: x for x in Bid.objects.filter(round=rnd)}
    for (acks, _, _), reg in zip(results, regs):
        for seq, amount in acks:  # no acked bid lost: each is a committed bid of that bidder, at that amount
            assert bids[seq].amount == amount and bids[seq].registration_id == reg.pk
    amounts = [bids[s].amount for s in sorted(bids)]
    assert sorted(bids) == list(range(1, len(bids) + 1)) and all(x < y for x, y in zip(amounts, amounts[1:]))


def _start_clock(prefix: str, name: str) -> subprocess.Popen:
    log = open(ARTIFACTS / f"clock-{name}-{uuid.uuid4().hex[:6]}.log", "wb")
    return subprocess.Popen([sys.executable, "manage.py", "run_clock", "--interval", "0.1"], cwd=ROOT,
                            env=_test_env(prefix), stdout=log, stderr=subprocess.STDOUT)


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_the_clock_killed_as_a_rounds_end_passes_then_two_clocks_at_once_close_it_once_with_the_same_winner(
        enforcement_case, bidder_factory, channel_prefix, settings):
    settings.BIDDING_MAX_BIDS_PER_SECOND = 0
    rnd, users, regs, _ = setup_round(enforcement_case, bidder_factory, 2, lasts=timedelta(hours=2))
    assert place_bid(users[0], round_id=rnd.pk, amount=START).accepted
    assert place_bid(users[1], round_id=rnd.pk, amount=START + 3 * INCREMENT).accepted  # the winner
    assert place_bid(users[0], round_id=rnd.pk, amount=START + 2 * INCREMENT).code == "too_low"
    # a round the clock opens: once it is open, the clock process is ticking
    beacon = make_round(make_lot(enforcement_case, title="信标"), status="announced", starts_in=timedelta(seconds=-1))
    clocks = []
    try:
        first = _start_clock(channel_prefix, "first")
        clocks.append(first)
        _wait(lambda: Round.objects.get(pk=beacon.pk).status == "open", 60, "the clock to open the beacon round")
        rnd.refresh_from_db()
        clock.advance(int((rnd.ends_at - clock.now()).total_seconds()) + 1)  # the end passes ...
        time.sleep(random.random() * 0.3)
        first.send_signal(signal.SIGKILL)  # ... and the clock dies, maybe in the middle of the close
        first.wait(10)
        status = Round.objects.get(pk=rnd.pk).status
        assert status in ("open", "sold")  # never half closed: the close is one transaction
        assert place_bid(users[0], round_id=rnd.pk, amount=START + 5 * INCREMENT).code == "closed"  # no clock: still no late bid
        clocks += [_start_clock(channel_prefix, "second"), _start_clock(channel_prefix, "third")]  # two at once
        _wait(lambda: Round.objects.get(pk=rnd.pk).status == "sold", 60, "the round to be closed")
        time.sleep(2)  # both keep ticking over the closed round
    finally:
        for proc in clocks:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(10)
    rnd.refresh_from_db()
    assert (rnd.status, rnd.sold_price, rnd.leader_id, rnd.closed_at) == ("sold", START + 3 * INCREMENT, regs[1].pk, rnd.ends_at)
    closes = AuditRecord.objects.filter(object_type="lots.round", object_id=str(rnd.pk), action="round.sold")
    assert closes.count() == 1
    assert not Round.objects.filter(previous=rnd).exists() and Bid.objects.filter(round=rnd).count() == 2
