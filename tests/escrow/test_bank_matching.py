"""Matching the bank's credits and refusing bad statements: partial, excess, unknown reference,
late (after bidding ended), reversed, duplicate import, camt.054 and MT940; malformed, truncated,
another account's, negative or non-integer amounts, a bad or stale push signature → 4xx, nothing booked."""

import time
from datetime import timedelta

import pytest

from auction_site import clock
from escrow import ledger
from escrow.bank import accounts, services
from escrow.bank.matching import import_statement
from escrow.bank.models import BankEntry, BankInstruction, BankStatement, PaymentReference
from escrow.bank.reconcile import reconcile_bank
from escrow.bank.statements import StatementError
from escrow.models import LedgerTransaction, Registration
from tests.escrow.bank_helpers import PAYER, credit, debit_for, reversal_of, signed, statement

DEPOSIT = 2_357_502_00


@pytest.fixture(autouse=True)
def _no_sandbox_bank(settings):
    settings.BANK_SANDBOX = False


@pytest.fixture
def operator(db):
    from tests.conftest import make_user

    return make_user("op_bank", "operator")


@pytest.fixture
def bank_reg(round_factory, bidder):
    rnd = round_factory("open", deposit=DEPOSIT, starting_price=11_787_511_00, increment=58_000_00)
    reg, info = services.register(bidder, round_id=rnd.pk)
    pr = PaymentReference.objects.get(reference=info["reference"])
    return reg, pr


def imp(content: bytes):
    return import_statement(None, content=content, source="command")


def test_partial_then_completed(bank_reg):
    reg, pr = bank_reg
    r = imp(statement(pr.account, [credit(pr.reference, 1_000_000_00)]))
    assert r.verdicts == {"short": 1}
    reg.refresh_from_db()
    pr.refresh_from_db()
    assert reg.status == "pending" and reg.code is None and pr.missing == DEPOSIT - 1_000_000_00
    from escrow.bank.accounts import payment_info

    assert payment_info(pr)["missing"] == DEPOSIT - 1_000_000_00  # what the bidder is told
    r = imp(statement(pr.account, [credit(pr.reference, DEPOSIT - 1_000_000_00)], opening=1_000_000_00))
    assert r.verdicts == {"exact": 1}
    reg.refresh_from_db()
    assert reg.status == "held" and reg.code
    assert ledger.balance(ledger.deposit_account(reg)) == DEPOSIT
    assert reconcile_bank() == []


def test_excess_is_held_and_refunded(bank_reg):
    reg, pr = bank_reg
    r = imp(statement(pr.account, [credit(pr.reference, DEPOSIT + 500_00, payer="6222111122223333")]))
    assert r.verdicts == {"over": 1}
    reg.refresh_from_db()
    assert reg.status == "held"
    ins = BankInstruction.objects.get(kind="return")
    assert ins.amount == 500_00 and ins.creditor_account == "6222111122223333"
    case = pr.account.case
    assert ledger.balance(accounts.refund_due(case)) == 500_00
    imp(statement(pr.account, [debit_for(ins)], opening=DEPOSIT + 500_00))
    assert ledger.balance(accounts.refund_due(case)) == 0
    assert ledger.balance(accounts.bank_cash(case)) == DEPOSIT
    assert reconcile_bank() == []


def test_unknown_reference_goes_to_suspense_and_operator_returns_it(bank_reg, operator, as_user):
    reg, pr = bank_reg
    r = imp(statement(pr.account, [credit("RF00WHATEVER", 123_45, payer="6222999900001111")]))
    assert r.verdicts == {"unknown": 1}
    case = pr.account.case
    assert ledger.balance(accounts.suspense(case)) == 123_45
    assert [d.code for d in reconcile_bank()] == ["in_suspense"]
    entry = BankEntry.objects.get()
    resp = as_user(operator).post(f"/api/v1/escrow/bank/entries/{entry.pk}/suspense/", {"action": "return"}, format="json")
    assert resp.status_code == 200, resp.content
    assert resp.json()["instruction"]["creditor_account"] == "6222999900001111"
    assert ledger.balance(accounts.suspense(case)) == 0


