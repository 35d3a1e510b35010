"""Group commit: `place_bids` places a batch of bids in one transaction with the same outcomes as
`place_bid` one by one, and the websocket's per-round batcher answers only after the commit."""

import asyncio
import threading
from datetime import timedelta

import pytest
from django.db import DataError

from auction_site import audit, clock
from auction_site.models import AuditRecord
from bidding import consumers, services
from bidding.models import Bid, ProxyBid
from bidding.services import BidAttempt, place_bid, place_bids
from lots import rounds
from lots.models import Round
from tests.bidding.conftest import INCREMENT, START, hold, make_lot, make_round


@pytest.fixture(autouse=True)
def _no_throttle(no_throttle):
    return None


def twin_rounds(enforcement_case, bidder_factory, *, ranks=(None, None, None, 1), **round_kwargs):
    """Two identical rounds with the same bidders (codes B1.., the same priority ranks)."""
    users = [bidder_factory() for _ in ranks]
    rounds = []
    for label in ("batch", "one by one"):
        rnd = make_round(make_lot(enforcement_case, title=f"标的 {label}"), **round_kwargs)
        for i, (user, rank) in enumerate(zip(users, ranks)):
            hold(rnd, user, f"B{i + 1}", rank=rank)
        rounds.append(rnd)
    return rounds, users


def outcome(res):
    return (res.accepted, res.code, res.seq, res.amount, res.current_price, res.extended, res.bidder_code,
            [(p.seq, p.code, p.amount, p.priority, p.proxy) for p in res.placed])


def state(rnd):
    r = Round.objects.get(pk=rnd.pk)
    bids = [(b.seq, b.registration.code, b.amount, b.is_priority, b.is_proxy)
            for b in Bid.objects.filter(round=r).select_related("registration").order_by("seq")]
    return (r.status, r.current_price, r.leader_code or None, r.seq, r.bid_count), bids


@pytest.mark.django_db
def test_a_batch_gives_the_same_outcomes_as_the_same_bids_one_by_one(enforcement_case, bidder_factory):
    (batch_round, single_round), (u1, u2, u3, holder) = twin_rounds(enforcement_case, bidder_factory)
    plan = [
        (u1, START - INCREMENT),          # too_low: below the starting price
        (u1, START + 1),                  # not_on_increment
        (u1, START),                      # accepted (first bid at the starting price)
        (u2, START),                      # too_low: needs one increment more now
        (u1, START + INCREMENT),          # invalid: already leading
        (u2, START + INCREMENT),          # accepted
        (holder, START + INCREMENT),      # accepted: A21 priority match at the same price
        (u3, START + 2 * INCREMENT + 7),  # not_on_increment
        (u3, START + 3 * INCREMENT),      # accepted, jumps two increments
        ("anonymous", START * 2),         # not_registered
        (u2, "12"),                       # invalid amount
        (u2, START + 4 * INCREMENT),      # accepted
    ]
    from django.contrib.auth.models import AnonymousUser

    def who(u):
        return AnonymousUser() if u == "anonymous" else u

    batched = place_bids(batch_round.pk, [BidAttempt(who(u), a, request_id=f"r{i}") for i, (u, a) in enumerate(plan)])
    single = [place_bid(who(u), round_id=single_round.pk, amount=a, request_id=f"r{i}") for i, (u, a) in enumerate(plan)]
    assert [outcome(r) for r in batched] == [outcome(r) for r in single]
    assert [r.code for r in batched] == ["too_low", "not_on_increment", None, "too_low", "invalid", None, None,
                                         "not_on_increment", None, "not_registered", "invalid", None]
    assert [r.request_id for r in batched] == [f"r{i}" for i in range(len(plan))]
    assert state(batch_round) == state(single_round)
    assert state(batch_round)[1][2] == (3, "B4", START + INCREMENT, True, False)  # the priority match
    assert AuditRecord.objects.filter(action="bid.placed").count() == 2 * 5
    assert audit.verify_chains() is None


@pytest.mark.django_db
def test_a_batch_in_the_last_minutes_extends_the_end_from_the_bid_time(enforcement_case, bidder_factory):
    (batch_round, single_round), (u1, u2, _, _) = twin_rounds(
        enforcement_case, bidder_factory, starts_in=timedelta(hours=-1), lasts=timedelta(hours=1, minutes=2))
    before = clock.now()
    batched = place_bids(batch_round.pk, [BidAttempt(u1, START), BidAttempt(u2, START + INCREMENT)])
    single = [place_bid(u1, round_id=single_round.pk, amount=START), place_bid(u2, round_id=single_round.pk, amount=START + INCREMENT)]
    assert [r.extended for r in single] == [True, True]  # each a few ms later than the one before
    # one commit, one acceptance instant: the first bid moved the end to that instant + 5 min, the second
    # (accepted at the same instant) leaves it there
    assert [r.extended for r in batched] == [True, False]
    for rnd in (batch_round, single_round):
        rnd = Round.objects.get(pk=rnd.pk)
        last = Bid.objects.filter(round=rnd).order_by("-seq").first()
        assert last.placed_at >= before
        assert rnd.ends_at == last.placed_at + timedelta(minutes=5)  # A20: from the server time of acceptance
    # the acks carry the end each bid left
    assert batched[1].ends_at == Round.objects.get(pk=batch_round.pk).ends_at


