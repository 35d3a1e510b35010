"""The cross-round group commit (bidding.committer, services.place_across) on real PostgreSQL: single bids
on many rounds from many threads at once are placed several rounds to a transaction, and each bidder
gets exactly what the one-round engine would have given them — while the clock closes one of the rounds
in the middle of it."""

import concurrent.futures
import json
import random
import threading
import time
import urllib.request
from datetime import timedelta

import pytest
from django.db import connection

from auction_site import audit, clock
from auction_site.errors import NotFound
from bidding import services
from bidding.clockwork import close_round
from bidding.models import Bid
from lots.models import Round
from tests.bidding.conftest import INCREMENT, START, hold, make_lot, make_round

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres_only(no_throttle):
    if connection.vendor != "postgresql":
        pytest.skip("the cross-round commit is PostgreSQL's")


def test_single_bids_on_many_rounds_from_many_threads_share_transactions_and_lose_nothing(enforcement_case, bidder_factory):
    rounds = [make_round(make_lot(enforcement_case, title=f"标的 {k}")) for k in range(4)]
    closing = rounds[0]
    bidders = {rnd.pk: [(u, hold(rnd, u, f"C{i:02d}")) for i, u in enumerate(bidder_factory() for _ in range(4))] for rnd in rounds}
    acks: list[tuple[int, int, int]] = []
    refusals: dict[str, int] = {}
    lock = threading.Lock()
    closed = threading.Event()
    barrier = threading.Barrier(13)

    def bidder(k: int) -> None:
        rng = random.Random(k)
        barrier.wait()
        try:
            for n in range(12):
                rnd = rng.choice(rounds)
                user, _ = rng.choice(bidders[rnd.pk])
                # amounts rise with time, so most bids on a round are valid
                amount = START + INCREMENT * (n * 20 + k + 1)
                result = services.place_bid(user, round_id=rnd.pk, amount=amount, via="test")
                with lock:
                    if result.accepted:
                        acks.append((rnd.pk, result.seq, result.amount))
                    else:
                        refusals[result.code] = refusals.get(result.code, 0) + 1
        finally:
            connection.close()

    def the_clock() -> None:
        barrier.wait()
        try:
            Round.objects.filter(pk=closing.pk).update(ends_at=clock.now())  # its end has come
            for _ in range(500):  # the clock skips a round locked right now and takes it at its next tick
                close_round(closing.pk, clock.now())
                if Round.objects.filter(pk=closing.pk).exclude(status=Round.Status.OPEN).exists():
                    closed.set()
                    return
                time.sleep(0.01)
        finally:
            connection.close()

    threads = [threading.Thread(target=bidder, args=(k,)) for k in range(12)] + [threading.Thread(target=the_clock)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a worker is stuck (deadlock?)"
    assert closed.is_set()

    # every acknowledged bid is in the database, once, as acknowledged; nothing else is
    stored = {(r, s): a for r, s, a in Bid.objects.values_list("round_id", "seq", "amount")}
    assert len(acks) == len(set((r, s) for r, s, _ in acks)) == len(stored)
    assert all(stored[(r, s)] == a for r, s, a in acks)
    # per round: prices strictly rise in sequence order, and the live state is the last bid
    for rnd in rounds:
        rows = list(Bid.objects.filter(round=rnd).order_by("seq").values_list("amount", "placed_at"))
        assert all(a < b for (a, _), (b, _) in zip(rows, rows[1:]))
        rnd.refresh_from_db()
        if rows:
            assert rnd.current_price == rows[-1][0] and rnd.bid_count == len(rows)
    # the closed round took no bid after its close (A20: bids only while it is open)
    closing.refresh_from_db()
    assert closing.status != Round.Status.OPEN
    assert not Bid.objects.filter(round=closing, placed_at__gt=closing.closed_at).exists()
    assert refusals.get("closed", 0) > 0 or closing.bid_count == Bid.objects.filter(round=closing).count()
    # several rounds' bids were committed by one transaction (the same xmin), and every chain holds
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM (SELECT xmin::text FROM bidding_bid GROUP BY 1 HAVING count(DISTINCT round_id) > 1) t")
        shared = cur.fetchone()[0]
    assert shared > 0
    assert audit.verify_chains() is None


def test_a_batch_of_an_auction_a_selloff_and_an_unknown_round_gives_each_its_own_answer(enforcement_case, bidder_factory):
    auction = make_round(make_lot(enforcement_case, title="住宅"))
    selloff = make_round(make_lot(enforcement_case, title="车位"), kind="selloff", lasts=timedelta(days=60))
    a, b, c = (bidder_factory() for _ in range(3))
    hold(auction, a, "A01")
    hold(auction, b, "A02")
    hold(selloff, c, "S01")
    missing = Round.objects.order_by("-pk").first().pk + 1000
    items = [
        (auction.pk, services.BidAttempt(a, START, request_id=1)),
        (selloff.pk, services.BidAttempt(c, selloff.starting_price, request_id=2)),
        (auction.pk, services.BidAttempt(b, START, request_id=3)),  # not above the price a just set: refused
        (missing, services.BidAttempt(a, START, request_id=4)),
        (auction.pk, services.BidAttempt(b, START + INCREMENT, request_id=5)),
        (auction.pk, services.BidAttempt(b, "12.5", request_id=6)),  # not a number of fen
    ]
    results = services.place_across(items)
    assert results[0].accepted and results[0].seq == 1
    assert results[1].accepted and results[1].status == Round.Status.SOLD  # A26/A37: bought at the full price
    assert not results[2].accepted and results[2].code == "too_low"
    assert isinstance(results[3], NotFound)
    assert results[4].accepted and results[4].seq == 2 and results[4].current_price == START + INCREMENT
    assert not results[5].accepted and results[5].code == "invalid"
    auction.refresh_from_db()
    selloff.refresh_from_db()
    assert (auction.current_price, auction.bid_count, auction.leader_code) == (START + INCREMENT, 2, "A02")
    assert selloff.status == Round.Status.SOLD and selloff.sold_price == selloff.starting_price
    assert [r.request_id for r in results if not isinstance(r, NotFound)] == [1, 2, 3, 5, 6]
    assert audit.verify_chains() is None


@pytest.mark.live
def test_http_bids_through_a_small_connection_pool_are_all_answered_at_once(enforcement_case, bidder_factory, channel_prefix):
    """Every HTTP request holds a pooled connection until it ends, and waits for the committer meanwhile:
    the committer's own connection is not the pool's, so more bids in flight than the pool has connections
    are all answered (with a pool of 2, eight bids once waited the pool's 10 s timeout and were refused)."""
    from rest_framework.authtoken.models import Token

    from tests.conftest import start_daphne, stop_daphne

    bidders = []
    for k in range(8):  # one first bid on each of 8 rounds: every one of them valid, whatever the order
        rnd, user = make_round(make_lot(enforcement_case, title=f"标的 {k}")), bidder_factory()
        hold(rnd, user, "P01")
        bidders.append((rnd.pk, Token.objects.create(user=user).key, START))
    server = start_daphne(channel_prefix, extra_env={"DB_POOL_MAX_SIZE": "2", "BIDDING_MAX_BIDS_PER_SECOND": "0"})

    def post(job):
        round_id, token, amount = job
        request = urllib.request.Request(f"{server.url}/api/v1/rounds/{round_id}/bids/", data=json.dumps({"amount": amount}).encode(),
                                         headers={"Authorization": f"Token {token}", "Content-Type": "application/json"})
        started = time.monotonic()
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read()), time.monotonic() - started

    try:
        urllib.request.urlopen(f"{server.url}/healthz", timeout=30).read()  # the server warmed up
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(post, bidders))
    finally:
        stop_daphne(server)
    assert [status for status, _, _ in answers] == [201] * 8
    assert max(seconds for _, _, seconds in answers) < 5
    assert Bid.objects.count() == 8


