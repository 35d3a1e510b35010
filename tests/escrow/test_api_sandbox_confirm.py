"""An API client completes the sandbox deposit payment with its token alone (issue 13, point 7): the
payment's confirm_url is an API call, documented in the schema; the browser page stays pay_page_url."""

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from escrow.models import Deposit, Registration


@pytest.fixture
def sandbox(settings):
    settings.PAYMENT_PROVIDER = "sandbox"


def _token_client(user) -> Client:
    # A plain client (CSRF checks on, as for any outside client), authenticated by the token only.
    token, _ = Token.objects.get_or_create(user=user)
    return Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {token.key}")


def test_the_sandbox_confirm_url_pays_with_a_token_and_no_browser_session(sandbox, bidder, announced_round):
    client = _token_client(bidder)
    r = client.post(f"/api/v1/rounds/{announced_round.pk}/register/", content_type="application/json")
    assert r.status_code == 201, r.content
    payment = r.json()["payment"]
    assert payment["provider"] == "sandbox"
    reg_id = r.json()["registration"]["id"]
    assert payment["confirm_url"] == f"/api/v1/registrations/{reg_id}/confirm/"
    assert payment["pay_page_url"] == f"/escrow/sandbox/pay/{reg_id}/"
    r = client.post(payment["confirm_url"], content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "held" and r.json()["code"].startswith("A")
    assert Deposit.objects.get(registration_id=reg_id).held_at is not None
    # Idempotent: a second confirmation answers the same registration, no second hold.
    again = client.post(payment["confirm_url"], content_type="application/json")
    assert again.status_code == 200 and again.json()["code"] == r.json()["code"]


def test_only_the_owner_confirms_and_anonymous_gets_401(sandbox, bidder_factory, announced_round):
    owner, other = bidder_factory(), bidder_factory()
    r = _token_client(owner).post(f"/api/v1/rounds/{announced_round.pk}/register/", content_type="application/json")
    url = r.json()["payment"]["confirm_url"]
    assert _token_client(other).post(url).status_code == 404
    anon = Client().post(url)
    assert anon.status_code == 401 and anon.json()["error"]["code"] == "not_authenticated"
    assert Registration.objects.get().status == "pending"


def test_the_confirm_call_is_in_the_schema(client):
    schema = client.get("/api/schema/?format=json").json()
    op = schema["paths"]["/api/v1/registrations/{id}/confirm/"]["post"]
    assert "token" in op["description"].lower() or "Token" in op["description"]
    assert {"200", "401", "404"} <= set(op["responses"])
    payment = schema["components"]["schemas"]["DepositPayment"]["properties"]
    assert "confirm_url" in payment and "pay_page_url" in payment
