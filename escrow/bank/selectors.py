"""Reads of the bank path: the operator's overview of case accounts, suspense, open transfers."""

from __future__ import annotations

from django.db.models import Sum

from auction_site import clock
from escrow import ledger
from escrow.bank import accounts
from escrow.bank.models import BankEntry, BankInstruction, BankStatement, CaseBankAccount
from escrow.bank.reconcile import account_differences


def operator_overview() -> dict:
    now = clock.now()
    rows = []
    for acct in CaseBankAccount.objects.select_related("case").order_by("-pk")[:100]:
        last = BankStatement.objects.filter(account=acct, closing_balance__isnull=False).order_by("-imported_at", "-pk").first()
        rows.append({"account": acct, "ledger": ledger.balance(accounts.bank_cash(acct.case)),
                     "statement": last.closing_balance if last else None, "statement_at": last.imported_at if last else None,
                     "suspense": ledger.balance(accounts.suspense(acct.case)), "differences": account_differences(acct, now)})
    return {
        "accounts": rows,
        "suspense": BankEntry.objects.filter(suspense__gt=0).select_related("account__case").order_by("id")[:200],
        "instructions": BankInstruction.objects.filter(status=BankInstruction.Status.INSTRUCTED).select_related("account__case").order_by("due_at")[:200],
        "statements": BankStatement.objects.select_related("account__case").order_by("-imported_at", "-pk")[:30],
        "now": now,
        "suspense_total": BankEntry.objects.filter(suspense__gt=0).aggregate(s=Sum("suspense"))["s"] or 0,
    }
