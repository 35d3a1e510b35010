"""Reconciliation: the ledger against the payment provider. Every difference is listed, none is fixed here.

What a crash between a provider call and the ledger write leaves behind shows up as a difference
(e.g. a refund at the provider with no release in the ledger); the clock's retry closes it.
"""

from dataclasses import dataclass

from django.db.models import Sum

from escrow import ledger
from escrow.gateway import get_gateway
from escrow.models import BalancePayment, Deposit, LedgerEntry, LedgerTransaction

OUR_KINDS = {"deposit", "balance"}


@dataclass(frozen=True)
class Difference:
    code: str
    ref: str
    detail: str

    def __str__(self) -> str:
        return f"{self.code}: {self.ref} — {self.detail}"


def _txn_amount(txn: LedgerTransaction) -> int:
    return sum(e.amount for e in txn.entries.all() if e.amount > 0)


def _refs_of_other_providers(provider: str) -> set[str]:
    """The provider ids (payments, refunds) our rows hold for every provider but this one: their ledger
    postings are compared with that provider, not this one."""
    refs: set[str] = set()
    for pi, refund in Deposit.objects.exclude(provider=provider).values_list("payment_intent_id", "refund_id"):
        refs.update(r for r in (pi, refund) if r)
    refs.update(r for r in BalancePayment.objects.exclude(provider=provider).values_list("payment_intent_id", flat=True) if r)
    return refs


def reconcile(provider: str | None = None) -> list[Difference]:
    """The ledger's postings through `provider` (default: settings.PAYMENT_PROVIDER) against what that
    provider holds. A posting that names no payment or refund of ours at all is listed whichever
    provider is asked."""
    gw = get_gateway(provider)
    diffs: list[Difference] = []
    payments = {p.id: p for p in gw.all_payments() if p.metadata.get("kind") in OUR_KINDS}
    refunds = {r.id: r for r in gw.all_refunds() if r.payment_id in payments}

    others = _refs_of_other_providers(gw.name)
    ours = LedgerTransaction.objects.exclude(external_ref__in=others).prefetch_related("entries")
    held = {t.external_ref: t for t in ours.filter(kind__in=["deposit_held", "balance_paid"])}
    released = {t.external_ref: t for t in ours.filter(kind="deposit_released")}
    deposit_pis = set(Deposit.objects.filter(provider=gw.name).exclude(payment_intent_id=None).values_list("payment_intent_id", flat=True))
    balance_pis = set(BalancePayment.objects.filter(provider=gw.name).exclude(payment_intent_id=None).values_list("payment_intent_id", flat=True))

    provider_net = 0
    for p in payments.values():
        known = p.id in deposit_pis or p.id in balance_pis
        if p.status == "succeeded":
            provider_net += p.amount
            txn = held.get(p.id)
            if not known:
                diffs.append(Difference("orphan_payment", p.id, f"provider took {p.amount} fen for {p.metadata} but no deposit/balance row names it"))
            elif txn is None:
                diffs.append(Difference("payment_not_in_ledger", p.id, f"provider: succeeded {p.amount} fen; ledger: nothing"))
            elif _txn_amount(txn) != p.amount:
                diffs.append(Difference("amount_differs", p.id, f"provider {p.amount} fen; ledger {_txn_amount(txn)} fen"))
    for ref, txn in held.items():
        p = payments.get(ref)
        if p is None or p.status != "succeeded":
            diffs.append(Difference("ledger_payment_not_at_provider", ref, f"ledger txn #{txn.pk} ({txn.kind}); provider: {p.status if p else 'missing'}"))

    for r in refunds.values():
        if r.status != "succeeded":
            continue
        provider_net -= r.amount
        txn = released.get(r.id)
        if txn is None:
            diffs.append(Difference("refund_not_in_ledger", r.id, f"provider refunded {r.amount} fen of {r.payment_id}; ledger: nothing"))
        elif _txn_amount(txn) != r.amount:
            diffs.append(Difference("amount_differs", r.id, f"provider {r.amount} fen; ledger {_txn_amount(txn)} fen"))
    for ref, txn in released.items():
        r = refunds.get(ref)
        if r is None or r.status != "succeeded":
            diffs.append(Difference("ledger_refund_not_at_provider", ref, f"ledger txn #{txn.pk}; provider: {r.status if r else 'missing'}"))

    cash = ledger.provider_cash_account()
    ledger_cash = (LedgerEntry.objects.filter(account=cash).exclude(transaction__external_ref__in=others)
                   .aggregate(s=Sum("amount"))["s"] or 0) * cash.sign
    if ledger_cash != provider_net:
        diffs.append(Difference("cash_differs", "provider_cash", f"provider holds {provider_net} fen for us; ledger says {ledger_cash} fen"))
    return diffs
