"""The clockwork is idempotent and safe to run twice at once: two ticks racing decide a deadline once."""


import pytest

from auction_site import clock
from tests.concurrency import run_at_once
from valuation import clockwork
from valuation.models import Valuation


@pytest.mark.django_db(transaction=True)
def test_two_ticks_at_once_fail_a_network_inquiry_once(lot, platforms, institutions, start, advance_clock):
    v = start(lot, "network")
    advance_clock(days=3, seconds=1)
    now = clock.now()
    reports = run_at_once(lambda: clockwork.tick(now))
    assert sum(r["failed"] for r in reports) == 1
    assert Valuation.objects.filter(previous_id=v["id"], method="appraisal").count() == 1
    assert clockwork.tick(clock.now())["failed"] == 0  # and a later tick changes nothing
