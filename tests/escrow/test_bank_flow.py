"""The bank path end to end through the API: a deposit too large for cards is paid by transfer into
the case account, matched from the bank's camt.053, released by a pain.001 transfer back to the
source account and confirmed by the next statement; a winner pays a ¥17,000,000 balance the same way."""

from datetime import timedelta

import pytest

from auction_site import clock
from escrow import ledger, rules
from escrow.bank import accounts, payfile
from escrow.bank.models import BankEntry, BankInstruction, PaymentReference
from escrow.bank.reconcile import reconcile_bank
from escrow.models import Registration
from lots.models import Round
from tests.escrow.bank_helpers import credit, debit_for, statement
from tests.escrow.conftest import close_round

SHOP_DEPOSIT = 2_357_502_00  # DOMAIN.md: start 11,787,511, deposit 2,357,502 (20%)
SHOP_START = 11_787_511_00


@pytest.fixture(autouse=True)
def _no_sandbox_bank(settings):
    settings.BANK_SANDBOX = False  # the tests import the bank's statements themselves


@pytest.fixture
def operator(db):
    from tests.conftest import make_user

    return make_user("op_bank", "operator")


@pytest.fixture
def shop_round(round_factory):
    return round_factory("open", deposit=SHOP_DEPOSIT, starting_price=SHOP_START, increment=58_000_00)


def register(as_user, user, rnd) -> dict:
    r = as_user(user).post(f"/api/v1/rounds/{rnd.pk}/register/", format="json")
    assert r.status_code == 201, r.content
    return r.json()


