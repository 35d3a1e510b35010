"""Stripe webhooks: verified on the raw body, processed once per event id, robust to order."""

import time

import pytest
from django.conf import settings

from escrow import ledger
from escrow.gateway import get_gateway
from escrow.models import LedgerTransaction, ProcessedEvent, Registration
from tests.escrow.conftest import CARD, DEPOSIT, event, sign

pytestmark = pytest.mark.django_db
URL = "/api/v1/escrow/webhooks/stripe/"


@pytest.fixture
def paid_at_provider(as_user, bidder, announced_round):
    """A registration whose deposit the bidder paid at the provider; no webhook has arrived yet."""
    body = as_user(bidder).post(f"/api/v1/rounds/{announced_round.pk}/register/", format="json").json()
    pi = body["payment"]["payment_intent"]
    get_gateway().confirm_with_card(pi, CARD)
    return Registration.objects.get(pk=body["registration"]["id"]), pi


def deliver(client, payload: bytes, header: str):
    return client.generic("POST", URL, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)


def test_a_signed_event_holds_the_deposit(client, paid_at_provider):
    reg, pi = paid_at_provider
    payload = event("evt_1", "payment_intent.succeeded", {"id": pi, "object": "payment_intent", "status": "succeeded"})
    r = deliver(client, payload, sign(payload))
    assert r.status_code == 200, r.content
    reg.refresh_from_db()
    assert reg.status == "held" and reg.code
    assert ledger.balance(ledger.provider_cash_account()) == DEPOSIT


@pytest.mark.parametrize("how", ["forged", "wrong_secret", "stale", "missing", "tampered_body"])
def test_forged_or_stale_signatures_are_refused_and_change_nothing(how, client, paid_at_provider):
    reg, pi = paid_at_provider
    payload = event("evt_bad", "payment_intent.succeeded", {"id": pi, "object": "payment_intent", "status": "succeeded"})
    header = {
        "forged": f"t={int(time.time())},v1={'0' * 64}",
        "wrong_secret": sign(payload, secret="whsec_attacker"),
        "stale": sign(payload, at=int(time.time()) - 3600),
        "missing": "",
        "tampered_body": sign(payload),
    }[how]
    if how == "tampered_body":
        payload = payload.replace(b"payment_intent.succeeded", b"payment_intent.succeedeD")
    r = deliver(client, payload, header)
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid_signature"
    reg.refresh_from_db()
    assert reg.status == "pending" and reg.code is None
    assert LedgerTransaction.objects.count() == 0 and ProcessedEvent.objects.count() == 0


def test_malformed_json_with_a_valid_signature_is_400(client):
    payload = b"{not json"
    r = deliver(client, payload, sign(payload))
    assert r.status_code == 400


def test_the_same_event_twice_makes_one_ledger_transaction(client, paid_at_provider):
    reg, pi = paid_at_provider
    payload = event("evt_dup", "payment_intent.succeeded", {"id": pi, "object": "payment_intent"})
    for _ in range(3):
        assert deliver(client, payload, sign(payload)).status_code == 200
    assert LedgerTransaction.objects.filter(kind="deposit_held").count() == 1
    assert ProcessedEvent.objects.filter(event_id="evt_dup").count() == 1
    # A different event about the same payment is processed, but finds nothing left to do.
    other = event("evt_other", "charge.succeeded", {"id": "ch_x", "object": "charge", "payment_intent": pi})
    assert deliver(client, other, sign(other)).json()["outcome"] == "unchanged"
    assert LedgerTransaction.objects.count() == 1
    assert ledger.balance(ledger.provider_cash_account()) == DEPOSIT


def test_refund_event_before_succeeded_acts_on_the_real_state(client, paid_at_provider):
    """Out of order: the refund's event arrives first; we re-fetch the payment and record both steps."""
    reg, pi = paid_at_provider
    gw = get_gateway()
    gw.refund(pi, DEPOSIT, idempotency_key="manual-refund", metadata={})
    refunded = event("evt_r", "charge.refunded", {"id": "ch_y", "object": "charge", "payment_intent": pi})
    assert deliver(client, refunded, sign(refunded)).status_code == 200
    reg.refresh_from_db()
    assert reg.status == "released"
    assert [t.kind for t in LedgerTransaction.objects.order_by("pk")] == ["deposit_held", "deposit_released"]
    succeeded = event("evt_s", "payment_intent.succeeded", {"id": pi, "object": "payment_intent"})
    assert deliver(client, succeeded, sign(succeeded)).status_code == 200
    reg.refresh_from_db()
    assert reg.status == "released"
    assert LedgerTransaction.objects.count() == 2
    assert ledger.balance(ledger.provider_cash_account()) == 0


def test_events_for_unknown_objects_are_acknowledged_and_ignored(client):
    payload = event("evt_u", "payment_intent.succeeded", {"id": "pi_someone_else", "object": "payment_intent"})
    r = deliver(client, payload, sign(payload))
    assert r.status_code == 200 and r.json()["outcome"] == "ignored"
    assert LedgerTransaction.objects.count() == 0


@pytest.mark.live
def test_localstripe_delivers_a_signed_webhook_to_the_live_server(live_daphne, as_user, bidder_factory, round_factory):
    """The real provider path: localstripe signs and posts payment_intent.succeeded to our running server."""
    import urllib.parse
    import urllib.request

    from tests.conftest import token_client

    rnd = round_factory("announced")
    bidder = bidder_factory()
    def point_webhook_at(url: str) -> None:
        data = urllib.parse.urlencode({"url": url, "secret": settings.STRIPE_WEBHOOK_SECRET}).encode()
        urllib.request.urlopen(urllib.request.Request(f"{settings.STRIPE_API_BASE}/_config/webhooks/escrow_tests", data=data), timeout=5)

    point_webhook_at(f"{live_daphne.url}{URL}")
    try:
        body = token_client(bidder).post(f"/api/v1/rounds/{rnd.pk}/register/", format="json").json()
        get_gateway().confirm_with_card(body["payment"]["payment_intent"], CARD)
        reg = Registration.objects.get(pk=body["registration"]["id"])
        deadline = time.time() + 20
        while time.time() < deadline and reg.status != "held":
            time.sleep(0.3)
            reg.refresh_from_db()
    finally:
        # localstripe cannot forget a webhook: point ours at a closed port so later tests' servers never get our events.
        point_webhook_at("http://127.0.0.1:9/closed")
    assert reg.status == "held" and reg.code
    assert ProcessedEvent.objects.filter(type="payment_intent.succeeded").count() == 1


def test_a_balance_payment_webhook_marks_the_round_paid(client, as_user, bidder, round_factory):
    from tests.escrow.conftest import close_round, register_and_pay

    rnd = round_factory("open")
    api = as_user(bidder)
    body = register_and_pay(api, rnd.pk)
    close_round(rnd, body["id"], price=rnd.deposit + 900_000_00)  # a balance within the card provider's limit
    pay = api.post(f"/api/v1/rounds/{rnd.pk}/pay-balance/", format="json").json()["payment"]
    get_gateway().confirm_with_card(pay["payment_intent"], CARD)
    payload = event("evt_bal", "payment_intent.succeeded", {"id": pay["payment_intent"], "object": "payment_intent"})
    assert deliver(client, payload, sign(payload)).json()["outcome"] == "paid"
    assert deliver(client, payload, sign(payload)).json()["outcome"] == "duplicate"
    rnd.refresh_from_db()
    assert rnd.status == "paid"
    assert ledger.balance(ledger.case_account(rnd.lot.case)) == rnd.sold_price
    assert LedgerTransaction.objects.filter(kind="balance_paid").count() == 1
