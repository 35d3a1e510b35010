"""The pages: valuer inbox and answer form, the judge's valuation pages, the parties' view, the public include."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from auction_site import clock
from tests.valuation.conftest import inquiry_of, pdf_bytes
from valuation.models import Inquiry, Quote


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def network(lot, platforms, parties, start):
    return start(lot, "network")


def test_valuer_inbox_lists_open_inquiry_with_countdown(network, platforms):
    html = client_for(platforms[0][1]).get("/valuer/").content.decode()
    assert "苏州市姑苏区干将西路1号1201室" in html
    assert 'class="countdown" data-deadline=' in html
    assert f"/valuer/inquiries/{inquiry_of(network, 'P1')}/answer/" in html


def test_valuer_answers_through_the_form(network, platforms, lot):
    c = client_for(platforms[0][1])
    iid = inquiry_of(network, "P1")
    valid = (clock.now() + timedelta(days=100)).date().isoformat()
    r = c.post(f"/valuer/inquiries/{iid}/answer/", {"price": "4,727,500.05", "valid_until": valid,
                                                     "report": SimpleUploadedFile("r.pdf", pdf_bytes(), content_type="application/pdf")})
    assert r.status_code == 200 and "确认提交" in r.content.decode()  # the confirmation step (tests/valuation/test_one_story.py)
    assert not Quote.objects.filter(inquiry_id=iid).exists()
    # a non-PDF through the form: refused with a message, nothing stored
    r = client_for(platforms[1][1]).post(f"/valuer/inquiries/{inquiry_of(network, 'P2')}/answer/", {"price": "1", "valid_until": valid,
                                         "report": SimpleUploadedFile("r.pdf", b"GIF89a" + b"0" * 300)}, follow=True)
    assert "报告须为 PDF 文件" in r.content.decode()
    assert not Quote.objects.filter(inquiry_id=inquiry_of(network, "P2")).exists()


def test_valuer_form_refuses_three_decimals(network, platforms):
    c = client_for(platforms[0][1])
    r = c.post(f"/valuer/inquiries/{inquiry_of(network, 'P1')}/answer/", {"price": "10.005", "valid_until": "2099-01-01",
               "report": SimpleUploadedFile("r.pdf", pdf_bytes())}, follow=True)
    assert r.status_code == 200 and not Quote.objects.exists()


def test_non_valuer_gets_403(bidder):
    assert client_for(bidder).get("/valuer/").status_code == 403


def test_judge_pages(network, platforms, quote, judge, other_judge, lot):
    for (org, user), price in zip(platforms, [100_000_00, 200_000_00, 300_000_00]):
        quote(user, inquiry_of(network, org.code), price)
    c = client_for(judge)
    html = c.get(f"/court/valuations/{network['id']}/").content.decode()
    assert "¥200,000.00" in html and 'id="quotes-chart"' in html and "chart.umd.min.js" in html
    assert html.count('class="card quote-card') == 3
    assert c.get(f"/court/lots/{lot.pk}/valuation/").status_code == 200
    assert client_for(other_judge).get(f"/court/valuations/{network['id']}/").status_code == 403


def test_judge_starts_from_the_lot_page(lot, platforms, judge):
    r = client_for(judge).post(f"/court/lots/{lot.pk}/valuation/", {"method": "network"})
    assert r.status_code == 302
    assert Inquiry.objects.count() == 3


def test_party_page_and_objection_form(network, platforms, quote, parties):
    for (org, user), price in zip(platforms, [100_000_00, 200_000_00, 300_000_00]):
        quote(user, inquiry_of(network, org.code), price)
    c = client_for(parties[1])
    html = c.get("/party/").content.decode()
    assert "提交异议" in html and "参考价已确定" in html
    r = c.post(f"/party/valuations/{network['id']}/objection/", {"ground": "wrong_facts", "reason": "面积错误",
                                                                  "inquiry": inquiry_of(network, "P3")})
    assert r.status_code == 302
    from valuation.models import Objection

    assert Objection.objects.get().inquiry_id == inquiry_of(network, "P3")


def test_public_include_shows_only_the_basis(network, platforms, quote, lot):
    from django.template.loader import render_to_string

    for (org, user), price in zip(platforms, [100_000_00, 200_000_00, 300_000_00]):
        quote(user, inquiry_of(network, org.code), price)
    lot.refresh_from_db()
    html = render_to_string("valuation/_lot_valuation.html", {"lot": lot})
    assert "¥200,000.00" in html and "3 家" in html
    assert "300,000.00" not in html and "P3" not in html  # individual platform results are not public here
