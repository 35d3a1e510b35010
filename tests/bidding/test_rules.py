"""The legal rules of bidding as pure functions: each test fails when its rule is broken."""

from datetime import UTC, datetime, timedelta

from bidding import rules

T0 = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
START, INC = 330_925_000, 500_000


def amount_check(amount, current=None, rank=None, leader_rank=None, is_leader=False):
    return rules.check_amount(amount, starting_price=START, increment=INC, current_price=current,
                              bidder_rank=rank, leader_rank=leader_rank, is_leader=is_leader)


def test_a20_first_bid_at_least_the_starting_price_and_on_the_grid():
    assert amount_check(START) is None
    assert amount_check(START + 3 * INC) is None
    assert amount_check(START - 1).code == "too_low"
    assert amount_check(START + 1).code == "not_on_increment"


def test_a20_later_bids_rise_in_whole_increments_above_the_current_price():
    current = START + INC
    assert amount_check(current + INC, current) is None
    assert amount_check(current + 4 * INC, current) is None
    assert amount_check(current, current).code == "too_low"
    assert amount_check(current + INC - 1, current).code == "too_low"
    assert amount_check(current + INC + 1, current).code == "not_on_increment"


def test_a21_priority_holder_may_match_the_leader_price_unless_the_leader_ranks_better_or_equal():
    current = START
    assert amount_check(current, current, rank=1, leader_rank=None) is None  # matches an ordinary bidder
    assert amount_check(current, current, rank=1, leader_rank=2) is None  # better rank wins
    assert amount_check(current, current, rank=2, leader_rank=1).code == "too_low"  # worse rank cannot
    assert amount_check(current, current, rank=1, leader_rank=1).code == "too_low"  # same rank: earlier bid wins
    assert amount_check(current, current, rank=None, leader_rank=None).code == "too_low"


def test_a21_outranks():
    assert rules.outranks(1, None) and rules.outranks(1, 2)
    assert not rules.outranks(2, 1) and not rules.outranks(1, 1) and not rules.outranks(None, None) and not rules.outranks(None, 1)


def test_bidder_cannot_outbid_their_own_leading_bid():
    assert amount_check(START + 2 * INC, START, is_leader=True).code == "invalid"


def test_a17_a18_only_held_deposits_with_a_code_may_bid():
    assert rules.check_registration("held", "A1234") is None
    assert rules.check_registration(None, None).code == "not_registered"
    assert rules.check_registration("pending", None).code == "not_registered"
    assert rules.check_registration("released", "A1234").code == "not_registered"
    assert rules.check_registration("held", None).code == "not_registered"


def test_a20_a28_bids_only_while_open_before_the_end():
    starts, ends = T0, T0 + timedelta(hours=24)
    assert rules.check_round_accepts_bids("open", T0 + timedelta(hours=1), starts, ends) is None
    assert rules.check_round_accepts_bids("open", ends, starts, ends).code == "closed"  # at the end: closed
    assert rules.check_round_accepts_bids("open", ends + timedelta(seconds=1), starts, ends).code == "closed"
    assert rules.check_round_accepts_bids("open", starts - timedelta(seconds=1), starts, ends).code == "not_open"
    assert rules.check_round_accepts_bids("announced", T0 + timedelta(hours=1), starts, ends).code == "not_open"
    assert rules.check_round_accepts_bids("suspended", T0 + timedelta(hours=1), starts, ends).code == "not_open"
    for status in ("sold", "failed", "closed", "withdrawn"):
        assert rules.check_round_accepts_bids(status, T0 + timedelta(hours=1), starts, ends).code == "closed"


def test_a20_extension_bid_in_last_five_minutes_moves_end_to_bid_time_plus_five_minutes():
    ends = T0 + timedelta(hours=24)
    early = ends - timedelta(minutes=6)
    assert rules.extended_end(ends, early) == ends
    late = ends - timedelta(seconds=30)
    assert rules.extended_end(ends, late) == late + timedelta(minutes=5)
    # without limit: a bid in the extension extends again
    again = rules.extended_end(late + timedelta(minutes=5), late + timedelta(minutes=4, seconds=59))
    assert again == late + timedelta(minutes=9, seconds=59)