def test_a_failed_batch_is_refused_to_every_caller_and_the_committer_goes_on():
    from bidding import committer

    calls: list[list] = []

    def place_batch(items):
        calls.append([attempt for _, attempt, _ in items])
        if len(calls) == 1:
            raise RuntimeError("the database went away mid-batch")
        return [f"placed {attempt}" for _, attempt, _ in items]

    queue = committer.Committer(place_batch, lambda attempt: f"refused {attempt}", threads=1)
    first = queue.place(1, "a")
    answers: list[str] = []
    threads = [threading.Thread(target=lambda n=n: answers.append(queue.place(n, f"b{n}"))) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert first == "refused a"  # never reported placed: nothing of a failed batch was committed
    assert sorted(answers) == ["placed b0", "placed b1", "placed b2", "placed b3"]
    assert sum(len(c) for c in calls) == 5
    queue.close_connections()


def test_lone_socket_bids_awaited_on_the_loop_are_placed_together_and_a_cancelled_caller_breaks_nothing(enforcement_case, bidder_factory):
    """A socket's lone bid is awaited on the event loop (services.place_one_async): no worker thread waits
    for it, so every bid the loop has in flight joins the committer's batch; a caller cancelled while its
    bid is in the committer (a closing socket) leaves the bid to be placed and the others answered."""
    import asyncio

    rounds = [make_round(make_lot(enforcement_case, title=f"标的 {k}")) for k in range(4)]
    bidders = {rnd.pk: [(u, hold(rnd, u, f"L{i:02d}")) for i, u in enumerate(bidder_factory() for _ in range(6))] for rnd in rounds}

    async def main():
        async def bid(k: int, rnd, n: int):
            user, _ = bidders[rnd.pk][k % 6]
            return await services.place_one_async(rnd.pk, services.BidAttempt(user, START + INCREMENT * (n * 24 + k), k, "ws"))

        answers = []
        for n in range(3):  # 24 bids in flight at once, 6 on each round
            jobs = [asyncio.create_task(bid(k, rounds[k % 4], n)) for k in range(24)]
            if n == 1:
                await asyncio.sleep(0)
                jobs[0].cancel()  # its socket closed: the bid stays with the committer
            answers.extend(await asyncio.gather(*jobs, return_exceptions=True))
        return answers

    answers = asyncio.run(main())
    cancelled = [a for a in answers if isinstance(a, asyncio.CancelledError)]
    results = [a for a in answers if not isinstance(a, BaseException)]
    assert len(cancelled) == 1 and len(results) == 71
    acks = [(r.seq, r.amount) for r in results if r.accepted]
    assert len(acks) >= 4 * 3  # the rising amounts: at least one bid per round and wave is valid
    stored = dict(Bid.objects.values_list("amount", "seq"))
    assert all(stored.get(amount) is not None for _, amount in acks)  # every ack is committed
    assert len(stored) in (len(acks), len(acks) + 1)  # plus, perhaps, the cancelled caller's bid
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM (SELECT xmin::text FROM bidding_bid GROUP BY 1 HAVING count(DISTINCT round_id) > 1) t")
        assert cur.fetchone()[0] > 0  # several rounds' bids in one transaction
    assert audit.verify_chains() is None


def test_a_batch_commits_its_free_rounds_without_waiting_for_a_round_another_transaction_holds(enforcement_case, bidder_factory):
    """The batch's lock skips a round another process's transaction holds now: the bids on the other
    rounds are committed at once, the held round's after it is free (in a second transaction), so no
    batch holds its rounds while it waits for another's."""
    import psycopg

    held, free = (make_round(make_lot(enforcement_case, title=t)) for t in ("住宅", "车位"))
    a, b = bidder_factory(), bidder_factory()
    hold(held, a, "H01")
    hold(free, b, "F01")
    dsn = connection.get_connection_params()
    other = psycopg.connect(**{k: v for k, v in dsn.items() if k in ("host", "port", "user", "dbname", "password")})
    other.execute("SELECT id FROM lots_round WHERE id = %s FOR UPDATE", [held.pk])  # another process's batch
    outcome: dict = {}

    def place() -> None:
        try:
            outcome["results"] = services.place_across([(held.pk, services.BidAttempt(a, START, 1)),
                                                        (free.pk, services.BidAttempt(b, START, 2))])
        finally:
            connection.close()

    worker = threading.Thread(target=place)
    worker.start()
    deadline = time.monotonic() + 10
    while not Bid.objects.filter(round=free).exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        assert Bid.objects.filter(round=free).exists()  # committed while the other round is still held
        assert not Bid.objects.filter(round=held).exists()
        assert worker.is_alive()  # the held round's bid waits for its lock
    finally:
        other.rollback()
        other.close()
    worker.join(10)
    results = outcome["results"]
    assert results[0].accepted and results[1].accepted and (results[0].seq, results[1].seq) == (1, 1)
    assert Bid.objects.filter(round=held).count() == 1
    assert audit.verify_chains() is None


def test_the_rate_limit_of_a_batch_refuses_the_bids_over_it_and_places_the_rest(enforcement_case, bidder_factory, settings):
    """The batch's rate limit is counted for all its bids in one Redis command: the bids over a
    bidder's limit are refused `rate_limited` and never written; the others are placed as if alone."""
    settings.BIDDING_MAX_BIDS_PER_SECOND = 1
    busy, quiet = (make_round(make_lot(enforcement_case, title=t)) for t in ("住宅", "车位"))
    a, b, c = (bidder_factory() for _ in range(3))
    hold(busy, a, "R01")
    hold(busy, b, "R02")
    hold(quiet, c, "R03")
    items = [(busy.pk, services.BidAttempt(a, START, 1)), (busy.pk, services.BidAttempt(b, START + INCREMENT, 2)),
             (busy.pk, services.BidAttempt(a, START + 2 * INCREMENT, 3)), (quiet.pk, services.BidAttempt(c, START, 4)),
             (busy.pk, services.BidAttempt(b, START + 3 * INCREMENT, 5))]
    results = services.place_across(items)
    assert [r.accepted for r in results] == [True, True, False, True, False]
    assert [r.code for r in results if not r.accepted] == ["rate_limited", "rate_limited"]
    assert list(Bid.objects.filter(round=busy).order_by("seq").values_list("amount", flat=True)) == [START, START + INCREMENT]
    busy.refresh_from_db()
    assert (busy.current_price, busy.bid_count, busy.leader_code) == (START + INCREMENT, 2, "R02")
    assert Bid.objects.filter(round=quiet).count() == 1
    assert audit.verify_chains() is None
