"""Browser: a bidder pays the deposit on the pay page and sees the bidder code; phone width."""

import re

import pytest

from escrow.models import Registration
from tests.conftest import token_client
from tests.e2e.conftest import login
from tests.escrow.conftest import flush_provider

pytestmark = [pytest.mark.e2e, pytest.mark.live]



@pytest.fixture
def open_round(live_daphne, enforcement_case):
    from datetime import timedelta

    from auction_site import clock
    from lots.models import Lot, Round

    lot = Lot.objects.create(case=enforcement_case, title="苏州工业园区星湖街328号住宅", category="real_estate", created_at=clock.now())
    now = clock.now()
    return Round.objects.create(lot=lot, number=1, status="open", starting_price=3_309_250_00, deposit=500_000_00, increment=5_000_00,
                                starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1),
                                scheduled_ends_at=now + timedelta(days=1), created_at=now, published_at=now - timedelta(days=31))


@pytest.mark.parametrize("mobile", [False, True])
def test_bidder_pays_the_deposit_and_gets_a_code(mobile, live_daphne, new_context, screenshot, bidder, open_round):
    flush_provider()
    reg_id = token_client(bidder).post(f"/api/v1/rounds/{open_round.pk}/register/", format="json").json()["registration"]["id"]
    page = new_context(mobile=mobile).new_page()
    login(page, live_daphne.url, bidder.username)
    page.goto(f"{live_daphne.url}/escrow/sandbox/pay/{reg_id}/")
    assert "500,000.00" in page.content()
    page.click("#pay")
    page.wait_for_load_state("networkidle")
    code = page.locator(".bidder-code").first.inner_text()
    assert re.fullmatch(r"A[0-9A-Z]{4}", code)
    assert Registration.objects.get(pk=reg_id).code == code
    screenshot(page, f"escrow-deposit-paid{'-mobile' if mobile else ''}")
    page.goto(f"{live_daphne.url}/me/deposits/")
    assert code in page.locator("table.deposits").inner_text()
    if mobile:
        # Usable at phone width: nothing wider than the screen but the scrollable table.
        width = page.evaluate("document.querySelector('main').scrollWidth")
        assert width <= 390
    screenshot(page, f"escrow-my-deposits{'-mobile' if mobile else ''}")