def test_operator_assigns_suspense_to_a_reference(bank_reg, operator, as_user):
    reg, pr = bank_reg
    imp(statement(pr.account, [credit("typo", DEPOSIT)]))
    entry = BankEntry.objects.get()
    resp = as_user(operator).post(f"/api/v1/escrow/bank/entries/{entry.pk}/suspense/",
                                  {"action": "assign", "reference": pr.reference.lower()}, format="json")
    assert resp.status_code == 200, resp.content
    reg.refresh_from_db()
    assert reg.status == "held" and reg.code
    assert reconcile_bank() == []


def test_a_reference_with_spaces_and_a_virtual_sub_account_match(bank_reg):
    reg, pr = bank_reg
    spaced = " ".join(pr.reference[i:i + 4] for i in range(0, len(pr.reference), 4)).lower()
    assert imp(statement(pr.account, [credit(spaced, 100_00)])).verdicts == {"short": 1}
    assert pr.virtual_account
    e = credit("", DEPOSIT - 100_00, payee=pr.virtual_account)
    assert imp(statement(pr.account, [e], opening=100_00)).verdicts == {"exact": 1}


def test_late_credit_after_bidding_ended_goes_back(bank_reg):
    reg, pr = bank_reg
    late = reg.round.ends_at + timedelta(minutes=1)
    r = imp(statement(pr.account, [credit(pr.reference, DEPOSIT, at=late)]))
    assert r.verdicts == {"late": 1}
    reg.refresh_from_db()
    assert reg.status == "pending" and reg.code is None  # A17: paid before bidding ends, or not at all
    assert BankInstruction.objects.get().amount == DEPOSIT


def test_reversed_credit_undoes_the_hold(bank_reg):
    reg, pr = bank_reg
    c = credit(pr.reference, DEPOSIT)
    imp(statement(pr.account, [c]))
    reg.refresh_from_db()
    assert reg.can_bid
    assert imp(statement(pr.account, [reversal_of(c)], opening=DEPOSIT)).verdicts == {"reversed": 1}
    reg.refresh_from_db()
    assert not reg.can_bid
    assert ledger.balance(ledger.deposit_account(reg)) == 0
    assert reconcile_bank() == []


def test_a_reversed_credit_in_suspense_cannot_be_returned_again(bank_reg, operator, as_user):
    """An unidentified credit the bank reverses leaves suspense: returning it as well would pay it twice."""
    reg, pr = bank_reg
    c = credit("无附言", 71_55, payer="6222999999999999")
    imp(statement(pr.account, [c]))
    assert imp(statement(pr.account, [reversal_of(c)], opening=71_55)).verdicts == {"reversed": 1}
    case = pr.account.case
    assert ledger.balance(accounts.suspense(case)) == 0
    entry = BankEntry.objects.get(entry_ref=c.entry_ref)
    assert entry.suspense == 0
    resp = as_user(operator).post(f"/api/v1/escrow/bank/entries/{entry.pk}/suspense/", {"action": "return"}, format="json")
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "not_in_suspense", resp.content
    assert not BankInstruction.objects.exists() and ledger.balance(accounts.suspense(case)) == 0


def test_duplicate_import_and_same_entry_in_another_statement_change_nothing(bank_reg):
    reg, pr = bank_reg
    c = credit(pr.reference, DEPOSIT, ref="BANKREF0001")
    content = statement(pr.account, [c])
    imp(content)
    txns = LedgerTransaction.objects.count()
    r = imp(content)
    assert r.duplicate and r.new == 0
    r = imp(statement(pr.account, [c], msg="ANOTHER-MSG"))  # the same entry in a re-sent statement
    assert r.new == 0 and r.seen == 1
    assert LedgerTransaction.objects.count() == txns
    assert BankEntry.objects.count() == 1


def test_camt054_and_mt940(bank_reg):
    reg, pr = bank_reg
    assert imp(statement(pr.account, [credit(pr.reference, 1_000_00)], fmt="camt.054")).verdicts == {"short": 1}
    mt = (f":20:STMT{int(time.time())}\n:25:{pr.account.account_number}\n:28C:1/1\n:60F:C261202CNY1000,00\n"
          f":61:2612031203C{(DEPOSIT - 1_000_00) // 100},00NTRFNONREF//MT940REF0001\n"
          f":86:166?00TRANSFER?20{pr.reference}?31{PAYER}?32张三\n:62F:C261203CNY{DEPOSIT // 100},00\n-").encode()
    assert imp(mt).verdicts == {"exact": 1}
    entry = BankEntry.objects.get(entry_ref="MT940REF0001")
    assert entry.payer_account == PAYER  # refunds go back to the statement's debtor account
    reg.refresh_from_db()
    assert reg.status == "held"