@pytest.mark.django_db
def test_one_bad_bid_does_not_affect_the_others_in_its_batch(enforcement_case, bidder_factory):
    (rnd, _), (u1, u2, u3, _) = twin_rounds(enforcement_case, bidder_factory)
    stranger = bidder_factory()
    results = place_bids(rnd.pk, [BidAttempt(u1, START), BidAttempt(stranger, START + INCREMENT), BidAttempt(u2, 1.5),
                                  BidAttempt(u3, START + INCREMENT)])
    assert [(r.accepted, r.code, r.seq) for r in results] == [(True, None, 1), (False, "not_registered", None),
                                                              (False, "invalid", None), (True, None, 2)]
    assert state(rnd)[0] == ("open", START + INCREMENT, "B3", 2, 2)


@pytest.mark.django_db
def test_nothing_is_accepted_after_the_end_in_a_batch(enforcement_case, bidder_factory):
    (rnd, _), (u1, u2, _, _) = twin_rounds(enforcement_case, bidder_factory, starts_in=timedelta(hours=-2), lasts=timedelta(hours=1))
    results = place_bids(rnd.pk, [BidAttempt(u1, START), BidAttempt(u2, START + INCREMENT)])
    assert [r.code for r in results] == ["closed", "closed"]
    assert not Bid.objects.filter(round=rnd).exists()


@pytest.mark.django_db
def test_a_failed_batch_accepts_nothing_and_writes_nothing(enforcement_case, bidder_factory, monkeypatch):
    (rnd, _), (u1, u2, _, _) = twin_rounds(enforcement_case, bidder_factory)
    audits_before = AuditRecord.objects.count()

    def broken(*args, **kwargs):  # the last statement before the commit fails in the database
        return "SELECT 1 / 0", []

    monkeypatch.setattr(rounds, "live_state_sql", broken)
    with pytest.raises(DataError):
        place_bids(rnd.pk, [BidAttempt(u1, START), BidAttempt(u2, START + INCREMENT)])
    assert not Bid.objects.filter(round=rnd).exists()
    assert AuditRecord.objects.count() == audits_before
    assert Round.objects.get(pk=rnd.pk).seq == 0


@pytest.mark.django_db
def test_broadcast_of_a_batch_only_after_commit_in_seq_order(enforcement_case, bidder_factory, django_capture_on_commit_callbacks,
                                                             monkeypatch):
    from bidding import events

    sent = []
    monkeypatch.setattr(events, "_send_many", lambda round_id, messages: sent.append(messages))
    (rnd, _), (u1, u2, u3, _) = twin_rounds(enforcement_case, bidder_factory)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        results = place_bids(rnd.pk, [BidAttempt(u1, START), BidAttempt(u2, START), BidAttempt(u3, START + INCREMENT)])
    assert sent == []
    for cb in callbacks:
        cb()
    assert [r.accepted for r in results] == [True, False, True]
    assert [(m["seq"], m["code"], m["amount"], m["current_price"]) for m in sent[0]] == [
        (1, "B1", START, START), (2, "B3", START + INCREMENT, START + INCREMENT)]


@pytest.mark.django_db
def test_selloff_batch_the_first_buyer_buys_the_next_finds_it_closed(enforcement_case, bidder_factory):
    price = 264_740_000
    (rnd, _), (a, b, _, _) = twin_rounds(enforcement_case, bidder_factory, kind="selloff", number=3, starting_price=price,
                                         deposit=price, increment=price, lasts=timedelta(days=60))
    results = place_bids(rnd.pk, [BidAttempt(a, price - 1), BidAttempt(a, price), BidAttempt(b, price)])
    assert [(r.accepted, r.code, r.status) for r in results] == [(False, "too_low", None), (True, None, "sold"), (False, "closed", None)]
    rnd = Round.objects.get(pk=rnd.pk)
    assert rnd.status == "sold" and rnd.leader_code == "B1" and rnd.sold_price == price
    assert list(AuditRecord.objects.filter(object_id__in=[str(rnd.pk), str(Bid.objects.get(round=rnd).pk)],
                                           action__in=["bid.placed", "round.sold"]).values_list("action", flat=True)) == [
        "bid.placed", "round.sold"]
    assert audit.verify_chains() is None


