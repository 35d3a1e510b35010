"""Lenient coercion refused (issue 13, point 3): a price with a newline in a multipart quote, a
correction reason or objection reason sent as a number. Nothing is stored for a refused call."""

import pytest

from auction_site.models import AuditRecord
from tests.valuation.conftest import inquiry_of
from valuation.models import Inquiry, Quote


@pytest.fixture
def network(lot, platforms, start):
    return start(lot, "network")


@pytest.mark.parametrize("price", ["123456789\n", " 123456789", "123456789 ", "+123456789", "1_000", "１２３"])
def test_a_form_price_is_digits_and_nothing_else(network, platforms, quote, price):
    org, user = platforms[0]
    before = Quote.objects.count(), AuditRecord.objects.count()
    r = quote(user, inquiry_of(network, org.code), price)
    assert r.status_code == 400, r.content
    assert r.json()["error"]["code"] == "invalid_price"
    assert (Quote.objects.count(), AuditRecord.objects.count()) == before


def test_a_plain_form_price_is_still_taken(network, platforms, quote):
    org, user = platforms[0]
    r = quote(user, inquiry_of(network, org.code), "123456789")
    assert r.status_code == 201, r.content
    assert r.json()["price"] == 123456789


@pytest.mark.parametrize("reason", [12345, 1.5, True, ["x"], {"a": 1}])
def test_a_correction_reason_must_be_text(network, platforms, quote, judge, as_user, reason):
    org, user = platforms[0]
    inquiry_id = inquiry_of(network, org.code)
    assert quote(user, inquiry_id, 100_000_00).status_code == 201
    before = Inquiry.objects.get(pk=inquiry_id).correction_reason, AuditRecord.objects.count()
    r = as_user(judge).post(f"/api/v1/inquiries/{inquiry_id}/correction/", {"reason": reason}, format="json")
    assert r.status_code == 400, r.content
    assert r.json()["error"]["code"] == "invalid"
    assert (Inquiry.objects.get(pk=inquiry_id).correction_reason, AuditRecord.objects.count()) == before


@pytest.mark.parametrize("days", [1.5, "3", True])
def test_extension_days_must_be_an_integer(network, platforms, as_user, days):
    org, user = platforms[0]
    r = as_user(user).post(f"/api/v1/valuer/inquiries/{inquiry_of(network, org.code)}/extension/", {"days": days}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_days"


@pytest.mark.parametrize("tail", ["quote/", "extension/", "report/"])
def test_anonymous_valuer_calls_get_401(network, platforms, tail):
    from django.test import Client

    inquiry_id = inquiry_of(network, platforms[0][0].code)
    r = Client().post(f"/api/v1/valuer/inquiries/{inquiry_id}/{tail}", {"days": 3}, content_type="application/json")
    assert r.status_code == 401, r.content
    assert r.json()["error"]["code"] == "not_authenticated"
    assert r.has_header("WWW-Authenticate")
