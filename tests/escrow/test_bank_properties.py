"""Property-based: over any sequence of bank credits (exact, short, over, unknown, late), reversals,
confirmations of our transfers and (re-)imports of statements, every fen of every statement is held
for a registration, owed back or returned to its payer, or in suspense; and each case account's
ledger balance equals the statement balance."""

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from escrow import ledger
from escrow.bank import accounts, services
from escrow.bank.matching import import_statement
from escrow.bank.models import BankEntry, BankInstruction, BankStatement, PaymentReference
from escrow.bank.reconcile import reconcile_bank
from escrow.bank.statements import Entry
from escrow.models import LedgerAccount, LedgerEntry
from tests.conftest import ID_NUMBERS, make_user
from tests.escrow.bank_helpers import credit, debit_for, reversal_of, statement

pytestmark = pytest.mark.django_db
DEPOSIT = 2_357_502_00

ops = st.lists(st.one_of(
    st.tuples(st.just("credit"), st.integers(0, 2), st.integers(1, 3 * DEPOSIT)),
    st.tuples(st.just("exact"), st.integers(0, 2)),
    st.tuples(st.just("unknown"), st.integers(1, 10_000_000_00)),
    st.tuples(st.just("late"), st.integers(0, 2), st.integers(1, DEPOSIT)),
    st.tuples(st.just("reverse"), st.integers(0, 20)),
    st.tuples(st.just("confirm"), st.integers(0, 20)),
    st.tuples(st.just("reimport"), st.integers(0, 20)),
    st.tuples(st.just("return_suspense"), st.integers(0, 20)),
), min_size=1, max_size=12)


class Rollback(Exception):
    pass


def check_every_fen_accounted(case) -> None:
    unbalanced = LedgerEntry.objects.values("transaction").annotate(s=Sum("amount")).exclude(s=0)
    assert not unbalanced.exists()
    for acct in LedgerAccount.objects.all():
        assert ledger.balance(acct) >= 0, acct.code
    credits = BankEntry.objects.filter(direction="CRDT", reversal=False, reversed_by__isnull=True)
    for e in credits:
        # Each credit's fen: held for its reference, owed back to the payer, or in suspense.
        assert e.held + e.refunded + e.suspense == e.amount, (e.verdict, e.amount, e.held, e.refunded, e.suspense)
    net = sum(e.amount if e.direction == "CRDT" else -e.amount for e in BankEntry.objects.all())
    not_booked = sum(e.amount if e.direction == "CRDT" else -e.amount
                     for e in BankEntry.objects.filter(verdict__in=["unmatched_debit", "unmatched_reversal"]))
    assert ledger.balance(accounts.bank_cash(case)) == net - not_booked
    if not not_booked:
        last = BankStatement.objects.order_by("-imported_at", "-pk").first()
        assert last is None or last.closing_balance == net  # the statement balance
        assert [d.code for d in reconcile_bank() if d.code in {"ledger_differs", "statement_gap", "closing_balance_differs"}] == []
    held = sum(ledger.balance(ledger.deposit_account(pr.registration)) for pr in PaymentReference.objects.all())
    assert held == sum(pr.received for pr in PaymentReference.objects.all())


@hsettings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=ops)
def test_every_fen_is_matched_refunded_or_in_suspense(steps, round_factory, settings):
    settings.BANK_SANDBOX = False
    try:
        with transaction.atomic():
            rnd = round_factory("open", deposit=DEPOSIT, starting_price=11_787_511_00, increment=58_000_00)
            operator = make_user("prop_op", "operator")
            refs = []
            for i in range(3):
                bidder = make_user(f"prop_b{i}", "bidder", id_number=ID_NUMBERS[i], real_name=f"竞买人{i}")
                refs.append(PaymentReference.objects.get(reference=services.register(bidder, round_id=rnd.pk)[1]["reference"]))
            account = refs[0].account
            sent: list[bytes] = []
            credits: list[Entry] = []
            balance = 0

            def send(entries: list[Entry]) -> None:
                nonlocal balance
                content = statement(account, entries, opening=balance)
                import_statement(None, content=content, source="command")
                balance += sum(e.amount if e.direction == "CRDT" else -e.amount for e in entries)
                sent.append(content)

            for kind, *args in steps:
                if kind == "credit":
                    e = credit(refs[args[0]].reference, args[1], payer=f"62220000{args[0]:08d}")
                elif kind == "exact":
                    pr = PaymentReference.objects.get(pk=refs[args[0]].pk)
                    if not pr.missing:
                        continue
                    e = credit(pr.reference, pr.missing, payer=f"62220000{args[0]:08d}")
                elif kind == "unknown":
                    e = credit("无附言", args[0], payer="6222999999999999")
                elif kind == "late":
                    e = credit(refs[args[0]].reference, args[1], at=rnd.ends_at, payer="6222888888888888")
                elif kind == "reverse":
                    if not credits:
                        continue
                    e = reversal_of(credits[args[0] % len(credits)])
                elif kind == "confirm":
                    pending = list(BankInstruction.objects.filter(status="instructed"))
                    if not pending:
                        continue
                    e = debit_for(pending[args[0] % len(pending)])
                elif kind == "reimport":
                    if sent:
                        import_statement(None, content=sent[args[0] % len(sent)], source="command")
                    check_every_fen_accounted(rnd.lot.case)
                    continue
                else:  # return_suspense
                    waiting = list(BankEntry.objects.filter(suspense__gt=0))
                    if waiting:
                        services.return_suspense(operator, entry_id=waiting[args[0] % len(waiting)].pk)
                    check_every_fen_accounted(rnd.lot.case)
                    continue
                if e.direction == "CRDT":
                    credits.append(e)
                send([e])
                check_every_fen_accounted(rnd.lot.case)
            raise Rollback
    except Rollback:
        pass
