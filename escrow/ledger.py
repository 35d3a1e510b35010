"""Posting to the ledger: the only write path for money records.

Every transaction balances (sum of signed entries = 0), checked here and, on PostgreSQL, by a
deferred constraint trigger at commit. Entries are never edited: corrections are reversals.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Sum

from auction_site import audit, clock
from auction_site.errors import DomainError, ErrorCode
from escrow.models import LedgerAccount, LedgerEntry, LedgerTransaction


class UnbalancedTransaction(DomainError):
    def __init__(self, total: int):
        super().__init__(ErrorCode.UNBALANCED, f"交易借贷不平衡 / transaction does not balance (sum {total})")


class InsufficientBalance(DomainError):
    def __init__(self, account: LedgerAccount, balance: int):
        super().__init__(ErrorCode.INSUFFICIENT_BALANCE, f"账户余额不足 / {account.code} would fall to {balance}")


@dataclass(frozen=True)
class Line:
    account: LedgerAccount
    debit: int = 0
    credit: int = 0

    @property
    def signed(self) -> int:
        return self.debit - self.credit


def get_account(code: str, kind: str, name: str, **refs) -> LedgerAccount:
    account, _ = LedgerAccount.objects.get_or_create(
        code=code, defaults={"kind": kind, "name": name, "created_at": clock.now(), **refs}
    )
    return account


def case_account(case) -> LedgerAccount:
    return get_account(f"case:{case.pk}", LedgerAccount.Kind.CASE, f"案款账户 {case.case_number}", case=case)


def provider_cash_account() -> LedgerAccount:
    return get_account("provider_cash", LedgerAccount.Kind.PROVIDER_CASH, "平台托管资金 / escrow at payment provider")


def deposit_account(registration) -> LedgerAccount:
    """The liability to one registration's bidder while their deposit is held (A17)."""
    return get_account(f"deposit:reg:{registration.pk}", LedgerAccount.Kind.BIDDER_DEPOSIT,
                       f"竞买保证金 登记#{registration.pk}", registration=registration)


def forfeit_account(case) -> LedgerAccount:
    """Sub-account of the case account for forfeited deposits (A24), applied in the A24 order at settlement."""
    return get_account(f"case:{case.pk}:forfeit", LedgerAccount.Kind.FORFEIT,
                       f"案款账户 {case.case_number} · 没收保证金", case=case)


def bank_account(court) -> LedgerAccount:
    """The court's enforcement bank account (执行款专户): balances paid by transfer land here."""
    return get_account(f"bank:court:{court.pk}", LedgerAccount.Kind.BANK, f"{court.name} 执行款专户")


def payee_account(case, key: str, name: str) -> LedgerAccount:
    """What the case owes one payee (costs, taxes, a creditor) until it is paid out."""
    return get_account(f"payee:case:{case.pk}:{key}", LedgerAccount.Kind.PAYEE, name, case=case)


def balance(account: LedgerAccount) -> int:
    """Balance in the account's normal direction (never stored; derived from entries)."""
    total = LedgerEntry.objects.filter(account=account).aggregate(s=Sum("amount"))["s"] or 0
    return total * account.sign


# Accounts that mirror money held outside (at the payment provider, in the court's bank account): their
# balance is what reconciliation compares with the provider and the bank statements; postings never
# lock them (every deposit of the site touches the provider's account: locking it would queue them all).
EXTERNAL_KINDS = {LedgerAccount.Kind.PROVIDER_CASH, LedgerAccount.Kind.BANK}


def post(kind: str, lines: list[Line], *, memo: str = "", idempotency_key: str | None = None,
         case=None, round=None, external_ref: str = "", reverses: LedgerTransaction | None = None,
         actor=None) -> LedgerTransaction:
    """Post one balanced transaction. With an idempotency key already used, returns the earlier one.

    Locks the accounts it touches (but the external ones), in id order — the last locks of the site's
    order (docs/architecture.md) — so no account is ever overdrawn; with a case, the case account is
    locked too and the posting's audit record joins its chain (一案一账号: one chain per case account)."""
    for ln in lines:
        # Integer fen only: no floats, strings, None or booleans anywhere near money.
        if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in (ln.debit, ln.credit)):
            raise DomainError(ErrorCode.INVALID_AMOUNT, "分录金额必须为非负整数分 / entry amounts are non-negative integer fen")
    lines = [ln for ln in lines if ln.signed != 0]
    if not lines:
        raise DomainError(ErrorCode.EMPTY_TRANSACTION, "交易没有分录 / no entries")
    total = sum(ln.signed for ln in lines)
    if total != 0:
        raise UnbalancedTransaction(total)
    with transaction.atomic():
        if idempotency_key:
            existing = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
            if existing:
                return existing
        # Lock the accounts in a fixed order so concurrent postings cannot deadlock or overdraw.
        chain = case_account(case) if case is not None else None
        touched = {ln.account.pk: ln.account for ln in lines if ln.account.kind not in EXTERNAL_KINDS}
        if chain is not None:
            touched[chain.pk] = chain
        ids = sorted(touched)
        locked = {a.pk: a for a in LedgerAccount.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")}
        try:
            with transaction.atomic():
                txn = LedgerTransaction.objects.create(
                    kind=kind, memo=memo, idempotency_key=idempotency_key, case=case, round=round,
                    external_ref=external_ref, reverses=reverses, created_at=clock.now(),
                )
        except IntegrityError:
            existing = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
            if existing:
                return existing
            raise
        LedgerEntry.objects.bulk_create([LedgerEntry(transaction=txn, account=ln.account, amount=ln.signed) for ln in lines])
        for ln in lines:
            acct = locked.get(ln.account.pk)
            if acct is not None:
                after = balance(acct)
                if after < 0:
                    raise InsufficientBalance(acct, after)
        # The chain of the case account; a posting with no case joins the chain of its first locked account.
        audit.record("ledger.posted", txn, chain=chain or (locked[ids[0]] if ids else txn), actor=actor, data={
            "kind": kind, "memo": memo, "entries": [[ln.account.code, ln.signed] for ln in lines],
            "idempotency_key": idempotency_key or "",
        })
    return txn


def reverse(original: LedgerTransaction, memo: str = "", actor=None) -> LedgerTransaction:
    """A correcting transaction with every entry of `original` negated."""
    lines = []
    for e in original.entries.select_related("account"):
        lines.append(Line(e.account, debit=-e.amount) if e.amount < 0 else Line(e.account, credit=e.amount))
    return post(f"reversal:{original.kind}", lines, memo=memo or f"冲正 #{original.pk}", case=original.case,
                round=original.round, reverses=original, idempotency_key=f"reversal:{original.pk}", actor=actor)
