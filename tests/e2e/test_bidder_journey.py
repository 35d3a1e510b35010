"""Browser (Chromium, a live Daphne, PostgreSQL, Redis), at 390 px and 1366 px: a new bidder registers
(reads the 竞买须知, signs the 竞买承诺书, pays the deposit), bids with a confirmation, is outbid and sees it
at once, needs a second confirmation for a bid 20 increments above the price, wins and sees the next
steps; the other bidder sees when the deposit comes back. A sell-off is not bought on the deposit alone.
Screenshots of each step in tests/artifacts/."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from auction_site import clock
from auction_site.money import capital
from bidding import clockwork as bidding_clock
from bidding.models import Bid
from bidding.services import place_bid
from escrow.models import Commitment, Registration
from lots.models import Lot, Round
from tests.bidding.conftest import DEPOSIT, INCREMENT, START, hold, make_round, shared_layer  # noqa: F401 (fixture)
from tests.e2e.conftest import login
from tests.escrow.conftest import flush_provider
from tests.settlement.conftest import s3_bucket  # noqa: F401 (autouse: sale documents go to object storage)

pytestmark = [pytest.mark.e2e, pytest.mark.live]

VIEWPORTS = {"390": {"mobile": True}, "1366": {"width": 1366}}


def yuan_text(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


def in_thread(fn):
    """Run server-side work (a bid, the closing clock) in a thread of its own: its on-commit broadcast
    goes through async_to_sync, which Playwright's running event loop forbids in this thread."""
    import threading

    from django.db import connection

    out: dict = {}

    def run():
        try:
            out["value"] = fn()
        except BaseException as e:  # re-raised in the test's thread
            out["error"] = e
        finally:
            connection.close()

    t = threading.Thread(target=run)
    t.start()
    t.join(60)
    if "error" in out:
        raise out["error"]
    return out.get("value")


def confirm(page, *, second: bool = False) -> None:
    """Click the bid button's dialog through: once, or twice for a large jump."""
    page.wait_for_selector("#bid-confirm[open]")
    page.click("#bid-confirm-ok")
    if second:
        page.wait_for_selector("#bid-confirm[open].warning")
        page.click("#bid-confirm-ok")
    page.wait_for_function("!document.getElementById('bid-confirm').open")


