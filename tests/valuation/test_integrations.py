"""Validity at publication (B27, A10), the HTTP provider interface, the built-in model as a platform, and the fee (B31)."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from auction_site import clock
from tests.conftest import free_port
from tests.valuation.conftest import inquiry_of
from valuation import clockwork, services
from valuation.models import FeeAward, Inquiry, Organisation, OutboxMessage, Valuation


def tick():
    return clockwork.tick(clock.now())


# ------------------------------------------------------------------------------------------ validity


def _round(judge, lot, start_fen):
    from lots.services import create_round

    starts = clock.now() + timedelta(days=40)
    return create_round(judge, lot=lot, starting_price=start_fen, deposit=start_fen // 10, increment=100_00, starts_at=starts, ends_at=starts + timedelta(days=1), announcement="拍卖公告")


def _codes(exc):
    return {v.code for v in exc.violations}


def test_expired_reference_price_blocks_publication(lot, platforms, start, quote, judge, advance_clock):
    from lots.services import RulesViolated, publish_round

    v = start(lot, "network")
    for org, user in platforms:
        quote(user, inquiry_of(v, org.code), 1_000_000_00, days=60)
    lot.refresh_from_db()
    assert lot.reference_price_valid_until == min(q.valid_until for q in Valuation.objects.get(pk=v["id"]).inquiries.get(organisation__code="P1").quotes.all())
    rnd = _round(judge, lot, 700_000_00)
    with pytest.raises(RulesViolated) as before:
        publish_round(judge, round_id=rnd.pk)  # other disclosures are missing in this bare lot, but not the validity
    assert "reference_price_expired" not in _codes(before.value)
    advance_clock(days=61)
    with pytest.raises(RulesViolated) as after:
        publish_round(judge, round_id=rnd.pk)
    assert "reference_price_expired" in _codes(after.value)


def test_starting_price_checked_against_the_valuation_price(lot, platforms, start, quote, judge):
    from lots.services import RulesViolated

    v = start(lot, "network")
    for org, user in platforms:
        quote(user, inquiry_of(v, org.code), 1_000_000_00)
    with pytest.raises(RulesViolated) as exc:
        _round(judge, lot, 699_999_99)
    assert "starting_price_too_low" in _codes(exc.value)  # A10: ≥ 70% of the reference price fixed here
    assert _round(judge, lot, 700_000_00).starting_price == 700_000_00


# ------------------------------------------------------------------------------------- HTTP provider


class _Provider(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def provider_server():
    _Provider.received = []
    port = free_port()
    server = HTTPServer(("127.0.0.1", port), _Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}/inquiries", _Provider.received
    server.shutdown()


def test_http_provider_gets_signed_facts_and_answers_with_its_token(lot, provider_server, start, api_client, django_capture_on_commit_callbacks):
    url, received = provider_server
    Organisation.objects.create(code="HX", kind="inquiry_platform", name="外部询价服务", provider="http", endpoint=url, secret="s3cret")
    with django_capture_on_commit_callbacks(execute=True):
        v = start(lot, "network")
    assert len(received) == 1
    headers, body = received[0]
    assert headers["X-Signature"] == hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    payload = json.loads(body)
    assert payload["lot"]["title"] == lot.title and payload["inquiry"] == inquiry_of(v, "HX")
    inq = Inquiry.objects.get(pk=payload["inquiry"])
    assert inq.dispatched_at is not None
    quote_url = f"/api/v1/valuer/inquiries/{inq.pk}/quote/"
    body = {"price": 321_000_00, "valid_until": (clock.now() + timedelta(days=90)).isoformat()}
    assert api_client.post(quote_url, body, format="json", HTTP_X_INQUIRY_TOKEN="wrong").status_code == 403
    r = api_client.post(quote_url, body, format="json", HTTP_X_INQUIRY_TOKEN=payload["token"])
    assert r.status_code == 201, r.json()
    lot.refresh_from_db()
    assert lot.reference_price == 321_000_00


def test_http_dispatch_retried_by_the_clock(lot, start, advance_clock):
    port = free_port()  # nothing listens yet
    Organisation.objects.create(code="HX", kind="inquiry_platform", name="外部询价服务", provider="http",
                                endpoint=f"http://127.0.0.1:{port}/x", secret="s")
    start(lot, "network")
    assert tick()["dispatched"] == 0
    inq = Inquiry.objects.get()
    message = inq.outbox_message
    assert inq.dispatched_at is None and message.attempts == 1 and message.last_error and message.sent_at is None
    assert tick()["dispatched"] == 0 and OutboxMessage.objects.get().attempts == 1  # not again before the backoff
    _Provider.received = []
    server = HTTPServer(("127.0.0.1", port), _Provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        advance_clock(minutes=1, seconds=1)
        assert tick()["dispatched"] == 1
        assert tick()["dispatched"] == 0  # sent once
    finally:
        server.shutdown()
        server.server_close()
    (headers, _body), = _Provider.received
    assert headers["Idempotency-Key"] == f"valuation-inquiry-{inq.pk}"
    inq.refresh_from_db()
    assert inq.dispatched_at is not None and OutboxMessage.objects.get().attempts == 2


# -------------------------------------------------------------------------------------- built-in model


@pytest.fixture
def builtin(db):
    return Organisation.objects.create(code="AVM", kind="inquiry_platform", name="平台内置估价模型", provider="builtin_avm")


def _past_sales(n=14):
    from avm.models import PastSale

    now = clock.now()
    PastSale.objects.bulk_create([
        PastSale(category="real_estate", kind="apartment", city="苏州", location="苏州市姑苏区", size=Decimal("95") + i, size_unit="㎡",
                 year_built=2005 + i % 6, sold_at=now - timedelta(days=25 * (i + 1)), price=(20000 + 150 * (i % 5)) * (95 + i) * 100,
                 source=PastSale.Source.IMPORT, created_at=now)
        for i in range(n)])


def test_builtin_model_answers_at_once_as_a_platform(lot, builtin, platforms, start, quote):
    from avm import service as avm_service

    _past_sales()
    expected = avm_service.quote(lot)
    assert expected is not None
    v = start(lot, "network")
    avm_inquiry = Inquiry.objects.get(pk=inquiry_of(v, "AVM"))
    assert avm_inquiry.status == "answered"
    q = avm_inquiry.quotes.get()
    assert q.price == expected.price and q.source == "builtin_avm" and q.basis["n"] == expected.n
    for (org, user), price in zip(platforms, [2_000_000_00, 2_100_000_00, 2_200_000_00]):
        quote(user, inquiry_of(v, org.code), price)
    lot.refresh_from_db()
    total = expected.price + 6_300_000_00
    assert lot.reference_price == (2 * total + 4) // 8  # four results, half up


def test_builtin_model_abstains_without_comparables(lot, builtin, platforms, start, quote):
    v = start(lot, "network")
    assert Inquiry.objects.get(pk=inquiry_of(v, "AVM")).status == "abstained"
    for org, user in platforms:
        quote(user, inquiry_of(v, org.code), 1_000_00)
    assert Valuation.objects.get(pk=v["id"]).status == "concluded"  # the abstention does not hold the others up


# --------------------------------------------------------------------------------------------- fee


def test_fee_goes_to_the_platform_closest_to_the_sale_price(lot, platforms, start, quote, judge):
    from lots.models import Round

    v = start(lot, "network")
    for (org, user), price in zip(platforms, [100_000_00, 130_000_00, 118_000_00]):
        quote(user, inquiry_of(v, org.code), price)
    now = clock.now()
    rnd = Round.objects.create(lot=lot, number=1, status="sold", starting_price=80_000_00, deposit=8_000_00, increment=1_000_00,
                               starts_at=now, ends_at=now + timedelta(days=1), scheduled_ends_at=now + timedelta(days=1),
                               sold_price=125_000_00, created_at=now)
    assert tick()["fees_awarded"] == 1
    award = FeeAward.objects.get()
    assert award.organisation.code == "P2" and award.round == rnd
    assert services.award_network_fee(rnd) == award  # idempotent
    assert tick()["fees_awarded"] == 0
