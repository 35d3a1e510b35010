"""Browser: the judge settles a paid round on the settlement page, sees the dashboard's charts; the public
reads the result page on a phone. (Settlement's browser test; data set up through the models and ledger.)"""

import pytest

from escrow import ledger
from tests.e2e.conftest import login
from tests.settlement.conftest import pay_in_full, s3_bucket, sold_round  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.live]



@pytest.fixture
def paid(live_daphne, enforcement_case, sold_round):  # noqa: F811 (fixture imported from tests/settlement)
    enforcement_case.amount_owed = 331_925_000
    enforcement_case.save()
    return pay_in_full(sold_round)


def test_judge_settles_in_the_browser_and_reads_the_dashboard(live_daphne, new_context, screenshot, judge, paid):
    from settlement import clockwork

    clockwork.tick(None)  # the documents
    page = new_context().new_page()
    login(page, live_daphne.url, judge.username)
    page.goto(f"{live_daphne.url}/court/rounds/{paid.pk}/settlement/")
    assert page.locator("a", has_text="网络竞价成交确认书").count() == 1
    assert page.locator("a", has_text="拍卖成交裁定书").count() == 1
    # The proposal: the applicant up to the debt. Add a cost and take it off the creditor.
    page.fill("input[name=payee_0]", "执行费")
    page.fill("input[name=amount_0]", "1000.00")
    page.fill("input[name=amount_2]", "3318250.00")
    screenshot(page, "settlement-form")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#payouts").is_visible()
    assert "3,318,250.00" in page.locator("#payouts").inner_text()
    assert ledger.balance(ledger.case_account(paid.lot.case)) == 0
    page.goto(f"{live_daphne.url}/court/dashboard/")
    page.wait_for_function("() => window.Chart && Chart.getChart('chart-sale-rate') && Chart.getChart('chart-amounts')")
    assert page.locator("#stat-sale-rate").inner_text() == "100.00%"
    screenshot(page, "settlement-dashboard")
    with page.expect_download() as dl:
        page.click("text=导出CSV")
    assert "court-dashboard.csv" in dl.value.suggested_filename


def test_public_result_on_a_phone(live_daphne, new_context, screenshot, paid):
    page = new_context(mobile=True).new_page()
    page.goto(f"{live_daphne.url}/rounds/{paid.pk}/result/")
    assert page.locator("#buyer-name").inner_text() == "张伟"
    rows = page.locator("#bid-history tbody tr")
    assert rows.count() == 3 and "A7K2" in rows.first.inner_text()
    assert "李娜" not in page.content()
    page.wait_for_function("() => window.Chart && Chart.getChart('chart-bids')")
    # Usable at phone width: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    screenshot(page, "settlement-result-phone")
