"""The bid engine `place_bid` on PostgreSQL: what a bidder notices (accepted, refused with a code, extended)."""

from datetime import timedelta

import pytest
from django.db import transaction

from auction_site import clock
from auction_site.models import AuditRecord
from bidding.models import Bid
from bidding.services import place_bid
from escrow.models import Registration
from lots.models import Round
from tests.bidding.conftest import INCREMENT, START, hold, make_round

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_throttle(no_throttle):
    return None


def refresh(rnd):
    return Round.objects.get(pk=rnd.pk)


def test_accepted_bid_moves_the_live_state_appends_an_immutable_bid_and_audits(open_round, bidders):
    (u1, r1), (u2, r2), _ = bidders
    res = place_bid(u1, round_id=open_round.pk, amount=START, request_id="x1")
    assert res.accepted and res.seq == 1 and res.request_id == "x1" and res.bidder_code == "A0001"
    res2 = place_bid(u2, round_id=open_round.pk, amount=START + INCREMENT)
    assert res2.accepted and res2.seq == 2
    rnd = refresh(open_round)
    assert (rnd.current_price, rnd.leader_id, rnd.seq, rnd.bid_count) == (START + INCREMENT, r2.pk, 2, 2)
    bids = list(Bid.objects.filter(round=rnd).order_by("seq"))
    assert [(b.seq, b.amount, b.registration_id) for b in bids] == [(1, START, r1.pk), (2, START + INCREMENT, r2.pk)]
    assert AuditRecord.objects.filter(action="bid.placed", object_type="bidding.bid").count() == 2


def test_too_low_and_not_on_increment(open_round, bidders):
    (u1, _), (u2, _), _ = bidders
    assert place_bid(u1, round_id=open_round.pk, amount=START - INCREMENT).code == "too_low"
    assert place_bid(u1, round_id=open_round.pk, amount=START + 1).code == "not_on_increment"
    assert place_bid(u1, round_id=open_round.pk, amount=START).accepted
    assert place_bid(u2, round_id=open_round.pk, amount=START).code == "too_low"
    assert place_bid(u2, round_id=open_round.pk, amount=START + INCREMENT + 7).code == "not_on_increment"
    assert refresh(open_round).bid_count == 1


def test_cannot_outbid_own_leading_bid(open_round, bidders):
    (u1, _), _, _ = bidders
    assert place_bid(u1, round_id=open_round.pk, amount=START).accepted
    res = place_bid(u1, round_id=open_round.pk, amount=START + INCREMENT)
    assert not res.accepted and res.code == "invalid"


def test_not_registered_without_a_held_deposit(open_round, bidders, bidder_factory):
    from django.contrib.auth.models import AnonymousUser

    stranger = bidder_factory()
    assert place_bid(stranger, round_id=open_round.pk, amount=START).code == "not_registered"
    pending = bidder_factory()
    Registration.objects.create(round=open_round, bidder=pending, status="pending", created_at=clock.now())
    assert place_bid(pending, round_id=open_round.pk, amount=START).code == "not_registered"
    assert place_bid(AnonymousUser(), round_id=open_round.pk, amount=START).code == "not_registered"
    assert refresh(open_round).bid_count == 0


@pytest.mark.parametrize("status", ["announced", "suspended", "draft"])
def test_not_open(lot, bidder_factory, status):
    rnd = make_round(lot, status=status)
    user = bidder_factory()
    hold(rnd, user, "A0009")
    assert place_bid(user, round_id=rnd.pk, amount=START).code == "not_open"


def test_open_status_but_before_the_start_is_not_open(lot, bidder_factory):
    rnd = make_round(lot, starts_in=timedelta(hours=2))
    user = bidder_factory()
    hold(rnd, user, "A0009")
    assert place_bid(user, round_id=rnd.pk, amount=START).code == "not_open"


def test_closed_at_and_after_the_end_even_before_the_clock_closes_the_round(open_round, bidders, advance_clock):
    (u1, _), _, _ = bidders
    advance_clock(hours=23, minutes=1)  # the round started 1 h ago and lasts 24 h: now past its end
    res = place_bid(u1, round_id=open_round.pk, amount=START)
    assert res.code == "closed"
    assert refresh(open_round).status == "open"  # not closed yet by the clock, yet the bid is refused
    for status in ("sold", "failed", "withdrawn"):
        before = transaction.savepoint()
        Round.objects.filter(pk=open_round.pk).update(status=status)
        assert place_bid(u1, round_id=open_round.pk, amount=START).code == "closed"
        transaction.savepoint_rollback(before)


