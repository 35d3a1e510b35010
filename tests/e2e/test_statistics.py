"""Browser: the public open-data statistics page on a phone (charts drawn, nothing wider than the screen)."""

import pytest

from tests.settlement.conftest import s3_bucket  # noqa: F401
from tests.settlement.test_opendata import known_data  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.live]


def test_statistics_page_on_a_phone(live_daphne, new_context, screenshot, known_data):  # noqa: F811
    page = new_context(mobile=True).new_page()
    page.goto(f"{live_daphne.url}/statistics/")
    page.wait_for_function("() => window.Chart && Chart.getChart('chart-sale-rate') && Chart.getChart('chart-amounts')")
    assert page.locator("#stat-sale-rate").inner_text() == "75.00%"  # 3 of 4 lots
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    screenshot(page, "statistics-phone")
    page.click("#court-table >> text=江苏省苏州市中级人民法院")
    page.wait_for_function("() => window.Chart && Chart.getChart('chart-sale-rate')")
    assert page.locator("#stat-sale-rate").inner_text() == "66.67%"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    screenshot(page, "statistics-court-phone")
