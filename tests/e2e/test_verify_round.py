"""The browser verifier rebuilds a closed round's Merkle root from the public bid history and checks the
platform's Ed25519 signature with WebCrypto; after a bid row is rewritten it names the event."""

import pytest
from django.db import connection

from tests.transparency.conftest import bid_war, close_by_the_clock, hold, make_lot, make_round

pytestmark = [pytest.mark.e2e, pytest.mark.live]


def test_browser_verifier_passes_then_shows_the_rewritten_bid(live_daphne, enforcement_case, bidder_factory, new_context,
                                                             screenshot, settings):
    from bidding.models import Bid

    rnd = make_round(make_lot(enforcement_case))
    bid_war(rnd, [hold(rnd, bidder_factory(), "E0001"), hold(rnd, bidder_factory(), "E0002")], 8)
    close_by_the_clock(rnd)
    page = new_context(mobile=True).new_page()
    page.goto(f"{live_daphne.url}/rounds/{rnd.pk}/verify/?auto=1")
    page.wait_for_selector("#verify-result[data-outcome]", timeout=20000)
    assert page.get_attribute("#verify-result", "data-outcome") == "ok", page.inner_text("#verify-result")
    assert page.locator("#verify-leaves tbody tr").count() == 9
    screenshot(page, "verify-round-ok")

    with connection.cursor() as cur:  # a database owner rewrites one bid
        cur.execute("ALTER TABLE bidding_bid DISABLE TRIGGER USER")
        Bid.objects.filter(round=rnd, seq=3).update(amount=123_456_700)
        cur.execute("ALTER TABLE bidding_bid ENABLE TRIGGER USER")
    page.goto(f"{live_daphne.url}/rounds/{rnd.pk}/verify/?auto=1")
    page.wait_for_selector("#verify-result[data-outcome]", timeout=20000)
    assert page.get_attribute("#verify-result", "data-outcome") == "bad"
    assert "seq 3" in page.inner_text("#verify-result")
    assert page.locator("tr.differs").count() == 1 and page.get_attribute("tr.differs", "data-seq") == "3"
    screenshot(page, "verify-round-tampered")