@pytest.mark.parametrize("mutate,code", [
    (lambda x: x[: len(x) // 2], "malformed_statement"),  # truncated
    (lambda x: b"<Document><oops></Document>", "malformed_statement"),
    (lambda x: x.replace(b">2357502.00<", b">-2357502.00<"), "invalid_amount"),
    (lambda x: x.replace(b">2357502.00<", b">2357502.005<"), "invalid_amount"),
    (lambda x: x.replace(b">2357502.00<", b">abc<"), "invalid_amount"),
    (lambda x: x.replace(b'Ccy="CNY"', b'Ccy="EUR"'), "wrong_currency"),
    (lambda x: b"", "empty_statement"),
    (lambda x: b"just text", "unsupported_format"),
])
def test_bad_statements_are_refused_and_book_nothing(bank_reg, operator, as_user, mutate, code):
    from django.core.files.uploadedfile import SimpleUploadedFile

    reg, pr = bank_reg
    bad = mutate(statement(pr.account, [credit(pr.reference, DEPOSIT)]))
    with pytest.raises(StatementError) as e:
        imp(bad)
    assert e.value.code == code
    if bad:
        resp = as_user(operator).post("/api/v1/escrow/bank/statements/upload/",
                                      {"file": SimpleUploadedFile("s.xml", bad)}, format="multipart")
        assert resp.status_code == 400 and resp.json()["error"]["code"] == code
    assert not BankStatement.objects.exists() and not BankEntry.objects.exists()
    reg.refresh_from_db()
    assert reg.status == "pending"


def test_statement_for_another_account_is_refused(bank_reg, api_client):
    reg, pr = bank_reg
    body = statement("999900000000000001", [credit(pr.reference, DEPOSIT)])
    resp = api_client.post("/api/v1/escrow/bank/statements/", body, content_type="application/xml", HTTP_X_BANK_SIGNATURE=signed(body))
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "unknown_account"
    assert not BankEntry.objects.exists()


def test_signed_push_books_once_and_bad_or_stale_signatures_are_refused(bank_reg, api_client):
    reg, pr = bank_reg
    body = statement(pr.account, [credit(pr.reference, DEPOSIT)])
    for header in ["", signed(body, secret="not-the-secret"), signed(body, at=int(time.time()) - 3600), "t=abc,v1=00"]:
        resp = api_client.post("/api/v1/escrow/bank/statements/", body, content_type="application/xml", HTTP_X_BANK_SIGNATURE=header)
        assert resp.status_code == 400, header
        assert resp.json()["error"]["code"] in {"invalid_signature", "stale_signature"}
    assert not BankEntry.objects.exists()
    tampered = body.replace(b"2357502.00", b"2357503.00")
    resp = api_client.post("/api/v1/escrow/bank/statements/", tampered, content_type="application/xml", HTTP_X_BANK_SIGNATURE=signed(body))
    assert resp.status_code == 400
    header = signed(body)
    resp = api_client.post("/api/v1/escrow/bank/statements/", body, content_type="application/xml", HTTP_X_BANK_SIGNATURE=header)
    assert resp.status_code == 200 and resp.json()["verdicts"] == {"exact": 1}
    resp = api_client.post("/api/v1/escrow/bank/statements/", body, content_type="application/xml", HTTP_X_BANK_SIGNATURE=header)  # replayed
    assert resp.status_code == 200 and resp.json()["new_entries"] == 0
    assert Registration.objects.get(pk=reg.pk).status == "held"


def test_only_operators_upload(bank_reg, bidder, as_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    reg, pr = bank_reg
    resp = as_user(bidder).post("/api/v1/escrow/bank/statements/upload/",
                                {"file": SimpleUploadedFile("s.xml", statement(pr.account, [credit(pr.reference, DEPOSIT)]))}, format="multipart")
    assert resp.status_code == 403
    assert not BankEntry.objects.exists()


def test_overdue_refund_confirmation_is_named_by_reconcile(bank_reg, advance_clock):
    reg, pr = bank_reg
    imp(statement(pr.account, [credit(pr.reference, DEPOSIT + 1)]))
    assert reconcile_bank() == []
    advance_clock(hours=25)
    assert [d.code for d in reconcile_bank(clock.now())] == ["refund_overdue"]
