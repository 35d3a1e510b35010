"""Reconciliation of the bank path: per case account, the ledger against the imported statements.

Every difference is named, none is fixed here:
- `ledger_differs`: the ledger's `bank:case:<id>` balance is not the net of the statements' entries;
- `entry_not_booked`: a statement entry the ledger could not book (a debit that is not ours, a
  reversal with nothing left to reverse): each names the entry;
- `closing_balance_differs`: a statement's closing balance is not its opening plus its entries;
- `statement_gap`: a statement's opening balance is not the previous statement's closing balance;
- `in_suspense`: credits no reference names, waiting for the operator;
- `refund_without_account`: money owed back to a payer the statement gave no account for;
- `refund_overdue`: a transfer back (A23: within 24 h of the close) the bank has not confirmed in time.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Sum

from auction_site import clock
from escrow import ledger
from escrow.bank import accounts
from escrow.bank.models import BankEntry, BankInstruction, BankStatement, CaseBankAccount
from escrow.reconcile import Difference

NOT_BOOKED = {BankEntry.Verdict.UNMATCHED_DEBIT, BankEntry.Verdict.UNMATCHED_REVERSAL}


def _net(entries) -> int:
    credits = entries.filter(direction="CRDT").aggregate(s=Sum("amount"))["s"] or 0
    debits = entries.filter(direction="DBIT").aggregate(s=Sum("amount"))["s"] or 0
    return credits - debits


def account_differences(acct: CaseBankAccount, now: datetime | None = None) -> list[Difference]:
    now = now or clock.now()
    case = acct.case
    diffs: list[Difference] = []
    label = f"{acct.account_number} ({case.case_number})"
    statement_net = _net(BankEntry.objects.filter(account=acct))
    ledger_balance = ledger.balance(accounts.bank_cash(case))
    if ledger_balance != statement_net:
        diffs.append(Difference("ledger_differs", label, f"statements: {statement_net} fen; ledger bank:case:{case.pk}: {ledger_balance} fen"))
    for e in BankEntry.objects.filter(account=acct, verdict__in=NOT_BOOKED):
        diffs.append(Difference("entry_not_booked", e.entry_ref, f"{e.direction} {e.amount} fen ({e.get_verdict_display()}): {e.note}"))
    previous = None
    for st in BankStatement.objects.filter(account=acct).order_by("imported_at", "pk"):
        if st.closing_balance is None:
            continue
        if st.opening_balance is not None:
            net = _net(BankEntry.objects.filter(statement=st))
            seen_before = st.entries_seen
            if not seen_before and st.opening_balance + net != st.closing_balance:
                diffs.append(Difference("closing_balance_differs", st.statement_id,
                                        f"opening {st.opening_balance} + entries {net} ≠ closing {st.closing_balance} fen"))
            if previous is not None and previous.closing_balance != st.opening_balance and st.statement_id != previous.statement_id:
                diffs.append(Difference("statement_gap", st.statement_id,
                                        f"opens at {st.opening_balance} fen; the previous statement {previous.statement_id} closed at {previous.closing_balance} fen"))
        previous = st
    if previous is not None and previous.closing_balance != ledger_balance and not diffs:
        diffs.append(Difference("ledger_differs", label, f"last closing balance {previous.closing_balance} fen; ledger {ledger_balance} fen"))
    for e in BankEntry.objects.filter(account=acct, suspense__gt=0):
        diffs.append(Difference("in_suspense", e.entry_ref, f"{e.suspense} fen from {e.payer_name or '?'} ({e.payer_account or 'no account'}): '{e.remittance}'"))
    for e in BankEntry.objects.filter(account=acct, refunded__gt=0, payer_account=""):
        diffs.append(Difference("refund_without_account", e.entry_ref, f"{e.refunded} fen owed back; the statement gives no debtor account"))
    for ins in BankInstruction.objects.filter(account=acct, status=BankInstruction.Status.INSTRUCTED, due_at__lt=now):
        diffs.append(Difference("refund_overdue", ins.end_to_end_id,
                                f"{ins.get_kind_display()} {ins.amount} fen to {ins.creditor_account} due {ins.due_at.isoformat()}, not confirmed by a statement"))
    return diffs


def reconcile_bank(now: datetime | None = None) -> list[Difference]:
    diffs: list[Difference] = []
    for acct in CaseBankAccount.objects.select_related("case").order_by("pk"):
        diffs.extend(account_differences(acct, now))
    return diffs
