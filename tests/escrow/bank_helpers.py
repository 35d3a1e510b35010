"""Building bank statements for the tests: camt.053 in the ISO 20022 example structure (the sandbox
bank's writer), MT940 as text, and the signed push."""

import hashlib
import hmac
import secrets
import time
from datetime import datetime

from django.conf import settings

from auction_site import clock
from escrow.bank import camt
from escrow.bank.models import BankInstruction, CaseBankAccount
from escrow.bank.statements import Entry

PAYER = "6222020200001234567"


def credit(reference: str, amount: int, *, payer: str = PAYER, name: str = "竞买人", at: datetime | None = None, ref: str | None = None,
           payee: str = "") -> Entry:
    return Entry(entry_ref=ref or f"B{secrets.token_hex(6).upper()}", direction="CRDT", amount=amount, booked_at=at or clock.now(),
                 remittance=f"{reference} 保证金", payer_name=name, payer_account=payer, payee_account=payee)


def debit_for(ins: BankInstruction, *, ref: str | None = None) -> Entry:
    return Entry(entry_ref=ref or f"B{secrets.token_hex(6).upper()}", direction="DBIT", amount=ins.amount, booked_at=clock.now(),
                 remittance=ins.end_to_end_id, end_to_end_id=ins.end_to_end_id, payer_name=ins.creditor_name, payer_account=ins.creditor_account)


def reversal_of(e: Entry, *, ref: str | None = None) -> Entry:
    return Entry(entry_ref=ref or f"R{secrets.token_hex(6).upper()}", direction="DBIT", amount=e.amount, reversal=True, booked_at=clock.now(),
                 remittance=e.remittance, payer_name=e.payer_name, payer_account=e.payer_account, payee_account=e.payee_account)


def statement(account: CaseBankAccount | str, entries: list[Entry], *, opening: int = 0, fmt: str = "camt.053", msg: str | None = None) -> bytes:
    number = account if isinstance(account, str) else account.account_number
    return camt.build(account_number=number, account_name="案款账户", entries=entries, opening=opening,
                      message_id=msg or f"MSG{secrets.token_hex(6).upper()}", created_at=clock.now(), fmt=fmt)


def signed(body: bytes, *, secret: str | None = None, at: int | None = None) -> str:
    at = int(time.time()) if at is None else at
    mac = hmac.new((secret or settings.BANK_PUSH_SECRET).encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"
