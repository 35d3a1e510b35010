"""After the close: releases within 24 h (A23), the winner's deposit into the case account (A25),
the balance, transfers confirmed by the judge, and default (A24)."""

from datetime import timedelta

import pytest

from auction_site import clock
from auction_site.models import AuditRecord
from escrow import clockwork, ledger, rules, selectors
from escrow.gateway import get_gateway
from escrow.models import Deposit, Registration
from tests.escrow.conftest import CARD, DEPOSIT, START, close_round, register_and_pay

# A price whose balance fits one card charge (the card provider takes at most ¥999,999.99; larger
# balances take the bank path, tests/escrow/test_bank_flow.py).
CARD_PRICE = DEPOSIT + 900_000_00

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_held(as_user, bidder_factory, round_factory):
    rnd = round_factory("open")
    a, b = bidder_factory(), bidder_factory()
    ra = register_and_pay(as_user(a), rnd.pk)
    rb = register_and_pay(as_user(b), rnd.pk)
    return rnd, Registration.objects.get(pk=ra["id"]), Registration.objects.get(pk=rb["id"]), a, b


def refunds_at_provider(reg) -> list:
    return [r for r in get_gateway().list_refunds(Deposit.objects.get(registration=reg).payment_intent_id) if r.status == "succeeded"]


def test_rule_release_deadline_is_24_hours_after_the_close():
    now = clock.now()
    assert rules.release_deadline(now) == now + timedelta(hours=24)
    assert rules.RELEASE_WITHIN == timedelta(hours=24)


@pytest.mark.parametrize("status,winner,expected", [
    ("sold", True, "apply"), ("sold", False, "release"), ("failed", False, "release"), ("withdrawn", False, "release"),
    ("withdrawn", True, "release"), ("open", False, "keep"), ("announced", False, "keep"), ("defaulted", True, "keep"),
    ("paid", False, "release"), ("closed", True, "apply"),
])
def test_rule_deposit_disposition(status, winner, expected):
    assert rules.deposit_disposition(status, winner, None, clock.now()) == expected


def test_rule_closed_without_a_leader_waits_for_the_outcome():
    assert rules.deposit_disposition("closed", False, None, clock.now(), has_leader=False) == "keep"
    assert rules.deposit_disposition("closed", False, None, clock.now(), has_leader=True) == "release"


def test_rule_long_suspension_releases():
    now = clock.now()
    assert rules.deposit_disposition("suspended", False, now - timedelta(days=1), now) == "keep"
    assert rules.deposit_disposition("suspended", False, now - timedelta(days=6), now) == "release"


def test_close_releases_losers_through_the_provider_and_moves_the_winners_deposit_to_the_case(two_held):
    rnd, win, lose, *_ = two_held
    close_round(rnd, win, price=START + 10_000_00)
    report = clockwork.tick(clock.now())
    assert report["released"] == 1 and report["applied"] == 1
    win.refresh_from_db(), lose.refresh_from_db()
    assert lose.status == "released" and win.status == "applied"
    [refund] = refunds_at_provider(lose)
    assert refund.amount == DEPOSIT
    assert Deposit.objects.get(registration=lose).refund_id == refund.id
    case = rnd.lot.case
    assert ledger.balance(ledger.case_account(case)) == DEPOSIT
    assert ledger.balance(ledger.provider_cash_account()) == DEPOSIT  # the winner's money is still at the provider
    assert selectors.overdue_releases(clock.now() + timedelta(days=2)) == []
    # A second tick (or two clocks at once) changes nothing and refunds nothing twice.
    assert clockwork.tick(clock.now()) == {}
    assert len(refunds_at_provider(lose)) == 1
    assert AuditRecord.objects.filter(action="deposit.released", object_id=str(lose.pk)).count() == 1


def test_a_failed_round_releases_everyone(two_held):
    rnd, a, b, *_ = two_held
    close_round(rnd)
    clockwork.tick(clock.now())
    assert set(Registration.objects.filter(round=rnd).values_list("status", flat=True)) == {"released"}
    assert ledger.balance(ledger.provider_cash_account()) == 0


