"""Browser (Chromium at 390 px, a live Daphne): a bidder sets a reminder and watches a lot on its page, hears the
reminder in the inbox once the clock passes it (unread count in the header), and finds the lot under 我的关注
and 我的拍卖 — every page without sideways scrolling. Screenshots in tests/artifacts/."""

from datetime import timedelta

import pytest

from auction_site import clock
from following import clockwork as following_clock
from notifications import clockwork as notifications_clock
from tests.bidding.conftest import make_lot, make_round
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.live]

FITS = "document.documentElement.scrollWidth <= window.innerWidth"


def test_reminder_watch_inbox_and_my_auctions_at_390px(live_daphne, new_context, screenshot, enforcement_case, bidder_factory, settings):
    settings.SMS_BACKEND = "notifications.backends.LocmemSmsBackend"
    lot = make_lot(enforcement_case, title="苏州市姑苏区干将路88号商铺")
    rnd = make_round(lot, status="announced", starts_in=timedelta(hours=1))
    rnd.__class__.objects.filter(pk=rnd.pk).update(listed=True)
    user = bidder_factory(email="z@example.cn")
    page = new_context(mobile=True).new_page()
    login(page, live_daphne.url, user.username)

    page.goto(f"{live_daphne.url}/lots/{lot.pk}/")
    page.click(".remind-btn")
    page.wait_for_load_state("networkidle")
    page.click(".watch-btn")
    page.wait_for_load_state("networkidle")
    assert page.locator(".remind-btn").inner_text() == "取消提醒" and page.locator(".watch-btn").inner_text() == "已关注"
    assert page.locator(".n-reminders").inner_text() == "1"
    assert page.evaluate(FITS)
    screenshot(page, "following-lot-390")

    clock.advance(int(timedelta(minutes=35).total_seconds()))  # the clock passes the reminder's time
    assert following_clock.tick(clock.now()).get("reminded") == 1
    notifications_clock.tick(clock.now())
    page.goto(f"{live_daphne.url}/")
    assert page.locator(".inbox-bell .badge").inner_text() == "1"
    page.click(".inbox-bell")
    page.wait_for_load_state("networkidle")
    assert "即将开拍" in page.locator(".notice.unread").first.inner_text()
    assert page.evaluate(FITS)
    screenshot(page, "following-inbox-390")

    page.goto(f"{live_daphne.url}/me/watching/")
    assert lot.title in page.locator(".my-card").first.inner_text() and page.evaluate(FITS)
    page.goto(f"{live_daphne.url}/me/auctions/?tab=reminders")
    card = page.locator(".my-card").first
    assert lot.title in card.inner_text() and card.bounding_box()["width"] <= 390 and page.evaluate(FITS)
    screenshot(page, "following-my-auctions-390")