@pytest.mark.usefixtures("shared_layer")  # the test's own bids and close publish to the live server's Redis prefix
@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_a_new_bidder_registers_is_outbid_wins_and_sees_the_next_steps(size, live_daphne, new_context, screenshot,
                                                                       enforcement_case, bidder_factory):
    flush_provider()
    base = live_daphne.url
    lot = Lot.objects.create(case=enforcement_case, title="苏州市姑苏区某小区住宅", category="real_estate", description="住宅一套",
                             reference_price=472_750_000, created_at=clock.now())
    rnd = make_round(lot, starts_in=timedelta(hours=-2), lasts=timedelta(hours=26))
    chen, rival = bidder_factory(real_name="陈新"), bidder_factory(id_number="")
    rival_reg = hold(rnd, rival, "A9001", held_amount=DEPOSIT)
    page = new_context(**VIEWPORTS[size]).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, base, chen.username)

    # 1. registration: the lot page → the 报名 page with the 竞买公告, 竞买须知 and 竞买承诺书
    page.goto(f"{base}/lots/{lot.pk}/")
    page.click(f"#round-{rnd.pk} a.register-link")
    page.wait_for_selector("#register-form")
    assert "竞买须知" in page.locator("#notice").inner_text() and yuan_text(DEPOSIT) in page.locator("#notice-text").inner_text()
    assert page.locator("#accept-notice ~ a[href='#notice']").count() == 1  # the consent links to the rules
    assert "陈新" in page.locator("#commitment-text").inner_text()
    screenshot(page, f"journey-{size}-1-register")
    page.click("#register-submit")  # not accepted yet: the browser keeps the form (required), nothing is created
    assert not Registration.objects.filter(bidder=chen).exists()
    page.check("#accept-notice")
    page.fill("#signed-name", "陈新")
    page.click("#register-submit")
    page.wait_for_selector("#pay")
    c = Commitment.objects.get(registration__bidder=chen)
    assert c.signed_name == "陈新" and c.ip == "127.0.0.1" and len(c.text_sha256) == 64
    screenshot(page, f"journey-{size}-2-deposit")
    page.click("#pay")
    page.wait_for_load_state("networkidle")
    code = page.locator(".bidder-code").first.inner_text()
    assert re.fullmatch(r"A[0-9A-Z]{4}", code)
    screenshot(page, f"journey-{size}-3-code")

    # 2. bidding: the amount in capitals, a confirmation before the bid
    page.goto(f"{base}/rounds/{rnd.pk}/live/")
    page.wait_for_selector("#conn[data-state=live]")
    assert page.input_value("#bid-amount") == yuan_text(START)  # thousands separators
    assert capital(START) in page.locator("#bid-capital").inner_text()
    page.fill("#bid-amount", "1141200")
    assert "壹佰壹拾肆万壹仟贰佰元整" in page.locator("#bid-capital").inner_text()
    assert "1,141,200.00" in page.locator("#bid-capital").inner_text()
    page.fill("#bid-amount", yuan_text(START))
    page.click("#bid-submit")
    page.wait_for_selector("#bid-confirm[open]")
    assert capital(START) in page.locator("#bid-confirm-capital").inner_text()
    screenshot(page, f"journey-{size}-4-confirm")
    page.click("#bid-confirm-cancel")  # cancelled: nothing sent
    page.wait_for_timeout(300)
    assert Bid.objects.filter(round=rnd).count() == 0
    page.click("#bid-submit")
    confirm(page)
    page.wait_for_function(f"document.getElementById('leader-code').textContent === '{code}'")
    page.wait_for_function("document.getElementById('bid-message').textContent.indexOf('出价成功') >= 0")
    assert "我" in page.locator("#bid-rows tr").first.inner_text() and "领先" in page.locator("#bid-rows tr").first.inner_text()

    # 3. outbid: the other bidder's bid shows at once, the record marks 出局
    assert in_thread(lambda: place_bid(rival, round_id=rnd.pk, amount=START + INCREMENT)).accepted
    page.wait_for_selector("#bid-message.warn")
    assert "已被超越" in page.locator("#bid-message").inner_text()
    rows = page.locator("#bid-rows tr")
    assert "A9001" in rows.nth(0).inner_text() and "领先" in rows.nth(0).inner_text()
    assert code in rows.nth(1).inner_text() and "出局" in rows.nth(1).inner_text() and "我" in rows.nth(1).inner_text()
    screenshot(page, f"journey-{size}-5-outbid")

    # 4. a bid 20 increments above the current price needs a second, distinct confirmation
    current = START + INCREMENT
    page.fill("#bid-amount", yuan_text(current + 20 * INCREMENT))
    page.click("#bid-submit")
    page.wait_for_selector("#bid-confirm[open]")
    page.click("#bid-confirm-ok")
    page.wait_for_selector("#bid-confirm[open].warning")
    assert "20 个加价幅度" in page.locator("#bid-confirm-warning").inner_text()
    screenshot(page, f"journey-{size}-6-large-jump")
    page.click("#bid-confirm-cancel")
    page.wait_for_timeout(300)
    assert Bid.objects.filter(round=rnd).count() == 2  # not sent
    # the leader's repeat bid is refused in plain words (after a normal bid that leads again)
    page.fill("#bid-amount", yuan_text(current + INCREMENT))
    page.click("#bid-submit")
    confirm(page)
    page.wait_for_function(f"document.getElementById('leader-code').textContent === '{code}'")
    page.fill("#bid-amount", yuan_text(current + 2 * INCREMENT))
    page.click("#bid-submit")
    confirm(page)
    page.wait_for_selector("#bid-message.error")
    assert "您已是当前最高出价人" in page.locator("#bid-message").inner_text()

    # 5. the close: the winner sees 竞得 and the next steps (documents, balance, deadline, how to pay)
    Round.objects.filter(pk=rnd.pk).update(ends_at=clock.now())  # every bid so far was before it
    assert in_thread(lambda: bidding_clock.close_round(rnd.pk, clock.now())) == "sold"
    page.wait_for_selector("#next-steps.won", timeout=15000)
    steps = page.locator("#next-steps").inner_text()
    sold = current + INCREMENT
    assert "竞得" in steps and yuan_text(sold - DEPOSIT) in steps and "支付尾款" in steps
    rnd.refresh_from_db()
    assert timezone.localtime(rnd.balance_due_at).strftime("%Y-%m-%d %H:%M") in steps
    page.wait_for_function("/\\d/.test(document.getElementById('balance-countdown').textContent)")
    assert "您目前领先" not in page.locator("#bid-message").inner_text()
    from settlement import clockwork as settlement_clock

    settlement_clock.tick(None)  # the confirmation (成交确认书) is generated by the clock
    page.reload()
    page.wait_for_selector("#next-steps.won")
    assert page.locator("#next-steps a[data-kind=confirmation]").count() == 1
    screenshot(page, f"journey-{size}-7-won")

    # 6. the other bidder: 未竞得, and when the deposit comes back (A23: within 24 hours)
    other = new_context(**VIEWPORTS[size])
    from django.test import Client

    client = Client()
    client.force_login(rival)
    other.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}])
    loser = other.new_page()
    loser.goto(f"{base}/rounds/{rnd.pk}/live/")
    loser.wait_for_selector("#next-steps.lost")
    assert "24小时" in loser.locator("#deposit-return").inner_text() and yuan_text(DEPOSIT) in loser.locator("#deposit-return").inner_text()
    screenshot(loser, f"journey-{size}-8-lost")
    assert rival_reg.pk != Registration.objects.get(bidder=chen).pk
    if size == "390":
        assert page.evaluate("document.documentElement.scrollWidth") <= 391
    assert errors == []


