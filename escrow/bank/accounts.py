"""The case's account at the bank and its ledger accounts, and payment references.

Ledger accounts of the bank path (each per case, 一案一账号):

| code | kind | what |
|---|---|---|
| `bank:case:<id>` | bank (asset, debit-normal, never locked) | the money the bank holds in the case account: equals the statements |
| `suspense:case:<id>` | suspense (liability) | credits no reference names, until the operator assigns or returns them |
| `refund:case:<id>` | refund_due (liability) | excess, late or returned credits owed back to the payer until the bank confirms the transfer |
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

from auction_site import clock
from escrow import ledger, rules
from escrow.bank.camt import yuan
from escrow.bank.models import CaseBankAccount, PaymentReference
from escrow.models import LedgerAccount


def bank_cash(case) -> LedgerAccount:
    return ledger.get_account(f"bank:case:{case.pk}", LedgerAccount.Kind.BANK, f"案款账户(银行) {case.case_number}", case=case)


def suspense(case) -> LedgerAccount:
    return ledger.get_account(f"suspense:case:{case.pk}", LedgerAccount.Kind.SUSPENSE, f"待查明来款 {case.case_number}", case=case)


def refund_due(case) -> LedgerAccount:
    return ledger.get_account(f"refund:case:{case.pk}", LedgerAccount.Kind.REFUND_DUE, f"应退款项 {case.case_number}", case=case)


def account_for(case) -> CaseBankAccount:
    """The case's own bank account (一案一账号), opened on first use."""
    existing = CaseBankAccount.objects.filter(case=case).first()
    if existing:
        return existing
    court = case.court
    try:
        with transaction.atomic():
            return CaseBankAccount.objects.create(
                case=case, bank_name=settings.BANK_NAME, account_number=f"{settings.BANK_ACCOUNT_PREFIX}{case.pk:012d}",
                account_name=f"{court.name}{case.case_number}案款", virtual_accounts=settings.BANK_VIRTUAL_ACCOUNTS,
                created_at=clock.now())
    except IntegrityError:
        return CaseBankAccount.objects.get(case=case)


# A payment reference is an ISO 11649 creditor reference: 'RF', two check digits, a body of a purpose
# letter and 8 random characters (no I or O). The check digits catch a mistyped reference.
REFERENCE_BODY = 8


def new_reference(purpose: str) -> str:
    body = ("D" if purpose == PaymentReference.Purpose.DEPOSIT else "B") + "".join(
        secrets.choice(rules.CODE_ALPHABET) for _ in range(REFERENCE_BODY))
    return "RF" + mod_97_10.calc_check_digits(body + "RF") + body


def is_reference(text: str) -> bool:
    return iso11649.is_valid(text)


def create_reference(account: CaseBankAccount, *, purpose: str, registration, amount: int, due_at, balance_payment=None) -> PaymentReference:
    for _ in range(20):
        ref = new_reference(purpose)
        try:
            with transaction.atomic():
                pr = PaymentReference.objects.create(
                    reference=ref, account=account, purpose=purpose, registration=registration, balance_payment=balance_payment,
                    amount=amount, due_at=due_at, created_at=clock.now())
                if account.virtual_accounts:
                    pr.virtual_account = f"{account.account_number}{pr.pk:06d}"
                    pr.save(update_fields=["virtual_account"])
                return pr
        except IntegrityError:
            if purpose == PaymentReference.Purpose.DEPOSIT and PaymentReference.objects.filter(registration=registration, purpose=purpose).exists():
                return PaymentReference.objects.get(registration=registration, purpose=purpose)
    raise RuntimeError("could not draw a unique payment reference")


def in_capitals(fen: int) -> str:
    """The amount in Chinese capitals (大写), as written on a transfer slip: 贰佰叁拾伍万柒仟伍佰零贰元整."""
    import cn2an  # a second and more to import: only when an amount is written out

    return cn2an.an2cn(yuan(fen), "rmb")


def payment_info(pr: PaymentReference) -> dict:
    """What the payer needs for the transfer: the API's `payment` for the bank path, and the page's box."""
    acct = pr.account
    return {
        "provider": "bank", "reference": pr.reference, "account": acct.account_number, "account_name": acct.account_name,
        "bank_name": acct.bank_name, "virtual_account": pr.virtual_account, "amount": pr.amount, "amount_yuan": yuan(pr.amount),
        "amount_in_words": in_capitals(pr.amount), "due": pr.due_at.isoformat(), "received": pr.received, "missing": pr.missing,
        "status": pr.status, "purpose": pr.purpose, "route_reason": rules.ROUTE_REASONS["bank"],
    }
