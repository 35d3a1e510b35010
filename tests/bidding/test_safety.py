"""Bidding safely: a sell-off is never bought on the deposit alone (A26/A37); refusals carry a plain reason
(the leader's repeat bid is told so); the large-jump threshold of the bid page's second confirmation."""

from datetime import timedelta

import pytest

from bidding import rules
from bidding.services import place_bid
from lots.models import Round
from tests.bidding.conftest import DEPOSIT, INCREMENT, START, hold, make_round

pytestmark = pytest.mark.django_db


def test_a_selloff_is_not_bought_on_the_deposit_alone(lot, bidder_factory):
    price = 484_400_000
    selloff = make_round(lot, number=3, kind="selloff", starting_price=price, deposit=48_440_000, lasts=timedelta(days=60))
    a, b = bidder_factory(), bidder_factory()
    hold(selloff, a, "A0401", held_amount=48_440_000)  # only the 10% deposit
    hold(selloff, b, "A0402")  # the full price (escrow.rules.amount_to_hold)
    refused = place_bid(a, round_id=selloff.pk, amount=price)
    assert not refused.accepted and refused.code == "not_registered" and refused.reason == "full_price_not_held"
    assert refused.as_ack()["reason"] == "full_price_not_held" and "全款" in refused.message
    selloff.refresh_from_db()
    assert selloff.status == "open" and selloff.bid_count == 0 and selloff.leader_id is None
    bought = place_bid(b, round_id=selloff.pk, amount=price)
    assert bought.accepted
    selloff.refresh_from_db()
    assert selloff.status == Round.Status.SOLD and selloff.leader_code == "A0402" and selloff.sold_price == price


def test_the_leader_s_repeat_bid_is_refused_with_its_own_reason(open_round, bidders):
    (alice, _), _, _ = bidders
    assert place_bid(alice, round_id=open_round.pk, amount=START).accepted
    again = place_bid(alice, round_id=open_round.pk, amount=START + INCREMENT)
    assert again.code == "invalid" and again.reason == "already_leading"
    assert again.as_ack()["reason"] == "already_leading"


def test_refusals_name_their_reason():
    assert rules.check_amount(START - 1, starting_price=START, increment=INCREMENT, current_price=None, bidder_rank=None,
                              leader_rank=None, is_leader=False).reason == "below_start"
    assert rules.check_amount(START, starting_price=START, increment=INCREMENT, current_price=START, bidder_rank=None,
                              leader_rank=None, is_leader=False).reason == "below_next"
    assert rules.check_selloff_amount(1, 2).reason == "selloff_fixed_price"


def test_a_jump_of_more_than_10_increments_is_large():
    assert rules.LARGE_JUMP_INCREMENTS == 10
    kw = {"current_price": START, "starting_price": START, "increment": INCREMENT}
    assert not rules.is_large_jump(START + 10 * INCREMENT, **kw)
    assert rules.is_large_jump(START + 11 * INCREMENT, **kw)
    # before any bid the starting price is the base
    assert rules.is_large_jump(START + 20 * INCREMENT, current_price=None, starting_price=START, increment=INCREMENT)
    assert DEPOSIT  # the real listing of DOMAIN.md