@pytest.mark.django_db
def test_proxies_answer_inside_a_batch_as_they_do_one_by_one(enforcement_case, bidder_factory):
    (batch_round, single_round), (u1, u2, u3, _) = twin_rounds(enforcement_case, bidder_factory, proxy=True)
    from escrow.models import Registration

    for rnd in (batch_round, single_round):
        reg = Registration.objects.get(round=rnd, bidder=u3)
        ProxyBid.objects.create(round=rnd, registration=reg, ceiling=START + 3 * INCREMENT, set_at=clock.now())
    plan = [(u1, START), (u2, START + 2 * INCREMENT), (u1, START + 4 * INCREMENT)]
    batched = place_bids(batch_round.pk, [BidAttempt(u, a) for u, a in plan])
    single = [place_bid(u, round_id=single_round.pk, amount=a) for u, a in plan]
    assert [outcome(r) for r in batched] == [outcome(r) for r in single]
    assert any(p.proxy for r in batched for p in r.placed)
    assert state(batch_round) == state(single_round)
    # More bids than the batch's attempts (the proxies'): each audit record names its own bid, chain intact.
    bid_ids = {(b.round_id, b.seq): str(b.pk) for b in Bid.objects.all()}
    records = AuditRecord.objects.filter(action="bid.placed")
    assert len(bid_ids) == records.count() > len(plan) * 2
    assert all(bid_ids[(r.data["round"], r.data["seq"])] == r.object_id for r in records)
    assert audit.verify_chains() is None


def _as_the_engine(monkeypatch, fake_place_bids) -> None:
    """The engine replaced by `fake_place_bids`: for a batch of several bids (place_bids) and for a lone
    one (place_one, or place_one_async awaited on the loop: the batcher's batch of one, for the
    cross-round commit)."""
    monkeypatch.setattr(services, "place_bids", fake_place_bids)
    monkeypatch.setattr(services, "place_one", lambda round_id, attempt, on_locked=None: fake_place_bids(round_id, [attempt], on_locked)[0])

    async def on_the_loop(round_id, attempt, *, on_locked=None):  # place_one_async: the loop awaits the engine
        return (await asyncio.to_thread(fake_place_bids, round_id, [attempt], on_locked))[0]

    monkeypatch.setattr(services, "place_one_async", on_the_loop)


def test_the_socket_batcher_groups_queued_bids_in_arrival_order_and_answers_after_place_bids(monkeypatch):
    calls = []

    def fake_place_bids(round_id, attempts, on_locked=None):
        calls.append([a.request_id for a in attempts])
        return [services.BidResult(accepted=True, request_id=a.request_id, seq=i + 1, amount=a.amount) for i, a in enumerate(attempts)]

    _as_the_engine(monkeypatch, fake_place_bids)

    async def main():
        first = asyncio.create_task(consumers.BidBatcher.place(5, BidAttempt(None, 1, "a")))
        await asyncio.sleep(0)  # the first batch (of one) starts; the next three queue behind it
        rest = [asyncio.create_task(consumers.BidBatcher.place(5, BidAttempt(None, n, rid))) for n, rid in ((2, "b"), (3, "c"), (4, "d"))]
        return await asyncio.gather(first, *rest)

    answers = asyncio.run(main())
    assert calls == [["a"], ["b", "c", "d"]]
    assert [(m["type"], m["request_id"], m["seq"]) for m in answers] == [("ack", "a", 1), ("ack", "b", 1), ("ack", "c", 2), ("ack", "d", 3)]
    assert 5 not in consumers.BidBatcher.batchers


def test_a_failed_batch_is_refused_to_every_sender_never_acked(monkeypatch):
    def failing(round_id, attempts, on_locked=None):
        raise RuntimeError("commit failed")

    _as_the_engine(monkeypatch, failing)

    async def main():
        return await asyncio.gather(*[consumers.BidBatcher.place(6, BidAttempt(None, n, f"r{n}")) for n in range(3)])

    answers = asyncio.run(main())
    assert [(m["type"], m["request_id"]) for m in answers] == [("rejected", "r0"), ("rejected", "r1"), ("rejected", "r2")]


def test_the_next_batch_is_cut_as_soon_as_the_one_before_holds_the_lock(monkeypatch):
    started, release = [], threading.Event()

    def fake_place_bids(round_id, attempts, on_locked=None):
        started.append([a.request_id for a in attempts])
        seq = len(started)
        on_locked()  # this batch now holds the round's lock ...
        if seq == 1:
            assert release.wait(5)  # ... and keeps its transaction open until the test says so
        return [services.BidResult(accepted=True, request_id=a.request_id, seq=seq, amount=a.amount) for a in attempts]

    _as_the_engine(monkeypatch, fake_place_bids)

    async def main():
        first = asyncio.create_task(consumers.BidBatcher.place(7, BidAttempt(None, 1, "a")))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(consumers.BidBatcher.place(7, BidAttempt(None, 2, "b")))
        for _ in range(200):
            if len(started) == 2:
                break
            await asyncio.sleep(0.01)
        overlapped = len(started) == 2 and not first.done()  # b went to the database while a's transaction was open
        release.set()
        return overlapped, await first, await second

    overlapped, first, second = asyncio.run(main())
    assert overlapped
    assert started == [["a"], ["b"]]
    assert (first["request_id"], first["seq"], second["request_id"], second["seq"]) == ("a", 1, "b", 2)
    assert 7 not in consumers.BidBatcher.batchers
