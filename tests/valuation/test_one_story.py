"""Issue 17: one owner of a lot's reference price, one rule for "overdue", one method at a time, the valuer's desk."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from auction_site import clock
from auction_site.models import AuditRecord
from tests.valuation.conftest import inquiry_of, pdf_bytes
from valuation import clockwork, selectors
from valuation.models import Quote, Valuation

ROOT = Path(__file__).resolve().parents[2]


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def later(days: int) -> str:
    return (clock.now() + timedelta(days=days)).isoformat()


# ------------------------------------------------------------------------------------- one reference price owner


def test_only_the_owner_writes_a_lots_reference_price():
    """lots.services' two writers are called from valuation.services.reference alone (and the demo loaders)."""
    callers = set()
    apps = [d for d in ROOT.iterdir() if d.is_dir() and not d.is_symlink() and (d / "__init__.py").exists()]
    for path in (p for app in apps for p in app.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("tests/") or "/migrations/" in rel:
            continue
        if re.search(r"\b(set|clear)_reference_price\(", path.read_text(encoding="utf-8")):
            callers.add(rel)
    assert callers - {"lots/services.py", "lots/demo.py", "valuation/demo.py"} == {"valuation/services/reference.py"}


def _assert_written_by(lot, v_id: int, price: int) -> None:
    lot.refresh_from_db()
    ref = selectors.reference_of(lot)
    assert (lot.reference_price, ref.price, ref.valuation.pk) == (price, price, v_id)
    assert lot.reference_price_source.endswith(f"估价#{v_id}")
    assert AuditRecord.objects.filter(action="lot.reference_price_set", data__amount=price).exists()


def test_every_method_result_goes_through_the_owner(lot, parties, platforms, agency, institutions, start, quote, as_user, judge):
    # B4 negotiated: the same price from both parties
    v = start(lot, "negotiated", deadline=later(5))
    for user in parties:
        assert as_user(user).post(f"/api/v1/valuations/{v['id']}/offers/", {"price": 300_000_000}, format="json").status_code == 201
    _assert_written_by(lot, v["id"], 300_000_000)
    # B5 directed, B13 network (the average), B16 appraisal: each after the previous one is closed
    v = start(lot, "directed", agency="AG1", price_basis="tax_base", deadline=later(10))
    quote(agency[1], inquiry_of(v, "AG1"), 310_000_000)
    _assert_written_by(lot, v["id"], 310_000_000)
    v = start(lot, "network")
    for (org, user), price in zip(platforms, [300_000_000, 320_000_000, 340_000_001]):
        quote(user, inquiry_of(v, org.code), price)
    _assert_written_by(lot, v["id"], 320_000_000)  # (300 + 320 + 340.00001) / 3, half up
    v = start(lot, "appraisal", institutions=["I02", "I01", "I03"])
    quote(institutions[1][1], inquiry_of(v, "I02"), 330_000_000)
    _assert_written_by(lot, v["id"], 330_000_000)
    # the judge's lot page and the public basis tell the same: the latest result, its method
    html = client_for(judge).get(f"/court/lots/{lot.pk}/valuation/").content.decode()
    assert "¥3,300,000.00" in html and f"委托评估 #{v['id']}" in html
    assert selectors.public_basis(lot)["method"] == "appraisal"


def test_a_price_entered_on_the_lot_is_not_told_as_a_valuation(lot, judge):
    lot.reference_price, lot.reference_price_source = 128_000_000, "网络询价：三家司法网络询价平台结果平均值"
    lot.save()
    ref = selectors.reference_of(lot)
    assert ref.entered and ref.valuation is None and selectors.public_basis(lot) is None
    html = client_for(judge).get(f"/court/lots/{lot.pk}/valuation/").content.decode()
    assert "本平台无对应估价记录" in html and "现参考价为录入值" in html


# ------------------------------------------------------------------------------------------------- overdue


def test_overdue_counted_identically_by_dashboard_and_inbox(lot, platforms, start, quote, judge, court, advance_clock):
    from settlement.selectors import dashboard

    v = start(lot, "network")
    quote(platforms[0][1], inquiry_of(v, "P1"), 300_000_000)

    def counts():
        now = clock.now()
        inbox = [selectors.overdue_inquiries(now, organisation=org).count() for org, _ in platforms]
        return dashboard(court, now).overdue_inquiries, inbox

    assert counts() == (0, [0, 0, 0])
    advance_clock(days=3, seconds=1)  # past B11's deadline, before the clock has run: still awaited
    assert counts() == (2, [0, 1, 1])
    clockwork.tick(clock.now())  # the clock records them as missed (P1 delivered, so no extension): the same two
    assert Valuation.objects.get(pk=v["id"]).inquiries.filter(status="missed").count() == 2
    assert counts() == (2, [0, 1, 1])
    # the pages show what the selectors count
    assert re.search(r'id="overdue-inquiries"[^>]*>2<', client_for(judge).get("/court/dashboard/").content.decode())
    inbox = client_for(platforms[1][1]).get("/valuer/").content.decode()
    assert "逾期未答复：1" in inbox and 'class="tag overdue"' in inbox
    judge_page = client_for(judge).get(f"/court/valuations/{v['id']}/").content.decode()
    assert judge_page.count('class="tag overdue"') == 2  # and the judge's valuation page flags the same two


# --------------------------------------------------------------------------------------- one method at a time


def test_the_lot_page_shows_one_method_at_a_time_and_why_it_moved_on(lot, parties, platforms, start, judge, advance_clock):
    c = client_for(judge)
    html = c.get(f"/court/lots/{lot.pk}/valuation/?method=directed").content.decode()
    assert 'name="agency"' in html and 'name="inst1"' not in html and 'name="fallback_agency"' not in html
    html = c.get(f"/court/lots/{lot.pk}/valuation/?method=appraisal").content.decode()
    assert 'name="inst1"' in html and 'name="agency"' not in html and 'name="deadline"' not in html
    v = start(lot, "negotiated", deadline=later(3))
    advance_clock(days=3, seconds=1)
    clockwork.tick(clock.now())  # B4 deadline passed → B2: network inquiry
    nxt = Valuation.objects.get(pk=v["id"]).next_valuation
    html = c.get(f"/court/lots/{lot.pk}/valuation/").content.decode()
    assert "转入下一方式的原因：[B4] 议价期限届满" in html and "every platform" not in html
    assert 'id="start-form"' not in html and f"网络询价 #{nxt.pk}" in html  # one method at a time: the open one
    html = c.get(f"/court/valuations/{nxt.pk}/").content.decode()
    assert "此前的当事人议价未成，依 B2 转入本方式" in html and "当事人议价" in html


# ------------------------------------------------------------------------------------------- the valuer's desk


@pytest.fixture
def dossier_lot(lot):
    from lots.models import Media

    lot.title_status = "不动产权证号：苏(2019)苏州市不动产权第0012345号"
    lot.occupancy = "被执行人自住，法院负责腾退"
    lot.defects_and_encumbrances = "卫生间渗水；抵押权人苏州银行"
    lot.save()
    for n, (kind, title, ctype) in enumerate([("photo", "客厅照片", "image/jpeg"), ("panorama", "客厅全景", "image/jpeg"),
                                              ("document", "不动产登记信息", "application/pdf")]):
        Media.objects.create(lot=lot, kind=kind, title=title, key=f"lots/{lot.pk}/{kind}-{n}", content_type=ctype, size=1000,
                             status="ready", position=n, created_at=clock.now())
    return lot


def test_the_valuer_sees_the_dossier_and_confirms_before_a_final_answer(dossier_lot, platforms, start, bidder):
    v = start(dossier_lot, "network")
    iid = inquiry_of(v, "P1")
    c = client_for(platforms[0][1])
    desk = c.get(f"/valuer/inquiries/{iid}/").content.decode()
    for fact in ("苏(2019)苏州市不动产权第0012345号", "被执行人自住", "卫生间渗水", "客厅照片", "VR全景：客厅全景", "不动产登记信息"):
        assert fact in desk
    assert "标的尚未公告" in desk and 'id="lot-link"' not in desk  # no public page before the announcement
    assert client_for(bidder).get(f"/valuer/inquiries/{iid}/").status_code == 403
    assert client_for(platforms[1][1]).get(f"/valuer/inquiries/{iid}/").status_code == 403  # another platform's

    # step 1: the answer is checked and shown for confirmation; nothing is submitted yet
    valid = (clock.now() + timedelta(days=100)).date().isoformat()
    r = c.post(f"/valuer/inquiries/{iid}/answer/", {"price": "4,727,500.05", "valid_until": valid,
                                                     "report": SimpleUploadedFile("r.pdf", pdf_bytes(), content_type="application/pdf")})
    page = r.content.decode()
    assert r.status_code == 200 and "结果提交后不能撤回或修改" in page and "¥4,727,500.05" in page
    assert not Quote.objects.filter(inquiry_id=iid).exists()
    key = re.search(r'name="report_key" value="([^"]+)"', page).group(1)
    # step 2: confirmed, it is the platform's result; the desk then links the report instead of the form
    r = c.post(f"/valuer/inquiries/{iid}/answer/", {"confirm": "1", "price": "4,727,500.05", "valid_until": valid, "report_key": key})
    assert r.status_code == 302 and Quote.objects.get(inquiry_id=iid).price == 472_750_005
    desk = c.get(f"/valuer/inquiries/{iid}/").content.decode()
    assert 'class="report-link"' in desk and 'class="answer-form"' not in desk
    # another inquiry's stored report cannot be borrowed at the confirmation
    r = client_for(platforms[1][1]).post(f"/valuer/inquiries/{inquiry_of(v, 'P2')}/answer/",
                                         {"confirm": "1", "price": "1", "valid_until": valid, "report_key": key}, follow=True)
    assert not Quote.objects.filter(inquiry_id=inquiry_of(v, "P2")).exists()
