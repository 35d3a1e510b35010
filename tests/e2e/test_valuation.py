"""Browser test of valuation: a valuer logs in, answers an inquiry with a PDF report in the inbox, confirms it,
sees the property's dossier on the desk, and the judge's valuation page shows the new reference price (Playwright + Debian's Chromium, live Daphne)."""

import re

import pytest

from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.live]



@pytest.fixture
def network_inquiry(live_daphne, judge, enforcement_case):
    """A lot with one portal platform (and its valuer) and the built-in model, and an open network inquiry."""
    from lots.media import ensure_bucket
    from lots.models import Lot
    from tests.conftest import make_user
    from valuation import services
    from valuation.models import Organisation

    ensure_bucket()
    from auction_site import clock

    lot = Lot.objects.create(case=enforcement_case, title="苏州工业园区星湖街328号1502室", category="real_estate", city="苏州",
                             location="苏州工业园区星湖街328号", size="128.60", year_built=2012, created_at=clock.now(),
                             title_status="苏(2019)苏州工业园区不动产权第0088001号", occupancy="出租，租期至2027年6月",
                             defects_and_encumbrances="外墙渗水")
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from lots.models import Media

    key = default_storage.save(f"lots/{lot.pk}/document/register.pdf", ContentFile(_pdf_bytes()))
    Media.objects.create(lot=lot, kind="document", title="不动产登记信息", key=key, content_type="application/pdf", size=1000,
                         status="ready", created_at=clock.now())
    org = Organisation.objects.create(code="NP1", kind="inquiry_platform", name="甲司法网络询价平台", provider="portal")
    Organisation.objects.create(code="AVM", kind="inquiry_platform", name="平台内置自动估价模型", provider="builtin_avm")
    valuer = make_user("valuer_platform1", "valuer", real_name="甲平台估价师")
    services.join_organisation(valuer, organisation_code=org.code)
    v = services.start_valuation(judge, lot=lot, method="network")
    return live_daphne, v


def _pdf_bytes() -> bytes:
    from tests.valuation.conftest import pdf_bytes

    return pdf_bytes(2)


def test_valuer_answers_and_judge_sees_the_reference_price(network_inquiry, new_context, screenshot, judge):
    server, valuation = network_inquiry
    base = server.url
    errors: list[str] = []

    # The valuer's inbox: the open inquiry, its deadline counting down, the answer form.
    page = new_context(mobile=True).new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, base, "valuer_platform1")
    page.goto(f"{base}/valuer/")
    card = page.locator("section.inquiry").first
    assert "星湖街328号1502室" in card.inner_text()
    countdown = card.locator(".countdown")
    page.wait_for_function("el => /天|小时/.test(el.textContent)", arg=countdown.element_handle())
    assert re.search(r"2天 23小时", countdown.inner_text())
    screenshot(page, "valuation-valuer-inbox-mobile")
    card.locator("input[name=price]").fill("4727500.00")
    card.locator("input[type=file]").set_input_files({"name": "询价报告.pdf", "mimeType": "application/pdf", "buffer": _pdf_bytes()})
    card.locator("button[type=submit]", has_text="提交结果").click()
    # the confirmation step: the result is shown, with the warning that it cannot be changed once submitted
    page.wait_for_selector("#confirm")
    assert "¥4,727,500.00" in page.locator("#confirm-price").inner_text()
    assert "结果提交后不能撤回或修改" in page.locator("#confirm").inner_text()
    page.locator("#confirm-submit").click()
    page.wait_for_load_state("networkidle")
    assert "已提交报价 4,727,500.00 元" in page.locator(".messages").inner_text()
    # the valuer's desk: the property's dossier (title, occupancy, defects, documents) and the report submitted
    dossier = page.locator("#dossier").inner_text()
    assert all(fact in dossier for fact in ("不动产权第0088001号", "出租，租期至2027年6月", "外墙渗水", "不动产登记信息"))
    assert page.locator("#my-answer .report-link").count() == 1
    screenshot(page, "valuation-valuer-desk-mobile")
    page.goto(f"{base}/valuer/")
    assert page.locator("section.inquiry").count() == 0  # nothing left to answer

    # The judge's page: every result side by side, the computed reference price and the chart.
    jpage = new_context().new_page()
    jpage.on("pageerror", lambda e: errors.append(str(e)))
    login(jpage, base, judge.username)
    jpage.goto(f"{base}/court/valuations/{valuation.pk}/")
    assert "¥4,727,500.00" in jpage.locator("#reference-price").inner_text()
    assert jpage.locator(".quote-card").count() == 2
    assert "甲司法网络询价平台" in jpage.locator(".quotes").inner_text()
    jpage.wait_for_function("() => { const c = document.getElementById('quotes-chart'); return c && c.width > 0 && window.Chart && Chart.getChart(c); }")
    # the report opens: a signed URL to the stored PDF
    href = jpage.locator(".report-link").first.get_attribute("href")
    resp = jpage.request.get(href if href.startswith("http") else base + href)
    assert resp.status == 200 and resp.body()[:5] == b"%PDF-"
    screenshot(jpage, "valuation-judge-page")
    assert not errors, errors

    from lots.models import Lot

    assert Lot.objects.get(pk=valuation.lot_id).reference_price == 472_750_000