def upload(as_user, operator, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return as_user(operator).post("/api/v1/escrow/bank/statements/upload/",
                                  {"file": SimpleUploadedFile("stmt.xml", content, content_type="application/xml")}, format="multipart")


def test_routing_rule_by_size():
    assert rules.payment_route(rules.CARD_PROVIDER_MAX_FEN) == "card"
    assert rules.payment_route(rules.CARD_PROVIDER_MAX_FEN + 1) == "bank"
    assert rules.amount_to_hold("selloff", 100, 5_000) == 5_000  # A26/A37: the full price up front
    assert rules.amount_to_hold("auction", 100, 5_000) == 100


def test_register_issues_reference_in_figures_and_capitals(as_user, bidder, shop_round):
    body = register(as_user, bidder, shop_round)
    pay = body["payment"]
    assert pay["provider"] == "bank" and pay["amount"] == SHOP_DEPOSIT
    assert pay["amount_in_words"] == "贰佰叁拾伍万柒仟伍佰零贰元整"
    assert accounts.is_reference(pay["reference"])
    assert pay["account"] and pay["account_name"] and pay["due"] == shop_round.ends_at.isoformat()
    assert "999,999.99" in pay["route_reason"]
    assert body["registration"]["code"] is None
    # Registering again gives the same reference; the card pay endpoint refuses a bank deposit.
    again = register(as_user, bidder, shop_round)
    assert again["payment"]["reference"] == pay["reference"]
    r = as_user(bidder).post(f"/api/v1/registrations/{body['registration']['id']}/pay/",
                             {"card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2035, "cvc": "123"}}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "bank_transfer"


def test_lose_refund_to_source_account_confirmed(as_user, bidder_factory, operator, shop_round):
    loser, winner = bidder_factory(), bidder_factory()
    pay_l = register(as_user, loser, shop_round)["payment"]
    pay_w = register(as_user, winner, shop_round)["payment"]
    account = PaymentReference.objects.get(reference=pay_l["reference"]).account
    c1 = credit(pay_l["reference"], SHOP_DEPOSIT, payer="6222000011112222", name="竞买人0")
    c2 = credit(pay_w["reference"], SHOP_DEPOSIT, payer="6222000033334444", name="竞买人1")
    first = statement(account, [c1, c2])
    r = upload(as_user, operator, first)
    assert r.status_code == 200, r.content
    assert r.json()["verdicts"] == {"exact": 2}
    reg_l = Registration.objects.get(round=shop_round, bidder=loser)
    reg_w = Registration.objects.get(round=shop_round, bidder=winner)
    assert reg_l.status == "held" and reg_l.code and reg_l.code.startswith("A")
    # The same statement again changes nothing.
    r = upload(as_user, operator, first)
    assert r.status_code == 200 and r.json()["new_entries"] == 0
    assert BankEntry.objects.count() == 2
    # Bid (the bid API with the bank-held deposit), then lose.
    r = as_user(winner).post(f"/api/v1/rounds/{shop_round.pk}/bids/", {"amount": SHOP_START}, format="json")
    assert r.status_code in {200, 201}, r.content
    shop_round.refresh_from_db()
    close_round(shop_round, reg_w, price=SHOP_START)
    from auction_site import ticks

    ticks.run_all(clock.now())
    ins = BankInstruction.objects.get(registration=reg_l)
    assert ins.creditor_account == "6222000011112222" and ins.amount == SHOP_DEPOSIT  # back to the statement's debtor account
    payfile.validate(bytes(ins.payment_file))
    assert ins.due_at <= shop_round.closed_at + timedelta(hours=24)  # A23
    reg_l.refresh_from_db()
    assert reg_l.status == "held"  # released only when the bank confirms
    r = upload(as_user, operator, statement(account, [debit_for(ins)], opening=2 * SHOP_DEPOSIT))
    assert r.json()["verdicts"] == {"refund_confirmed": 1}
    reg_l.refresh_from_db()
    assert reg_l.status == "released"
    assert ledger.balance(ledger.deposit_account(reg_l)) == 0
    reg_w.refresh_from_db()
    assert reg_w.status == "applied"
    assert ledger.balance(accounts.bank_cash(shop_round.lot.case)) == SHOP_DEPOSIT
    assert reconcile_bank() == []


def test_winner_pays_17_million_balance_by_transfer(as_user, bidder, operator, round_factory):
    rnd = round_factory("open", deposit=SHOP_DEPOSIT, starting_price=SHOP_START, increment=58_000_00)
    pay = register(as_user, bidder, rnd)["payment"]
    account = PaymentReference.objects.get(reference=pay["reference"]).account
    assert upload(as_user, operator, statement(account, [credit(pay["reference"], SHOP_DEPOSIT)])).status_code == 200
    reg = Registration.objects.get(round=rnd, bidder=bidder)
    price = 17_000_000_00 + SHOP_DEPOSIT  # the balance due is ¥17,000,000 after the deposit
    close_round(rnd, reg, price=price)
    r = as_user(bidder).post(f"/api/v1/rounds/{rnd.pk}/pay-balance/", {}, format="json")
    assert r.status_code == 200, r.content
    bal = r.json()["payment"]
    assert bal["provider"] == "bank" and bal["amount"] == 17_000_000_00 and bal["amount_in_words"] == "壹仟柒佰万元整"
    # A card is never asked for an amount over its limit.
    r = as_user(bidder).post(f"/api/v1/rounds/{rnd.pk}/pay-balance/",
                             {"card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2035, "cvc": "123"}}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "amount_over_card_limit"
    r = upload(as_user, operator, statement(account, [credit(bal["reference"], 17_000_000_00)], opening=SHOP_DEPOSIT))
    assert r.json()["verdicts"] == {"exact": 1}
    rnd.refresh_from_db()
    assert rnd.status == Round.Status.PAID
    case = rnd.lot.case
    assert ledger.balance(ledger.case_account(case)) == price  # the deposit counts toward the price (A25)
    assert ledger.balance(accounts.bank_cash(case)) == price
    assert reconcile_bank() == []


def test_selloff_full_price_up_front_by_transfer(as_user, bidder, operator, round_factory):
    """A26/A37: a sell-off's buyer pays the full price up front; held, it counts as the price: paid, no balance."""
    price = 4_844_000_00
    rnd = round_factory("open", kind="selloff", deposit=484_400_00, starting_price=price, increment=20_000_00)
    pay = register(as_user, bidder, rnd)["payment"]
    assert pay["provider"] == "bank" and pay["amount"] == price
    account = PaymentReference.objects.get(reference=pay["reference"]).account
    assert upload(as_user, operator, statement(account, [credit(pay["reference"], price)])).json()["verdicts"] == {"exact": 1}
    reg = Registration.objects.get(round=rnd, bidder=bidder)
    close_round(rnd, reg, price=price)
    from auction_site import ticks

    ticks.run_all(clock.now())
    rnd.refresh_from_db()
    reg.refresh_from_db()
    assert reg.status == "applied" and rnd.status == Round.Status.PAID
    assert ledger.balance(ledger.case_account(rnd.lot.case)) == price
    assert reconcile_bank() == []
