"""The embedded sandbox bank (no network): what a real bank would do with a transfer and with our
payment files, written as real camt.053 statements and imported like any other statement."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.conf import settings

from auction_site import clock
from auction_site.errors import DomainError, ErrorCode, NotFound
from escrow.bank import camt, matching
from escrow.bank.models import BankInstruction, BankStatement, CaseBankAccount, PaymentReference
from escrow.bank.statements import Entry

DEMO_PAYER_ACCOUNT = "6222020200000000001"


def _opening(account: CaseBankAccount) -> int:
    last = BankStatement.objects.filter(account=account, closing_balance__isnull=False).order_by("-imported_at", "-pk").first()
    return last.closing_balance if last else 0


def statement(account: CaseBankAccount, entries: list[Entry], *, at: datetime | None = None) -> bytes:
    at = at or clock.now()
    msg = f"SBX{at:%Y%m%d%H%M%S}{secrets.token_hex(3).upper()}"
    return camt.build(account_number=account.account_number, account_name=account.account_name, entries=entries,
                      opening=_opening(account), message_id=msg, created_at=at)


def transfer(actor, /, *, reference: str, amount: int, payer_name: str, payer_account: str = DEMO_PAYER_ACCOUNT,
             at: datetime | None = None) -> matching.ImportResult:
    """A payer's transfer quoting `reference`: the sandbox bank books it and sends its camt.053."""
    if not settings.BANK_SANDBOX:
        raise NotFound()
    pr = PaymentReference.objects.select_related("account").filter(reference=reference).first()
    if pr is None:
        raise DomainError(ErrorCode.UNKNOWN_REFERENCE, "沙箱银行：没有该付款参考号 / sandbox bank: no such reference", status=404)
    at = at or clock.now()
    entry = Entry(entry_ref=f"SBX{secrets.token_hex(8).upper()}", direction="CRDT", amount=amount, booked_at=at,
                  remittance=f"{reference} 竞买保证金", payer_name=payer_name, payer_account=payer_account,
                  payee_account=pr.virtual_account or "")
    return matching.import_statement(actor, content=statement(pr.account, [entry], at=at), source=BankStatement.Source.SANDBOX)


def execute_instructions(actor, /) -> int:
    """The sandbox bank carries out every payment instruction not yet confirmed and sends its statement."""
    done = 0
    for account in CaseBankAccount.objects.filter(instructions__status=BankInstruction.Status.INSTRUCTED).distinct():
        pending = list(account.instructions.filter(status=BankInstruction.Status.INSTRUCTED))
        entries = [Entry(entry_ref=f"SBX{secrets.token_hex(8).upper()}", direction="DBIT", amount=i.amount, booked_at=clock.now(),
                         remittance=f"{i.end_to_end_id}", end_to_end_id=i.end_to_end_id, payer_name=i.creditor_name,
                         payer_account=i.creditor_account) for i in pending]
        result = matching.import_statement(actor, content=statement(account, entries), source=BankStatement.Source.SANDBOX)
        done += result.new
    return done
