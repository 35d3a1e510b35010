"""Registering for a round: eligibility before any money moves, the deposit charged, the bidder code issued."""

import re

import pytest

from accounts.models import BarredIdentity
from escrow import ledger, rules
from escrow.gateway import get_gateway
from escrow.models import Deposit, Registration
from tests.conftest import make_user
from tests.escrow.conftest import CARD, DEPOSIT, close_round, register_and_pay

pytestmark = pytest.mark.django_db


def provider_payments() -> list:
    return [p for p in get_gateway().all_payments() if p.metadata.get("kind") == "deposit"]


def test_register_starts_a_charge_and_the_code_comes_only_when_the_provider_confirms(as_user, bidder, announced_round):
    client = as_user(bidder)
    r = client.post(f"/api/v1/rounds/{announced_round.pk}/register/", format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["registration"]["status"] == "pending" and body["registration"]["code"] is None
    pay = body["payment"]
    assert pay["provider"] == "stripe" and pay["client_secret"].startswith(pay["payment_intent"])
    assert pay["amount"] == DEPOSIT
    # Not held yet: nothing in the ledger, cannot bid.
    assert ledger.balance(ledger.provider_cash_account()) == 0
    reg = Registration.objects.get(pk=body["registration"]["id"])
    assert not reg.can_bid
    # The PaymentIntent names the round and the registration; it is a charge, not a manual-capture hold.
    [p] = provider_payments()
    assert p.id == pay["payment_intent"] and p.metadata["round"] == str(announced_round.pk)
    assert p.metadata["registration"] == str(reg.pk)
    import stripe

    assert stripe.PaymentIntent.retrieve(p.id).capture_method != "manual"

    r = client.post(f"/api/v1/registrations/{reg.pk}/pay/", {"card": CARD}, format="json")
    assert r.status_code == 200, r.content
    reg.refresh_from_db()
    assert reg.status == "held" and reg.can_bid
    assert re.fullmatch(r"A[0-9A-HJ-NP-Z]{4}", reg.code)
    assert ledger.balance(ledger.provider_cash_account()) == DEPOSIT
    assert ledger.balance(ledger.deposit_account(reg)) == DEPOSIT


def test_registering_twice_never_charges_twice(as_user, bidder, announced_round):
    client = as_user(bidder)
    first = client.post(f"/api/v1/rounds/{announced_round.pk}/register/", format="json").json()
    second = client.post(f"/api/v1/rounds/{announced_round.pk}/register/", format="json").json()
    assert first["payment"]["payment_intent"] == second["payment"]["payment_intent"]
    assert len(provider_payments()) == 1
    assert Deposit.objects.count() == 1


def test_priority_holder_gets_its_rank(as_user, bidder, announced_round):
    from lots.models import PriorityHolder

    PriorityHolder.objects.create(lot=announced_round.lot, name=bidder.real_name, id_number=bidder.id_number, rank=2)
    body = register_and_pay(as_user(bidder), announced_round.pk)
    assert body["priority_rank"] == 2


def _barred(kind, bidder, announced_round, round_factory, court):
    if kind == "judge":
        return make_user("judge_x", "judge", court=court)
    if kind == "operator":
        return make_user("op_x", "operator")
    if kind == "relative":
        BarredIdentity.objects.create(id_number=bidder.id_number, name=bidder.real_name, reason="法官近亲属")
        return bidder
    if kind == "debtor_id":
        from lots.models import CaseParty

        CaseParty.objects.create(case=announced_round.lot.case, side="respondent", name="张三", id_number=bidder.id_number)
        return bidder
    if kind == "debtor_user":
        from lots.models import CaseParty

        CaseParty.objects.create(case=announced_round.lot.case, side="respondent", name="张三", user=bidder)
        return bidder
    if kind == "defaulter":
        earlier = round_factory("defaulted", number=0)
        Registration.objects.create(round=earlier, bidder=bidder, status="forfeited", created_at=earlier.created_at)
        return bidder
    if kind == "valuer":
        return make_user("valuer_x", "valuer")
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["judge", "operator", "relative", "debtor_id", "debtor_user", "defaulter", "valuer"])
def test_barred_bidders_are_refused_before_any_money_moves(kind, as_user, bidder, announced_round, round_factory, court):
    user = _barred(kind, bidder, announced_round, round_factory, court)
    r = as_user(user).post(f"/api/v1/rounds/{announced_round.pk}/register/", format="json")
    assert r.status_code == 403, r.content
    assert r.json()["error"]["code"] in {"barred", "not_a_bidder"}
    assert not Registration.objects.filter(round=announced_round).exists()
    assert Deposit.objects.count() == 0
    assert provider_payments() == []  # nothing started at the provider


def test_eligibility_rule_order_and_articles():
    f = rules.BidderFacts
    assert rules.eligibility_violation(f("bidder", False, False, False, False)) is None
    assert rules.eligibility_violation(f("judge", True, False, False, False)).article == "A34"
    assert rules.eligibility_violation(f("bidder", False, True, False, False)).article == "A34"
    debtor = rules.eligibility_violation(f("bidder", False, False, True, False))
    assert debtor.code == "barred" and debtor.article is None  # the debtor bar is platform policy, no article
    assert rules.eligibility_violation(f("bidder", False, False, False, True)).article == "A24"
    assert rules.eligibility_violation(f("party", False, False, False, False)).code == "not_a_bidder"