def test_extension_moves_the_end_to_bid_time_plus_five_minutes_without_limit(open_round, bidders, advance_clock):
    (u1, _), (u2, _), _ = bidders
    original_end = open_round.ends_at
    advance_clock(hours=22, minutes=57)  # 3 minutes before the end
    res = place_bid(u1, round_id=open_round.pk, amount=START)
    assert res.accepted and res.extended
    bid = Bid.objects.get(round=open_round, seq=1)
    assert refresh(open_round).ends_at == bid.placed_at + timedelta(minutes=5) > original_end
    advance_clock(minutes=4, seconds=30)  # past the original end, inside the extension
    res = place_bid(u2, round_id=open_round.pk, amount=START + INCREMENT)
    assert res.accepted and res.extended
    bid2 = Bid.objects.get(round=open_round, seq=2)
    assert refresh(open_round).ends_at == bid2.placed_at + timedelta(minutes=5)


def test_no_extension_for_a_bid_before_the_last_five_minutes(open_round, bidders):
    (u1, _), _, _ = bidders
    res = place_bid(u1, round_id=open_round.pk, amount=START)
    assert res.accepted and not res.extended
    assert refresh(open_round).ends_at == open_round.ends_at


def test_priority_holder_matches_the_price_and_takes_the_lead(open_round, bidders, bidder_factory):
    (u1, _), (u2, _), _ = bidders
    holder = bidder_factory()
    reg = hold(open_round, holder, "A0777", rank=1)
    assert place_bid(u1, round_id=open_round.pk, amount=START).accepted
    res = place_bid(holder, round_id=open_round.pk, amount=START)
    assert res.accepted
    rnd = refresh(open_round)
    assert rnd.leader_id == reg.pk and rnd.current_price == START
    assert Bid.objects.get(round=rnd, seq=2).is_priority
    # an ordinary bidder cannot match back; they must raise
    assert place_bid(u2, round_id=open_round.pk, amount=START).code == "too_low"
    assert place_bid(u2, round_id=open_round.pk, amount=START + INCREMENT).accepted


def test_same_rank_earlier_bid_wins(open_round, bidder_factory):
    a, b = bidder_factory(), bidder_factory()
    hold(open_round, a, "A0101", rank=1)
    hold(open_round, b, "A0102", rank=1)
    assert place_bid(a, round_id=open_round.pk, amount=START).accepted
    assert place_bid(b, round_id=open_round.pk, amount=START).code == "too_low"


def test_barred_bidder_a24_defaulter_of_an_earlier_round_of_the_lot(lot, bidder_factory):
    earlier = make_round(lot, status="defaulted", number=1, starts_in=timedelta(days=-40))
    rnd = make_round(lot, number=2, previous=earlier)
    defaulter = bidder_factory()
    Registration.objects.create(round=earlier, bidder=defaulter, status="forfeited", code="A0500", created_at=clock.now())
    hold(rnd, defaulter, "A0501")
    res = place_bid(defaulter, round_id=rnd.pk, amount=START)
    assert res.code == "barred"
    assert Bid.objects.filter(round=rnd).count() == 0


def test_rate_limited(open_round, bidders, settings):
    settings.BIDDING_MAX_BIDS_PER_SECOND = 2
    (u1, _), _, _ = bidders
    codes = [place_bid(u1, round_id=open_round.pk, amount=START - INCREMENT).code for _ in range(6)]
    assert "rate_limited" in codes
    assert codes[0] == "too_low"


@pytest.mark.parametrize("amount", [1.5, "330925000", -500, 0, True, None, 10**30, [1], {"a": 1}])
def test_invalid_amounts_change_nothing(open_round, bidders, amount):
    (u1, _), _, _ = bidders
    res = place_bid(u1, round_id=open_round.pk, amount=amount)
    assert not res.accepted and res.code == "invalid"
    assert refresh(open_round).seq == 0


def test_broadcast_only_after_commit(open_round, bidders, django_capture_on_commit_callbacks, monkeypatch):
    from bidding import events

    sent = []
    monkeypatch.setattr(events, "_send_many", lambda round_id, messages: sent.extend(messages))
    (u1, _), _, _ = bidders
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert place_bid(u1, round_id=open_round.pk, amount=START).accepted
    assert sent == []  # nothing is sent before the commit
    for cb in callbacks:
        cb()
    assert sent[0]["type"] == "bid" and sent[0]["seq"] == 1 and sent[0]["code"] == "A0001" and sent[0]["amount"] == START


def test_selloff_first_full_price_buy_wins_and_closes_the_round(lot, bidder_factory):
    rnd = make_round(lot, kind="selloff", number=3, starting_price=264_740_000, deposit=264_740_000, increment=264_740_000,
                     lasts=timedelta(days=60))
    a, b = bidder_factory(), bidder_factory()
    hold(rnd, a, "A0201")
    hold(rnd, b, "A0202")
    assert place_bid(a, round_id=rnd.pk, amount=264_740_000 - 1).code == "too_low"
    res = place_bid(a, round_id=rnd.pk, amount=264_740_000)
    assert res.accepted and res.status == "sold"
    rnd = refresh(rnd)
    assert rnd.status == "sold" and rnd.sold_price == 264_740_000 and rnd.leader_code == "A0201" and rnd.closed_at
    assert place_bid(b, round_id=rnd.pk, amount=264_740_000).code == "closed"
