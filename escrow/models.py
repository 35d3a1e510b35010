"""The double-entry ledger. Entries are immutable; balances are derived (DOMAIN.md, Money and settlement)."""

from django.db import models


class LedgerAccount(models.Model):
    class Kind(models.TextChoices):
        PROVIDER_CASH = "provider_cash", "平台托管资金(支付机构)"  # asset: money held at Stripe/bank
        BIDDER_DEPOSIT = "bidder_deposit", "竞买保证金"  # liability to one registration's bidder
        CASE = "case", "案款账户"  # one per enforcement case (一案一账号)
        FORFEIT = "forfeit", "没收保证金"
        PAYEE = "payee", "应付收款人"  # liability to a payee until paid out
        BUYER_BALANCE = "buyer_balance", "买受人尾款"

    # Asset accounts are debit-normal; liability accounts are credit-normal.
    DEBIT_NORMAL = {Kind.PROVIDER_CASH}

    code = models.CharField(max_length=120, unique=True)  # e.g. "case:12", "deposit:reg:55"
    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=300)
    case = models.ForeignKey("lots.EnforcementCase", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_accounts")
    registration = models.ForeignKey("bidding.Registration", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_accounts")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name

    @property
    def sign(self) -> int:
        return 1 if self.kind in self.DEBIT_NORMAL else -1


class LedgerTransaction(models.Model):
    """A balanced set of entries. `idempotency_key` makes provider-driven postings happen exactly once."""

    kind = models.CharField(max_length=40)  # deposit_held, deposit_released, deposit_applied, forfeit, balance_paid, payout...
    memo = models.CharField(max_length=500, blank=True)
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    case = models.ForeignKey("lots.EnforcementCase", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_transactions")
    round = models.ForeignKey("lots.Round", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_transactions")
    external_ref = models.CharField(max_length=200, blank=True)  # provider object id (pi_..., re_...)
    reverses = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]


class LedgerEntry(models.Model):
    """Signed amount in fen: positive = debit, negative = credit. Never updated or deleted."""

    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries")
    amount = models.BigIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=~models.Q(amount=0), name="ledger_entry_nonzero")]
