import pytest
from django.db import DatabaseError, connection, transaction

from escrow import ledger
from escrow.models import LedgerAccount, LedgerEntry


@pytest.mark.django_db
def test_balanced_transaction_posts_and_balances_are_derived(enforcement_case):
    cash = ledger.provider_cash_account()
    case_acct = ledger.case_account(enforcement_case)
    ledger.post("test_in", [ledger.Line(cash, debit=500_000), ledger.Line(case_acct, credit=500_000)])
    assert ledger.balance(cash) == 500_000
    assert ledger.balance(case_acct) == 500_000


@pytest.mark.django_db
def test_unbalanced_transaction_is_refused(enforcement_case):
    cash = ledger.provider_cash_account()
    case_acct = ledger.case_account(enforcement_case)
    with pytest.raises(ledger.UnbalancedTransaction):
        ledger.post("bad", [ledger.Line(cash, debit=500_000), ledger.Line(case_acct, credit=499_999)])
    assert LedgerEntry.objects.count() == 0


@pytest.mark.django_db
def test_overdraw_is_refused_and_nothing_is_written(enforcement_case):
    cash = ledger.provider_cash_account()
    case_acct = ledger.case_account(enforcement_case)
    with pytest.raises(ledger.InsufficientBalance):
        ledger.post("payout", [ledger.Line(case_acct, debit=1), ledger.Line(cash, credit=1)])
    assert LedgerEntry.objects.count() == 0


@pytest.mark.django_db
def test_idempotency_key_posts_once(enforcement_case):
    cash = ledger.provider_cash_account()
    case_acct = ledger.case_account(enforcement_case)
    lines = [ledger.Line(cash, debit=100), ledger.Line(case_acct, credit=100)]
    t1 = ledger.post("x", lines, idempotency_key="evt_1")
    t2 = ledger.post("x", lines, idempotency_key="evt_1")
    assert t1.pk == t2.pk
    assert ledger.balance(case_acct) == 100


@pytest.mark.django_db
def test_reversal_restores_balances(enforcement_case):
    cash = ledger.provider_cash_account()
    case_acct = ledger.case_account(enforcement_case)
    t = ledger.post("x", [ledger.Line(cash, debit=700), ledger.Line(case_acct, credit=700)])
    ledger.reverse(t)
    assert ledger.balance(case_acct) == 0 and ledger.balance(cash) == 0


@pytest.mark.django_db(transaction=True)
def test_database_refuses_an_unbalanced_transaction_written_around_the_service(enforcement_case):
    if connection.vendor != "postgresql":
        pytest.skip("the deferred balance trigger is PostgreSQL's")
    from auction_site import clock
    from escrow.models import LedgerTransaction

    cash = ledger.provider_cash_account()
    with pytest.raises(DatabaseError), transaction.atomic():
        txn = LedgerTransaction.objects.create(kind="rogue", created_at=clock.now())
        LedgerEntry.objects.create(transaction=txn, account=cash, amount=100)
    assert not LedgerAccount.objects.filter(entries__isnull=False).exists()