@pytest.mark.parametrize("status", ["draft", "closed", "sold", "failed", "withdrawn", "suspended"])
def test_register_only_while_announced_or_open(status, as_user, bidder, round_factory):
    rnd = round_factory(status)
    r = as_user(bidder).post(f"/api/v1/rounds/{rnd.pk}/register/", format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_open_for_registration"
    assert Deposit.objects.count() == 0


def test_register_after_bidding_ended_is_refused(as_user, bidder, round_factory, advance_clock):
    rnd = round_factory("open")
    advance_clock(days=2)
    r = as_user(bidder).post(f"/api/v1/rounds/{rnd.pk}/register/", format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "bidding_ended"


def test_unknown_round_and_anonymous(api_client, as_user, bidder):
    assert as_user(bidder).post("/api/v1/rounds/999999/register/", format="json").status_code == 404
    assert api_client.post("/api/v1/rounds/1/register/", format="json").status_code in {401, 403}


def test_declined_card_leaves_the_registration_pending(as_user, bidder, announced_round):
    client = as_user(bidder)
    reg_id = client.post(f"/api/v1/rounds/{announced_round.pk}/register/", format="json").json()["registration"]["id"]
    r = client.post(f"/api/v1/registrations/{reg_id}/pay/", {"card": dict(CARD, number="4000000000000341")}, format="json")
    assert r.status_code == 402 and r.json()["error"]["code"] == "card_declined"
    assert Registration.objects.get(pk=reg_id).status == "pending"
    assert ledger.balance(ledger.provider_cash_account()) == 0


def test_other_bidders_cannot_see_or_pay_a_registration(as_user, bidder_factory, announced_round):
    a, b = bidder_factory(), bidder_factory()
    reg_id = as_user(a).post(f"/api/v1/rounds/{announced_round.pk}/register/", format="json").json()["registration"]["id"]
    assert as_user(b).post(f"/api/v1/registrations/{reg_id}/pay/", {"card": CARD}, format="json").status_code == 404
    assert as_user(b).get(f"/api/v1/registrations/{reg_id}/").status_code == 404


@pytest.mark.parametrize("card", [{"number": 4242424242424242}, {"number": "abc"}, "x", None])
def test_malformed_card_is_400(card, as_user, bidder, announced_round):
    client = as_user(bidder)
    reg_id = client.post(f"/api/v1/rounds/{announced_round.pk}/register/", format="json").json()["registration"]["id"]
    r = client.post(f"/api/v1/registrations/{reg_id}/pay/", {"card": card}, format="json")
    assert r.status_code == 400 and "error" in r.json()


def test_codes_are_unique_random_and_retried_on_collision(as_user, bidder_factory, announced_round, settings, monkeypatch):
    settings.PAYMENT_PROVIDER = "sandbox"
    first = register_and_pay(as_user(bidder_factory()), announced_round.pk)["code"]
    # Force a collision with the first code, then a fresh one: the second bidder still gets a unique code.
    seq = iter([first, first, "AZZZZ"])
    monkeypatch.setattr(rules, "new_bidder_code", lambda: next(seq))
    second = register_and_pay(as_user(bidder_factory()), announced_round.pk)["code"]
    assert second == "AZZZZ"
    monkeypatch.undo()
    settings.PAYMENT_PROVIDER = "sandbox"
    codes = {first, second}
    for _ in range(12):
        codes.add(register_and_pay(as_user(bidder_factory()), announced_round.pk)["code"])
    assert len(codes) == 14
    assert all(re.fullmatch(r"A[0-9A-HJ-NP-Z]{4}", c) for c in codes)
    # Not derived from identity: nothing of the ID number, name or user id is in the code.
    for reg in Registration.objects.filter(round=announced_round).select_related("bidder"):
        assert reg.code[1:] not in (reg.bidder.id_number or "") and str(reg.bidder.pk) != reg.code[1:]


def test_the_generator_draws_from_a_cryptographic_source(monkeypatch):
    import secrets

    calls = []
    monkeypatch.setattr(secrets, "choice", lambda seq: calls.append(seq) or seq[0])
    assert rules.new_bidder_code() == "A0000" and len(calls) == 4


def test_recheck_completes_a_payment_whose_confirmation_was_lost(as_user, bidder, announced_round):
    client = as_user(bidder)
    body = client.post(f"/api/v1/rounds/{announced_round.pk}/register/", format="json").json()
    # The bidder pays at the provider (e.g. Stripe.js) and the webhook never arrives.
    get_gateway().confirm_with_card(body["payment"]["payment_intent"], CARD)
    reg = Registration.objects.get(pk=body["registration"]["id"])
    assert reg.status == "pending"
    r = client.post(f"/api/v1/registrations/{reg.pk}/recheck/", format="json")
    assert r.status_code == 200 and r.json()["status"] == "held" and r.json()["code"]


def test_pending_registrations_are_rechecked_by_the_clock(as_user, bidder, announced_round):
    from auction_site import clock
    from escrow import clockwork

    body = as_user(bidder).post(f"/api/v1/rounds/{announced_round.pk}/register/", format="json").json()
    get_gateway().confirm_with_card(body["payment"]["payment_intent"], CARD)
    report = clockwork.tick(clock.now())
    assert report.get("held") == 1
    assert Registration.objects.get(pk=body["registration"]["id"]).status == "held"


def test_unpaid_registration_is_cancelled_after_the_close(as_user, bidder, round_factory):
    from auction_site import clock
    from escrow import clockwork

    rnd = round_factory("open")
    body = as_user(bidder).post(f"/api/v1/rounds/{rnd.pk}/register/", format="json").json()
    close_round(rnd)
    clockwork.tick(clock.now())
    assert Registration.objects.get(pk=body["registration"]["id"]).status == "cancelled"
    assert get_gateway().retrieve_payment(body["payment"]["payment_intent"]).status == "canceled"
