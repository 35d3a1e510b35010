"""A double-clicked "pay" (issue 13, point 11): two requests for one registration at once, in real
threads against PostgreSQL and localstripe. Exactly one charge is made, and both requests get the
same answer (the registration held, one bidder code), never an error."""

import threading
import time

import pytest
import stripe
from django.db import connection

from escrow.gateway import get_gateway
from escrow.models import Deposit, LedgerTransaction, Registration
from tests.concurrency import run_at_once
from tests.conftest import token_client
from tests.escrow.conftest import CARD, DEPOSIT

pytestmark = pytest.mark.django_db(transaction=True)


def _pay_at_once(bidder, round_factory, clicks: int) -> tuple[int, list]:
    rnd = round_factory("announced")
    r = token_client(bidder).post(f"/api/v1/rounds/{rnd.pk}/register/", format="json")
    assert r.status_code == 201, r.content
    reg_id = r.json()["registration"]["id"]

    def click():
        resp = token_client(bidder).post(f"/api/v1/registrations/{reg_id}/pay/", {"card": CARD}, format="json")
        return resp.status_code, resp.json()

    return reg_id, run_at_once(click, n=clicks)


def _succeeded_charges(registration_id: int) -> list:
    return [p for p in get_gateway().all_payments()
            if p.metadata.get("registration") == str(registration_id) and p.status == "succeeded"]


@pytest.mark.parametrize("clicks", [2, 4])
def test_a_double_clicked_pay_charges_once_and_answers_both_clicks_alike(clicks, bidder, round_factory, settings):
    if connection.vendor != "postgresql":
        pytest.skip("a concurrency test of PostgreSQL's locks")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    reg_id, answers = _pay_at_once(bidder, round_factory, clicks)
    _assert_one_charge_same_answers(reg_id, answers, clicks)


def _assert_one_charge_same_answers(reg_id: int, answers: list, clicks: int) -> None:
    assert [status for status, _ in answers] == [200] * clicks, answers
    bodies = [body for _, body in answers]
    assert all(b["status"] == "held" and b["code"] for b in bodies), bodies
    assert len({b["code"] for b in bodies}) == 1  # the same registration, the same code, for every click
    assert len(_succeeded_charges(reg_id)) == 1  # one charge at the provider
    reg = Registration.objects.get(pk=reg_id)
    assert reg.status == "held"
    d = Deposit.objects.get(registration=reg)
    assert [t.external_ref for t in LedgerTransaction.objects.filter(kind="deposit_held")] == [d.payment_intent_id]
    assert get_gateway().retrieve_payment(d.payment_intent_id).amount == DEPOSIT


def test_a_click_refused_while_the_other_is_being_charged_waits_for_that_charge(bidder, round_factory, settings, monkeypatch):
    """The provider is still charging the first click's card when the second click confirms, and
    refuses that second confirmation (as Stripe does for an object another request is working on:
    `lock_timeout`). The second click waits for the first charge and answers the same, not 502."""
    if connection.vendor != "postgresql":
        pytest.skip("a concurrency test of PostgreSQL's locks")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    real_confirm = stripe.PaymentIntent.confirm
    busy: set[str] = set()
    guard = threading.Lock()

    def confirm(intent_id, *args, **kwargs):
        with guard:
            if intent_id in busy:
                raise stripe.RateLimitError("This object cannot be accessed right now because another API request or Stripe "
                                            "process is currently accessing it.", http_status=429, code="lock_timeout")
            busy.add(intent_id)
        try:
            time.sleep(1.0)  # the card is being charged
            return real_confirm(intent_id, *args, **kwargs)
        finally:
            with guard:
                busy.discard(intent_id)

    monkeypatch.setattr(stripe.PaymentIntent, "confirm", confirm)
    reg_id, answers = _pay_at_once(bidder, round_factory, 2)
    _assert_one_charge_same_answers(reg_id, answers, 2)
