"""Escrow fixtures: a lot with rounds in any state, the provider cleared per test, helpers to pay and close."""

import hashlib
import hmac
import json
import time
import urllib.request
from datetime import timedelta

import pytest
from django.conf import settings

from auction_site import clock

DEPOSIT = 500_000_00  # 500,000 yuan in fen (DOMAIN.md real listing)
START = 3_309_250_00
CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2035, "cvc": "123"}


def flush_provider() -> None:
    """localstripe keeps every object in memory for the whole run: start each test from an empty provider."""
    if settings.PAYMENT_PROVIDER == "stripe" and settings.STRIPE_API_BASE:
        req = urllib.request.Request(settings.STRIPE_API_BASE.rstrip("/") + "/_config/data", method="DELETE")
        urllib.request.urlopen(req, timeout=5).read()


@pytest.fixture(autouse=True)
def _clean_provider():
    flush_provider()
    yield


@pytest.fixture
def lot(enforcement_case):
    from lots.models import Lot

    return Lot.objects.create(case=enforcement_case, title="苏州市姑苏区某路1号房产", category="real_estate",
                              reference_price=4_727_500_00, created_at=clock.now())


@pytest.fixture
def round_factory(lot):
    from lots.models import Round

    def make(status: str = "announced", number: int = 1, deposit: int = DEPOSIT, the_lot=None, **extra):
        now = clock.now()
        starts = now + timedelta(days=1) if status == "announced" else now - timedelta(hours=1)
        ends = starts + timedelta(days=1)
        fields = dict(lot=the_lot or lot, number=number, status=status, starting_price=START, deposit=deposit, increment=5_000_00,
                      starts_at=starts, ends_at=ends, scheduled_ends_at=ends, created_at=now, published_at=now - timedelta(days=31))
        fields.update(extra)
        return Round.objects.create(**fields)

    return make


@pytest.fixture
def announced_round(round_factory):
    return round_factory("announced")


def register_and_pay(client, round_id: int) -> dict:
    r = client.post(f"/api/v1/rounds/{round_id}/register/", format="json")
    assert r.status_code == 201, r.content
    reg_id = r.json()["registration"]["id"]
    r = client.post(f"/api/v1/registrations/{reg_id}/pay/", {"card": CARD}, format="json")
    assert r.status_code == 200, r.content
    return r.json()


def close_round(rnd, winner_reg=None, price: int | None = None):
    """What the bidding helper's closing clock does: sold (with a leader) or failed."""
    now = clock.now()
    rnd.closed_at = now
    if winner_reg is not None:
        rnd.status = "sold"
        rnd.leader_id = winner_reg if isinstance(winner_reg, int) else winner_reg.pk
        rnd.sold_price = price or rnd.starting_price
        rnd.current_price = rnd.sold_price
        rnd.balance_due_at = now + timedelta(days=10)
    else:
        rnd.status = "failed"
    rnd.seq += 1
    rnd.save()
    return rnd


def sign(payload: bytes, secret: str | None = None, at: int | None = None) -> str:
    """A Stripe-Signature header, same algorithm as Stripe (t=..,v1=HMAC-SHA256 over 't.payload')."""
    secret = secret or settings.STRIPE_WEBHOOK_SECRET
    at = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def event(event_id: str, type_: str, obj: dict) -> bytes:
    return json.dumps({"id": event_id, "object": "event", "type": type_, "created": int(time.time()),
                       "data": {"object": obj}}).encode()
