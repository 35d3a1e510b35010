"""Bad input -> a clear 4xx in the contract's shape, and nothing changed."""

from datetime import timedelta

import pytest

from auction_site import clock
from auction_site.models import AuditRecord
from tests.valuation.conftest import inquiry_of
from valuation.models import Inquiry, Quote, Valuation


@pytest.fixture
def network(lot, platforms, start):
    return start(lot, "network")


def snapshot():
    return Quote.objects.count(), AuditRecord.objects.count()


@pytest.mark.parametrize("price", [-100, 0, 10**16, 1234.5, "123400", True, None])
def test_bad_price_in_json(network, platforms, as_user, price):
    org, user = platforms[0]
    before = snapshot()
    r = as_user(user).post(f"/api/v1/valuer/inquiries/{inquiry_of(network, org.code)}/quote/",
                           {"price": price, "valid_until": "2099-01-01T00:00:00Z", "report_key": "x"}, format="json")
    assert r.status_code == 400, r.content
    assert r.json()["error"]["code"] in {"invalid_price", "price_absurd"}
    assert snapshot() == before


@pytest.mark.parametrize("price", ["-100", "12.5", "abc", "1e9", "0", "99999999999999999"])
def test_bad_price_in_form(network, platforms, quote, price):
    org, user = platforms[0]
    before = snapshot()
    r = quote(user, inquiry_of(network, org.code), price)
    assert r.status_code == 400 and "error" in r.json()
    assert snapshot() == before


def test_quote_on_someone_elses_inquiry(network, platforms, quote):
    before = snapshot()
    r = quote(platforms[1][1], inquiry_of(network, "P1"), 100_000_00)
    assert r.status_code == 403 and r.json()["error"]["code"] == "other_organisation"
    assert snapshot() == before


def test_non_valuer_cannot_quote(network, bidder, quote, judge):
    assert quote(bidder, inquiry_of(network, "P1"), 100_000_00).status_code == 403
    assert quote(judge, inquiry_of(network, "P1"), 100_000_00).status_code == 403


def test_quote_after_the_deadline(network, platforms, quote, advance_clock):
    advance_clock(days=3, seconds=1)
    before = snapshot()
    r = quote(platforms[0][1], inquiry_of(network, "P1"), 100_000_00)
    assert r.status_code == 409 and r.json()["error"]["code"] == "deadline_passed"
    assert snapshot() == before


def test_non_pdf_report(network, platforms, quote):
    before = snapshot()
    r = quote(platforms[0][1], inquiry_of(network, "P1"), 100_000_00, report=b"PK\x03\x04" + b"\0" * 500)
    assert r.status_code == 400 and r.json()["error"]["code"] == "report_not_pdf"
    r = quote(platforms[0][1], inquiry_of(network, "P1"), 100_000_00, report=b"<html>" + b"x" * 500)
    assert r.status_code == 400
    assert snapshot() == before


def test_report_is_required_and_key_must_belong_to_the_inquiry(network, platforms, as_user):
    org, user = platforms[0]
    url = f"/api/v1/valuer/inquiries/{inquiry_of(network, org.code)}/quote/"
    r = as_user(user).post(url, {"price": 100_000_00, "valid_until": "2099-01-01T00:00:00Z"}, format="json")
    assert r.status_code == 400  # no report (and validity > 1 year)
    r = as_user(user).post(url, {"price": 100_000_00, "valid_until": "2026-01-01T00:00:00Z", "report_key": "valuation/reports/inquiry-999/x.pdf"}, format="json")
    assert r.status_code == 400


def test_validity_over_one_year_refused(network, platforms, quote):
    r = quote(platforms[0][1], inquiry_of(network, "P1"), 100_000_00, days=366)
    assert r.status_code == 400 and r.json()["error"]["code"] == "validity_too_long"


def test_uploaded_report_key_then_json_quote(network, platforms, as_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.valuation.conftest import pdf_bytes

    org, user = platforms[0]
    iid = inquiry_of(network, org.code)
    r = as_user(user).post(f"/api/v1/valuer/inquiries/{iid}/report/", {"report": SimpleUploadedFile("r.pdf", pdf_bytes())}, format="multipart")
    assert r.status_code == 201
    key = r.json()["report_key"]
    valid = (clock.now() + timedelta(days=30)).isoformat()
    r = as_user(user).post(f"/api/v1/valuer/inquiries/{iid}/quote/", {"price": 123_456_78, "valid_until": valid, "report_key": key}, format="json")
    assert r.status_code == 201, r.json()
    assert Quote.objects.get().report_key == key


def test_start_valuation_bad_input(lot, judge, other_judge, as_user, platforms):
    url = f"/api/v1/lots/{lot.pk}/valuations/"
    assert as_user(judge).post(url, {"method": "guess"}, format="json").status_code == 400
    assert as_user(judge).post(url, "{not json", content_type="application/json").status_code == 400
    assert as_user(other_judge).post(url, {"method": "network"}, format="json").status_code == 403
    assert as_user(judge).post("/api/v1/lots/999999/valuations/", {"method": "network"}, format="json").status_code == 404
    assert as_user(judge).post(url, {"method": "negotiated", "deadline": "2099-01-01T00:00:00Z"}, format="json").status_code == 400
    assert not Valuation.objects.exists()
    assert as_user(judge).post(url, {"method": "network"}, format="json").status_code == 201
    r = as_user(judge).post(url, {"method": "network"}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "valuation_open"


def test_unknown_inquiry_is_404(platforms, as_user):
    r = as_user(platforms[0][1]).post("/api/v1/valuer/inquiries/99999/quote/", {"price": 1}, format="json")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_non_object_bodies_are_refused(network, platforms, as_user):
    org, user = platforms[0]
    iid = inquiry_of(network, org.code)
    for path in ("quote", "extension"):
        r = as_user(user).post(f"/api/v1/valuer/inquiries/{iid}/{path}/", [1, 2], format="json")
        assert r.status_code == 400 and r.json()["error"]["code"] == "malformed"
        r = as_user(user).post(f"/api/v1/valuer/inquiries/{iid}/{path}/", "{oops", content_type="application/json")
        assert r.status_code == 400
    r = as_user(user).post(f"/api/v1/valuer/inquiries/{iid}/extension/", {"days": "3"}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_days"
    assert Inquiry.objects.get(pk=iid).extension_requested_at is None


def test_page_forms_never_500(network, platforms, judge, lot):
    from django.test import Client

    c = Client()
    c.force_login(judge)
    for data in [{"method": "negotiated", "deadline": "not-a-date"}, {"method": "appraisal", "inst1": "NOPE"}, {"method": ""}]:
        r = c.post(f"/court/lots/{lot.pk}/valuation/", data)
        assert r.status_code == 302
    v = Valuation.objects.get()
    c.force_login(platforms[0][1])
    r = c.post(f"/valuer/inquiries/{inquiry_of(network, 'P1')}/answer/", {"price": "abc", "valid_until": "x"})
    assert r.status_code == 302 and not Quote.objects.exists()
    r = c.post(f"/valuer/inquiries/{inquiry_of(network, 'P1')}/extension/", {"days": "zz"})
    assert r.status_code == 302
    assert v.status == "open"