def test_a26_selloff_sells_only_at_the_fixed_price():
    assert rules.check_selloff_amount(100, 100) is None
    assert rules.check_selloff_amount(99, 100).code == "too_low"
    assert rules.check_selloff_amount(101, 100).code == "invalid"


def rb(seq, reg, amount, rank=None, at=T0):
    return rules.RankedBid(seq, reg, amount, rank, at)


def test_a21_winner_highest_then_better_rank_then_earlier_bid_and_only_before_the_end():
    ends = T0 + timedelta(hours=1)
    assert rules.decide_winner([rb(1, 1, 100), rb(2, 2, 200)], ends).registration_id == 2
    assert rules.decide_winner([rb(1, 1, 200), rb(2, 2, 200, rank=1)], ends).registration_id == 2
    assert rules.decide_winner([rb(1, 1, 200, rank=2), rb(2, 2, 200, rank=1)], ends).registration_id == 2
    assert rules.decide_winner([rb(1, 1, 200, rank=1), rb(2, 2, 200, rank=1)], ends).registration_id == 1
    assert rules.decide_winner([rb(1, 1, 100), rb(2, 2, 200, at=ends)], ends).registration_id == 1
    assert rules.decide_winner([], ends) is None


def px(reg, ceiling, rank=None, minute=0):
    return rules.Proxy(reg, rank, ceiling, T0 + timedelta(minutes=minute), reg)


def test_proxy_outbid_bids_the_minimum_valid_amount_within_the_ceiling():
    steps = rules.resolve_proxies(starting_price=START, increment=INC, current_price=START, leader_id=9, leader_rank=None,
                                  proxies=[px(1, START + 5 * INC)])
    assert steps == [(1, START + INC, None)]
    assert rules.resolve_proxies(starting_price=START, increment=INC, current_price=START, leader_id=9, leader_rank=None,
                                 proxies=[px(1, START + INC - 1)]) == []


def test_two_proxies_higher_ceiling_wins_at_one_increment_over_the_other():
    steps = rules.resolve_proxies(starting_price=START, increment=INC, current_price=START, leader_id=9, leader_rank=None,
                                  proxies=[px(1, START + 10 * INC), px(2, START + 4 * INC)])
    assert steps[-1] == (1, START + 5 * INC, None)
    assert steps[-2] == (2, START + 4 * INC, None)  # the loser's last bid, then the winner's answer
    assert len(steps) == 3


def test_two_equal_proxies_earlier_ceiling_wins():
    steps = rules.resolve_proxies(starting_price=START, increment=INC, current_price=START, leader_id=9, leader_rank=None,
                                  proxies=[px(1, START + 4 * INC, minute=5), px(2, START + 4 * INC, minute=1)])
    assert steps[-1][0] == 2
    assert steps[-1][1] == START + 4 * INC


def test_priority_proxy_matches_instead_of_raising():
    steps = rules.resolve_proxies(starting_price=START, increment=INC, current_price=START + INC, leader_id=9, leader_rank=None,
                                  proxies=[px(1, START + INC, rank=1)])
    assert steps == [(1, START + INC, 1)]


def test_proxy_bids_are_each_valid_bids():
    proxies = [px(1, START + 7 * INC + 3, rank=None, minute=0), px(2, START + 7 * INC, rank=1, minute=3), px(3, START + 2 * INC, minute=1)]
    price, leader, lrank = START, 9, None
    for reg, amount, rank in rules.resolve_proxies(starting_price=START, increment=INC, current_price=price, leader_id=leader,
                                                   leader_rank=lrank, proxies=proxies):
        assert reg != leader
        assert rules.check_amount(amount, starting_price=START, increment=INC, current_price=price, bidder_rank=rank,
                                  leader_rank=lrank, is_leader=False) is None
        price, leader, lrank = amount, reg, rank
    assert leader == 2 and price == START + 7 * INC  # the priority holder matches the equal reach (A21)


def test_a20_a21_early_too_low_refusal_only_below_what_is_needed_at_a_seen_price():
    assert rules.surely_too_low(START, None, INC, None) is None
    assert rules.surely_too_low(START + INC - 1, START, INC, None).code == "too_low"
    assert rules.surely_too_low(START + INC, START, INC, None) is None
    assert rules.surely_too_low(START, START, INC, 1) is None  # a priority holder may match (decided under the lock)
    assert rules.surely_too_low(START - INC, START, INC, 1).code == "too_low"