def test_a_selloff_is_not_bought_on_the_deposit_alone(live_daphne, new_context, screenshot, enforcement_case, bidder_factory):
    base = live_daphne.url
    lot = Lot.objects.create(case=enforcement_case, title="重型半挂牵引车一辆", category="vehicle", created_at=clock.now())
    price = 484_400_000
    selloff = make_round(lot, number=3, kind="selloff", starting_price=price, deposit=48_440_000, starts_in=timedelta(days=-10),
                         lasts=timedelta(days=60))
    buyer = bidder_factory()
    hold(selloff, buyer, "A9101", held_amount=48_440_000)  # the 10% deposit only
    page = new_context(mobile=True).new_page()
    login(page, base, buyer.username)
    page.goto(f"{base}/rounds/{selloff.pk}/live/")
    page.wait_for_selector("#conn[data-state=live]")
    assert "变卖价" in page.locator(".live-price-line").inner_text()
    assert page.locator("#price-chart").count() == 0 and page.locator("#extension-note").count() == 0
    assert page.input_value("#bid-amount") == yuan_text(price)
    page.click("#bid-submit")
    page.wait_for_selector("#bid-confirm[open]")
    assert "全款购买" in page.locator("#bid-confirm-title").inner_text()
    page.click("#bid-confirm-ok")
    page.wait_for_selector("#bid-message.error")
    assert "仅缴纳保证金不能成交" in page.locator("#bid-message").inner_text()
    selloff.refresh_from_db()
    assert selloff.status == "open" and selloff.bid_count == 0
    screenshot(page, "journey-selloff-deposit-alone-refused")
    page.goto(f"{base}/lots/{lot.pk}/")
    box = page.locator(f"#round-{selloff.pk}").inner_text()
    assert "变卖价" in box and "已延时" not in box
    screenshot(page, "journey-selloff-lot-page")
