"""Browser test of the parties (issue 17 point 4): the judge links the applicant's and the debtor's accounts on the
case page; they negotiate (B4) on /party/ — an offer, a counter-offer, an acceptance — and the agreed price is the
lot's reference price on the debtor's 执行公开 page, beside the B1 deadline (Playwright + Debian's Chromium)."""

from datetime import timedelta

import pytest

from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.live]


def test_a_party_linked_by_the_judge_negotiates_and_agrees(live_daphne, judge, new_context, screenshot):
    from auction_site import clock
    from lots import services as lots_services
    from lots.models import Lot
    from tests.conftest import ID_NUMBERS, make_user
    from valuation import services

    case = lots_services.create_case(judge, case_number="(2024)苏05执888号", applicants=["苏州银行股份有限公司"], respondents=["张建国"],
                                     amount_owed=500_000_000)
    lot = Lot.objects.create(case=case, title="张建国名下小型普通客车", category="vehicle", city="苏州", created_at=clock.now(),
                             seized_at=clock.now() - timedelta(days=12))
    make_user("bank_party", "party", real_name="苏州银行股份有限公司")
    make_user("zhang_party", "party", real_name="张建国", phone="13900003333", id_kind="resident_id", id_number=ID_NUMBERS[4])
    base, errors = live_daphne.url, []

    # The judge links both accounts on the case page: the applicant by username, the debtor by phone number.
    jpage = new_context().new_page()
    jpage.on("pageerror", lambda e: errors.append(str(e)))
    login(jpage, base, judge.username)
    jpage.goto(f"{base}/court/cases/{case.pk}/")
    for account, side in (("bank_party", "applicant"), ("13900003333", "respondent")):
        form = jpage.locator("#link-party")
        form.locator("input[name=account]").fill(account)
        form.locator("select[name=side]").select_option(side)
        form.locator("button[type=submit]").click()
        jpage.wait_for_load_state("networkidle")
    assert jpage.locator("#parties tr[data-party]").filter(has_text="zhang_party").count() == 1
    v = services.start_valuation(judge, lot=lot, method="negotiated", deadline=clock.now() + timedelta(days=7))

    # The applicant offers first; the debtor counters; the applicant accepts the counter-offer.
    apage = new_context().new_page()
    apage.on("pageerror", lambda e: errors.append(str(e)))
    login(apage, base, "bank_party")
    apage.goto(f"{base}/party/")
    apage.locator(f"#valuation-{v.pk} .counter-offer input[name=price]").fill("100000")
    apage.locator(f"#valuation-{v.pk} .counter-offer button").click()
    apage.wait_for_load_state("networkidle")
    assert "等待对方答复" in apage.locator(f"#valuation-{v.pk}").inner_text()

    dpage = new_context(mobile=True).new_page()
    dpage.on("pageerror", lambda e: errors.append(str(e)))
    login(dpage, base, "zhang_party")
    dpage.goto(f"{base}/party/")
    card = dpage.locator(f"#valuation-{v.pk}")
    assert "接受对方报价 ¥100,000.00" in card.inner_text()
    dpage.wait_for_function("el => /剩余 \\d+天/.test(el.textContent)", arg=card.locator(".countdown").element_handle())
    card.locator(".counter-offer input[name=price]").fill("90000")
    card.locator(".counter-offer button").click()
    dpage.wait_for_load_state("networkidle")

    apage.goto(f"{base}/party/")
    apage.locator(f"#valuation-{v.pk} .accept-offer button", has_text="¥90,000.00").click()
    apage.wait_for_load_state("networkidle")
    assert "已确定为参考价" in apage.locator(".messages").inner_text()

    dpage.goto(f"{base}/party/cases/{case.pk}/")
    assert "¥90,000.00" in dpage.locator(f"#lot-{lot.pk}").inner_text()
    assert dpage.locator('#deadlines tr[data-article="B1"]').count() == 1
    screenshot(dpage, "parties-case-path-mobile")
    assert not errors, errors
    lot.refresh_from_db()
    assert lot.reference_price == 90_000_00