def test_withdrawal_releases_deposits_at_once(two_held):
    rnd, *_ = two_held
    rnd.status = "withdrawn"
    rnd.save()
    clockwork.tick(clock.now())
    assert set(Registration.objects.filter(round=rnd).values_list("status", flat=True)) == {"released"}


def test_release_is_retried_until_done_and_overdue_ones_are_listed(two_held, settings, advance_clock):
    rnd, win, lose, *_ = two_held
    close_round(rnd, win)
    good_base = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # the provider is unreachable
    import stripe

    stripe.max_network_retries = 0
    report = clockwork.tick(clock.now())
    assert report.get("release_errors") == 1
    lose.refresh_from_db()
    assert lose.status == "held"
    assert Deposit.objects.get(registration=lose).last_error
    assert selectors.overdue_releases(clock.now()) == []
    advance_clock(hours=25)
    [overdue] = selectors.overdue_releases(clock.now())
    assert overdue.deposit.registration_id == lose.pk and overdue.due_at == rnd.closed_at + timedelta(hours=24)
    settings.STRIPE_API_BASE = good_base
    clockwork.tick(clock.now())
    lose.refresh_from_db()
    assert lose.status == "released"
    assert selectors.overdue_releases(clock.now()) == []


def test_pay_balance_with_the_provider_marks_the_round_paid(two_held, as_user):
    rnd, win, lose, a, b = two_held
    price = CARD_PRICE
    close_round(rnd, win, price=price)
    seq_before = rnd.seq
    assert as_user(b).post(f"/api/v1/rounds/{rnd.pk}/pay-balance/", format="json").status_code == 403
    r = as_user(a).post(f"/api/v1/rounds/{rnd.pk}/pay-balance/", {"card": CARD}, format="json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["payment"]["amount"] == price - DEPOSIT
    assert body["round"]["status"] == "paid" and body["balance_remaining"] == 0
    rnd.refresh_from_db()
    assert rnd.status == "paid" and rnd.seq == seq_before + 1
    assert ledger.balance(ledger.case_account(rnd.lot.case)) == price
    assert AuditRecord.objects.filter(action="round.paid", object_id=str(rnd.pk)).exists()
    assert as_user(a).post(f"/api/v1/rounds/{rnd.pk}/pay-balance/", format="json").status_code == 409


def test_pay_balance_without_a_card_returns_a_provider_payment(two_held, as_user):
    rnd, win, lose, a, b = two_held
    close_round(rnd, win, price=CARD_PRICE)
    r = as_user(a).post(f"/api/v1/rounds/{rnd.pk}/pay-balance/", format="json")
    assert r.status_code == 200
    pay = r.json()["payment"]
    assert pay["client_secret"] and pay["amount"] == CARD_PRICE - DEPOSIT
    again = as_user(a).post(f"/api/v1/rounds/{rnd.pk}/pay-balance/", format="json").json()["payment"]
    assert again["payment_intent"] == pay["payment_intent"]  # never two charges for one balance
    # Paid at the provider; the clock picks it up.
    get_gateway().confirm_with_card(pay["payment_intent"], CARD)
    clockwork.tick(clock.now())
    rnd.refresh_from_db()
    assert rnd.status == "paid"


@pytest.mark.parametrize("amount", [1.5, "100", True, -5, 0, None])
def test_transfer_amounts_must_be_integer_fen(amount, two_held, as_user, judge):
    rnd, win, *_ = two_held
    close_round(rnd, win)
    r = as_user(judge).post(f"/api/v1/rounds/{rnd.pk}/confirm-transfer/", {"amount": amount, "reference": "BANK-1"}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid"
    rnd.refresh_from_db()
    assert rnd.status == "sold"


def test_judge_confirms_a_bank_transfer(two_held, as_user, judge, other_judge):
    rnd, win, lose, a, _b = two_held
    price = START + 20_000_00
    close_round(rnd, win, price=price)
    due = price - DEPOSIT
    url = f"/api/v1/rounds/{rnd.pk}/confirm-transfer/"
    assert as_user(other_judge).post(url, {"amount": due, "reference": "X"}, format="json").status_code == 403
    assert as_user(a).post(url, {"amount": due, "reference": "X"}, format="json").status_code == 403
    r = as_user(judge).post(url, {"amount": due + 1, "reference": "X"}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "overpayment"
    r = as_user(judge).post(url, {"amount": due - 100, "reference": "BANK-1"}, format="json")
    assert r.status_code == 201 and r.json()["round"]["status"] == "sold" and r.json()["balance_remaining"] == 100
    assert as_user(judge).post(url, {"amount": 100, "reference": "BANK-1"}, format="json").status_code == 409
    r = as_user(judge).post(url, {"amount": 100, "reference": "BANK-2"}, format="json")
    assert r.json()["round"]["status"] == "paid"
    case = rnd.lot.case
    assert ledger.balance(ledger.case_account(case)) == price
    assert ledger.balance(ledger.bank_account(case.court)) == due


def test_default_forfeits_the_deposit_and_bars_the_defaulter(two_held, as_user, advance_clock, round_factory):
    rnd, win, lose, a, b = two_held
    close_round(rnd, win)
    clockwork.tick(clock.now())
    advance_clock(days=9)
    assert clockwork.tick(clock.now()).get("defaulted") is None  # not yet due
    advance_clock(days=2)
    assert clockwork.tick(clock.now())["defaulted"] == 1
    rnd.refresh_from_db(), win.refresh_from_db()
    assert rnd.status == "defaulted" and win.status == "forfeited"
    case = rnd.lot.case
    assert ledger.balance(ledger.forfeit_account(case)) == DEPOSIT
    assert ledger.balance(ledger.case_account(case)) == 0
    assert selectors.case_account(case)["balance"] == DEPOSIT
    assert refunds_at_provider(win) == []  # a forfeited deposit is never refunded
    assert AuditRecord.objects.filter(action="round.defaulted", object_id=str(rnd.pk)).exists()
    # The re-auction: the defaulter is barred (A24); the other bidder may register.
    again = round_factory("announced", number=2)
    r = as_user(a).post(f"/api/v1/rounds/{again.pk}/register/", format="json")
    assert r.status_code == 403 and "A24" in r.json()["error"]["message"]
    assert as_user(b).post(f"/api/v1/rounds/{again.pk}/register/", format="json").status_code == 201
    # Too late to pay now.
    assert as_user(a).post(f"/api/v1/rounds/{rnd.pk}/pay-balance/", format="json").status_code == 409


def test_paid_round_never_defaults(two_held, as_user, advance_clock):
    rnd, win, lose, a, _b = two_held
    close_round(rnd, win, price=CARD_PRICE)
    as_user(a).post(f"/api/v1/rounds/{rnd.pk}/pay-balance/", {"card": CARD}, format="json")
    advance_clock(days=30)
    clockwork.tick(clock.now())
    rnd.refresh_from_db()
    assert rnd.status == "paid"


def test_a24_order_of_a_forfeited_deposit():
    assert rules.apply_forfeited_deposit(100, 30, 50, 1000) == {"auction_costs": 30, "reauction_shortfall": 50, "debt": 20, "remainder": 0}
    assert rules.apply_forfeited_deposit(100, 200, 50, 10) == {"auction_costs": 100, "reauction_shortfall": 0, "debt": 0, "remainder": 0}
    assert rules.apply_forfeited_deposit(100, 10, 0, 20) == {"auction_costs": 10, "reauction_shortfall": 0, "debt": 20, "remainder": 70}


def test_case_account_api_for_the_judge_of_the_court_only(two_held, as_user, judge, other_judge):
    rnd, win, lose, a, _b = two_held
    close_round(rnd, win)
    clockwork.tick(clock.now())
    case = rnd.lot.case
    r = as_user(judge).get(f"/api/v1/cases/{case.pk}/account/")
    assert r.status_code == 200
    body = r.json()
    assert body["balance"] == DEPOSIT
    assert [e["kind"] for e in body["entries"]] == ["deposit_applied"] and body["entries"][0]["amount"] == DEPOSIT
    assert as_user(other_judge).get(f"/api/v1/cases/{case.pk}/account/").status_code == 403
    assert as_user(a).get(f"/api/v1/cases/{case.pk}/account/").status_code == 403
    assert as_user(judge).get("/api/v1/cases/999999/account/").status_code == 404


def test_default_cancels_the_open_balance_payment(two_held, as_user, advance_clock, django_capture_on_commit_callbacks):
    rnd, win, lose, a, _b = two_held
    close_round(rnd, win, price=CARD_PRICE)
    pay = as_user(a).post(f"/api/v1/rounds/{rnd.pk}/pay-balance/", format="json").json()["payment"]
    advance_clock(days=11)
    with django_capture_on_commit_callbacks(execute=True):
        clockwork.tick(clock.now())
    rnd.refresh_from_db()
    assert rnd.status == "defaulted"
    assert get_gateway().retrieve_payment(pay["payment_intent"]).status == "canceled"


def test_a_suspension_past_five_days_releases_the_deposits(two_held):
    rnd, *_ = two_held
    rnd.status, rnd.suspended_at = "suspended", clock.now() - timedelta(days=1)
    rnd.save()
    clockwork.tick(clock.now())
    assert set(Registration.objects.filter(round=rnd).values_list("status", flat=True)) == {"held"}
    rnd.suspended_at = clock.now() - timedelta(days=6)
    rnd.save()
    clockwork.tick(clock.now())
    assert set(Registration.objects.filter(round=rnd).values_list("status", flat=True)) == {"released"}


def test_rule_refund_retries_back_off_from_5_minutes_to_at_most_6_hours():
    now = clock.now()
    assert rules.refund_retry_at(0, now) is None  # nothing failed: at once
    assert rules.refund_retry_at(1, now) == now + timedelta(minutes=5)
    assert rules.refund_retry_at(2, now) == now + timedelta(minutes=10)
    assert rules.refund_retry_at(20, now) == now + timedelta(hours=6)


def test_a_refund_the_provider_failed_is_asked_for_again_later_and_the_deposit_released_once(
        as_user, bidder_factory, round_factory, settings, monkeypatch, advance_clock):
    import dataclasses

    from escrow.gateway import SandboxGateway
    from escrow.models import SandboxRefund

    settings.PAYMENT_PROVIDER = "sandbox"
    rnd = round_factory("open")
    reg = Registration.objects.get(pk=register_and_pay(as_user(bidder_factory()), rnd.pk)["id"])
    close_round(rnd)  # failed: the deposit goes back (A23)
    payment_id = Deposit.objects.get(registration=reg).payment_intent_id
    real_refund, provider_fails = SandboxGateway.refund, [True]

    def refund(self, *args, **kwargs):  # the provider takes the request, then fails it (a closed card account)
        made = real_refund(self, *args, **kwargs)
        if provider_fails[0]:
            SandboxRefund.objects.filter(pk=made.id).update(status="failed")
            made = dataclasses.replace(made, status="failed")
        return made

    monkeypatch.setattr(SandboxGateway, "refund", refund)

    def requests() -> list[str]:
        return list(SandboxRefund.objects.filter(payment_id=payment_id).order_by("created_at", "id").values_list("status", flat=True))

    assert clockwork.tick(clock.now()).get("release_errors") == 1
    reg.refresh_from_db()
    assert reg.status == "held" and "退款失败" in Deposit.objects.get(registration=reg).last_error
    assert ledger.balance(ledger.provider_cash_account()) == DEPOSIT  # nothing booked as paid back
    clockwork.tick(clock.now())
    assert requests() == ["failed"]  # within the back-off the provider is not asked again
    advance_clock(minutes=5, seconds=1)
    clockwork.tick(clock.now())
    assert requests() == ["failed", "failed"]  # a new request (a key of its own), failed again
    advance_clock(minutes=5, seconds=1)
    clockwork.tick(clock.now())
    assert len(requests()) == 2  # the second failure waits 10 minutes
    provider_fails[0] = False
    advance_clock(minutes=5)
    assert clockwork.tick(clock.now()).get("released") == 1
    assert requests() == ["failed", "failed", "succeeded"]
    reg.refresh_from_db()
    assert reg.status == "released"
    assert ledger.balance(ledger.provider_cash_account()) == 0
    assert AuditRecord.objects.filter(action="deposit.released", object_id=str(reg.pk)).count() == 1
    clockwork.tick(clock.now())
    assert len(requests()) == 3  # released: never refunded twice
