"""Fixtures of the transparency tests: a round with real bids through the engine, closed by the clock."""

from datetime import timedelta

import pytest

from tests.bidding.conftest import hold, make_lot, make_round  # noqa: F401  (shared arrangements)


@pytest.fixture(autouse=True)
def _own_key_and_anchors(settings, tmp_path):
    # A key and an anchor place of this test's own (the embedded default would share var/).
    settings.TRANSPARENCY_KEY_FILE = str(tmp_path / "signing_key.b64")
    settings.BIDDING_MAX_BIDS_PER_SECOND = 0
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from transparency import signing

    signing.private_key.cache_clear()
    yield
    signing.private_key.cache_clear()


def bid_war(rnd, regs, count: int, batch: int = 50):
    """`count` bids, bidders taking turns, each one increment above the last; through the engine."""
    from bidding.services import BidAttempt, place_bids

    price = rnd.starting_price
    placed = 0
    while placed < count:
        attempts = []
        for _ in range(min(batch, count - placed)):
            reg = regs[placed % len(regs)]
            attempts.append(BidAttempt(reg.bidder, price, f"r{placed}"))
            price += rnd.increment
            placed += 1
        results = place_bids(rnd.pk, attempts)
        assert all(r.accepted for r in results), [r.code for r in results if not r.accepted]
    return price - rnd.increment


def close_by_the_clock(rnd):
    """Move the clock past the end and run the ticks (bidding closes it; transparency signs it)."""
    from auction_site import clock, ticks

    rnd.refresh_from_db()
    clock.advance(int((rnd.ends_at - clock.now() + timedelta(seconds=5)).total_seconds()))
    ticks.run_all()
    rnd.refresh_from_db()
    return rnd


@pytest.fixture
def closed_round(enforcement_case, bidder_factory, django_capture_on_commit_callbacks):
    lot = make_lot(enforcement_case)
    rnd = make_round(lot)
    regs = [hold(rnd, bidder_factory(), f"B{i:04d}") for i in range(1, 4)]
    bid_war(rnd, regs, 12)
    with django_capture_on_commit_callbacks(execute=True):
        close_by_the_clock(rnd)
    return rnd, regs
