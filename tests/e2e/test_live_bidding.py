"""Browser test of live bidding: two bidders in two browser contexts bid against each other on the
live page (Chromium via Playwright, a real Daphne, PostgreSQL and Redis) and each sees the other's bid
and the A20 extension of the end time live."""

from datetime import timedelta

import pytest

from bidding.models import Bid
from lots.models import Round
from tests.bidding.conftest import INCREMENT, START, hold, make_lot, make_round

pytestmark = [pytest.mark.e2e, pytest.mark.live]



def logged_in_context(new_context, base_url, user, mobile=False):
    from django.test import Client

    client = Client()
    client.force_login(user)
    ctx = new_context(mobile=mobile)
    ctx.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}])
    return ctx


def confirm(page) -> None:
    """Every bid is confirmed in a dialog first (bidding safely, live.js)."""
    page.wait_for_selector("#bid-confirm[open]")
    page.click("#bid-confirm-ok")
    page.wait_for_function("!document.getElementById('bid-confirm').open")


def yuan_text(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


def test_two_bidders_see_each_others_bids_and_the_extension_live(live_daphne, new_context, screenshot, enforcement_case, bidder_factory):
    base = live_daphne.url
    # the round ends in 4 minutes: every bid falls in the last 5 minutes and moves the end (A20)
    rnd = make_round(make_lot(enforcement_case), starts_in=timedelta(hours=-24), lasts=timedelta(hours=24, minutes=4))
    alice, bob = bidder_factory(id_number=""), bidder_factory(id_number="")
    hold(rnd, alice, "A2001")
    hold(rnd, bob, "A2002")
    url = f"{base}/rounds/{rnd.pk}/live/"

    page_a = logged_in_context(new_context, base, alice).new_page()
    page_b = logged_in_context(new_context, base, bob, mobile=True).new_page()  # phone width
    errors: list[str] = []
    for p in (page_a, page_b):
        p.on("pageerror", lambda e: errors.append(str(e)))
        p.goto(url)
        p.wait_for_selector("#conn[data-state=live]")
    assert page_a.locator("#my-code").inner_text() == "A2001"
    assert page_b.locator("#my-code").inner_text() == "A2002"
    # the bid box is prefilled with the next valid amount (the starting price)
    assert page_a.input_value("#bid-amount") == yuan_text(START)  # with thousands separators
    ends_before = page_b.locator("#ends-at").inner_text()
    assert page_b.locator("#extended").is_hidden()

    page_a.click("#bid-submit")
    confirm(page_a)
    page_a.wait_for_selector("#bid-message.ok")
    # Bob sees Alice's bid, the new leader and the moved end time without reloading
    page_b.wait_for_function("document.getElementById('leader-code').textContent === 'A2001'")
    assert yuan_text(START) in page_b.locator("#current-price").inner_text()
    assert "A2001" in page_b.locator("#bid-rows").inner_text()
    page_b.wait_for_selector("#extended", state="visible")
    ends_after = page_b.locator("#ends-at").inner_text()
    assert ends_after != ends_before
    first = Bid.objects.get(round=rnd, seq=1)
    assert Round.objects.get(pk=rnd.pk).ends_at == first.placed_at + timedelta(minutes=5)
    screenshot(page_b, "live-bidding-mobile-after-alice")

    # Bob's box now holds the next valid amount; a too-low bid is refused with a clear message
    assert page_b.input_value("#bid-amount") == yuan_text(START + INCREMENT)
    page_b.fill("#bid-amount", f"{START // 100}")
    page_b.click("#bid-submit")
    confirm(page_b)
    page_b.wait_for_selector("#bid-message.error")
    assert "出价过低" in page_b.locator("#bid-message").inner_text()
    # after a refusal the box holds the next valid amount again; ＋ and − step by the increment
    assert page_b.input_value("#bid-amount") == yuan_text(START + INCREMENT)
    page_b.click("#bid-plus")
    assert page_b.input_value("#bid-amount") == yuan_text(START + 2 * INCREMENT)
    page_b.click("#bid-minus")
    page_b.click("#bid-submit")
    confirm(page_b)
    page_b.wait_for_selector("#bid-message.ok")
    page_a.wait_for_function("document.getElementById('leader-code').textContent === 'A2002'")
    assert "A2002" in page_a.locator("#bid-rows").inner_text()
    assert yuan_text(START + INCREMENT) in page_a.locator("#current-price").inner_text()
    # the chart has both bids
    assert page_a.evaluate("Chart.getChart('price-chart').data.datasets[0].data.length") == 2
    screenshot(page_a, "live-bidding-desktop")
    assert errors == []


def test_anonymous_watcher_sees_the_countdown_and_reconnects(live_daphne, new_context, enforcement_case, bidder_factory):
    base = live_daphne.url
    rnd = make_round(make_lot(enforcement_case))
    page = new_context().new_page()
    page.goto(f"{base}/rounds/{rnd.pk}/live/")
    page.wait_for_selector("#conn[data-state=live]")
    assert page.locator("#bid-form").count() == 0
    page.wait_for_function("/\\d\\d:\\d\\d:\\d\\d/.test(document.getElementById('countdown').textContent)")
    # a bid arrives while the page is disconnected: the page shows the reconnecting state, reconnects
    # by itself and resyncs from the snapshot (the missed bid appears)
    import json
    import urllib.request

    from tests.bidding.conftest import token_for

    user = bidder_factory(id_number="")
    hold(rnd, user, "A3001")
    token = token_for(user)
    page.evaluate("window.__liveSocket && window.__liveSocket.close()")
    page.wait_for_selector("#conn[data-state=reconnecting]")
    req = urllib.request.Request(f"{base}/api/v1/rounds/{rnd.pk}/bids/", data=json.dumps({"amount": START}).encode(), method="POST",
                                 headers={"Content-Type": "application/json", "Authorization": f"Token {token}"})
    assert urllib.request.urlopen(req, timeout=20).status == 201
    page.wait_for_selector("#conn[data-state=live]", timeout=20000)
    page.wait_for_function("document.getElementById('leader-code').textContent === 'A3001'")
