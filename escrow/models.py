"""Registrations for rounds with their deposits, and the double-entry ledger.

Entries are immutable; balances are derived (DOMAIN.md, Money and settlement). Escrow is the only
writer of a registration: it is issued its bidder code when its deposit is held (A17, A18).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Registration(models.Model):
    """A bidder's registration for one round; the deposit decides whether they may bid (A17, A18)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待缴保证金")
        HELD = "held", _("保证金已冻结")  # may bid
        RELEASED = "released", _("保证金已退还")
        APPLIED = "applied", _("保证金已转为价款")
        FORFEITED = "forfeited", _("保证金已没收")
        CANCELLED = "cancelled", _("已取消")

    round = models.ForeignKey("lots.Round", on_delete=models.PROTECT, related_name="registrations")
    bidder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="registrations")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    # A18: issued when the deposit is held; random, never derived from identity.
    code = models.CharField("竞买代码", max_length=16, null=True, blank=True)
    # A19/A21: set when the bidder is a court-confirmed priority holder of the lot (1 = best rank).
    priority_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    held_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "bidding_registration"  # the table it had when bidding modelled it
        constraints = [
            models.UniqueConstraint(fields=["round", "bidder"], name="registration_once_per_round"),
            models.UniqueConstraint(fields=["round", "code"], name="bidder_code_unique_in_round"),
        ]

    def __str__(self) -> str:
        return f"{self.code or '(pending)'} @ round {self.round_id}"

    @property
    def can_bid(self) -> bool:
        return self.status == self.Status.HELD and bool(self.code)


class Commitment(models.Model):
    """The bidder's signed commitment (竞买承诺书) for one registration, with what they read and declared.

    Written once, before the deposit is paid, never changed: the texts' SHA-256 hashes, the time and
    the IP address prove what was accepted and signed (A13–A14 notice and rules; A19 priority right;
    a company through its legal representative with its unified social credit code and licence).
    """

    registration = models.OneToOneField("escrow.Registration", on_delete=models.PROTECT, related_name="commitment")
    notice_sha256 = models.CharField("竞买公告与竞买须知的哈希", max_length=64)
    text = models.TextField("承诺书全文")
    text_sha256 = models.CharField("承诺书哈希", max_length=64)
    signed_name = models.CharField("签署人", max_length=200)
    signed_at = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    # A19/A21: a declared priority right, matched to the court's list on the lot.
    priority_holder = models.ForeignKey("lots.PriorityHolder", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # A company bids through its legal representative (GB 32100 code checked; licence in object storage).
    company_uscc = models.CharField("统一社会信用代码", max_length=18, blank=True)
    legal_representative = models.CharField("法定代表人", max_length=200, blank=True)
    legal_representative_id = models.CharField("法定代表人身份证号", max_length=18, blank=True)
    licence_key = models.CharField("营业执照存储键", max_length=500, blank=True)
    licence_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(company_uscc="") | ~models.Q(licence_key=""), name="commitment_company_has_licence"),
            models.CheckConstraint(condition=models.Q(company_uscc="") | ~models.Q(legal_representative=""), name="commitment_company_has_representative"),
        ]

    def __str__(self) -> str:
        return f"commitment of registration {self.registration_id}"


class BiddingGroup(models.Model):
    """Joint bidding (联合竞买) or agent bidding (委托竞买) for one registration (docs/rules.md, Who may take part).

    The registration is the group's one: one deposit, one bidder code. The code is issued only once the
    deposit is held AND the judge of the round's court has confirmed the group, which happens before
    bidding opens (escrow.rules: group rules); until then the registration cannot bid.
    """

    class Kind(models.TextChoices):
        JOINT = "joint", "联合竞买"
        AGENT = "agent", "委托竞买"

    class Status(models.TextChoices):
        PENDING = "pending", "待法院确认"
        CONFIRMED = "confirmed", "法院已确认"
        REJECTED = "rejected", "法院不予确认"

    registration = models.OneToOneField("escrow.Registration", on_delete=models.PROTECT, related_name="group")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True)
    # agent bidding: the principal (委托人) is the buyer; the power of attorney (授权委托书) is a PDF in object storage
    principal_name = models.CharField("委托人", max_length=200, blank=True)
    principal_id_number = models.CharField("委托人证件号码", max_length=18, blank=True)
    poa_key = models.CharField("授权委托书存储键", max_length=500, blank=True)
    poa_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField("不予确认的理由", max_length=500, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(kind="agent") | (~models.Q(poa_key="") & ~models.Q(principal_id_number="")),
                                   name="agent_group_has_principal_and_poa"),
            models.CheckConstraint(condition=models.Q(status="pending") | models.Q(decided_at__isnull=False), name="group_decision_dated"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of registration {self.registration_id} ({self.status})"


class GroupMember(models.Model):
    """One buyer of a joint bid with their share in percent (the registrant is position 0); the shares sum to 100."""

    group = models.ForeignKey(BiddingGroup, on_delete=models.PROTECT, related_name="members")
    position = models.PositiveSmallIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    name = models.CharField("姓名/名称", max_length=200)
    id_number = models.CharField("证件号码", max_length=18)
    share = models.DecimalField("份额(%)", max_digits=5, decimal_places=2)
    # a company co-bidder acts through its legal representative
    legal_representative = models.CharField("法定代表人", max_length=200, blank=True)
    legal_representative_id = models.CharField("法定代表人身份证号", max_length=18, blank=True)
    # each co-bidder agrees on the platform to bid jointly with this share (the registrant when registering)
    accepted_at = models.DateTimeField("同意联合竞买时间", null=True, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["group", "position"], name="group_member_position_unique"),
            models.UniqueConstraint(fields=["group", "user"], name="group_member_once"),
            models.CheckConstraint(condition=models.Q(share__gt=0) & models.Q(share__lte=100), name="group_member_share_range"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.share}%"


class LedgerAccount(models.Model):
    class Kind(models.TextChoices):
        PROVIDER_CASH = "provider_cash", "平台托管资金(支付机构)"  # asset: money held at Stripe/bank
        BIDDER_DEPOSIT = "bidder_deposit", "竞买保证金"  # liability to one registration's bidder
        CASE = "case", "案款账户"  # one per enforcement case (一案一账号)
        FORFEIT = "forfeit", "没收保证金"
        PAYEE = "payee", "应付收款人"  # liability to a payee until paid out
        BUYER_BALANCE = "buyer_balance", "买受人尾款"
        BANK = "bank", "法院执行款专户(银行)"  # asset: balances paid by bank transfer, confirmed by the judge
        SUSPENSE = "suspense", "待查明来款"  # liability: bank credits no reference names (escrow.bank)
        REFUND_DUE = "refund_due", "应退款项"  # liability: excess, late or returned credits owed back to the payer

    # Asset accounts are debit-normal; liability accounts are credit-normal.
    DEBIT_NORMAL = {Kind.PROVIDER_CASH, Kind.BANK}

    code = models.CharField(max_length=120, unique=True)  # e.g. "case:12", "deposit:reg:55"
    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=300)
    case = models.ForeignKey("lots.EnforcementCase", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_accounts")
    registration = models.ForeignKey("escrow.Registration", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_accounts")
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


class Deposit(models.Model):
    """The deposit (保证金) of one registration and its trail at the payment provider (A17, A23, A24).

    The registration's status says what the bidder may do; this row remembers the provider's ids so a
    retry never charges or refunds twice (we store the PaymentIntent id before answering).
    """

    registration = models.OneToOneField("escrow.Registration", on_delete=models.PROTECT, related_name="deposit")
    amount = models.BigIntegerField("保证金(分)")
    provider = models.CharField(max_length=16)  # "stripe" | "sandbox"
    payment_intent_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    client_secret = models.CharField(max_length=200, blank=True)
    provider_status = models.CharField(max_length=40, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)  # last time we asked the provider
    held_at = models.DateTimeField(null=True, blank=True)
    release_due_at = models.DateTimeField(null=True, blank=True)  # A23: close + 24 h
    refund_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    refund_requested_at = models.DateTimeField(null=True, blank=True)
    refund_attempted_at = models.DateTimeField(null=True, blank=True)  # the last refund request sent to the provider
    released_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    forfeited_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="deposit_amount_positive")]

    def __str__(self) -> str:
        return f"deposit {self.amount} for registration {self.registration_id}"


class BalancePayment(models.Model):
    """A payment of the balance (尾款, A25) by the winner: through the provider or a bank transfer the judge confirms."""

    class Method(models.TextChoices):
        PROVIDER = "provider", "在线支付"
        TRANSFER = "transfer", "银行转账"

    class Status(models.TextChoices):
        PENDING = "pending", "待支付"
        PAID = "paid", "已支付"
        CANCELLED = "cancelled", _("已取消")

    round = models.ForeignKey("lots.Round", on_delete=models.PROTECT, related_name="balance_payments")
    registration = models.ForeignKey("escrow.Registration", on_delete=models.PROTECT, related_name="balance_payments")
    method = models.CharField(max_length=16, choices=Method.choices)
    amount = models.BigIntegerField("金额(分)")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    provider = models.CharField(max_length=16, blank=True)
    payment_intent_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    client_secret = models.CharField(max_length=200, blank=True)
    reference = models.CharField("转账凭证号", max_length=200, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="balance_payment_positive")]


class ProcessedEvent(models.Model):
    """A provider webhook event already acted on: each event id is processed exactly once."""

    event_id = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=100, blank=True)
    processed_at = models.DateTimeField()


class SandboxPayment(models.Model):
    """The embedded sandbox provider's own records (stands in for Stripe with no network)."""

    id = models.CharField(primary_key=True, max_length=40)  # "pi_sbx_..."
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=8)
    status = models.CharField(max_length=40, default="requires_payment_method")
    metadata = models.JSONField(default=dict)
    idempotency_key = models.CharField(max_length=200, unique=True)
    client_secret = models.CharField(max_length=100)
    created_at = models.DateTimeField()


class SandboxRefund(models.Model):
    id = models.CharField(primary_key=True, max_length=40)  # "re_sbx_..."
    payment = models.ForeignKey(SandboxPayment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.BigIntegerField()
    status = models.CharField(max_length=40, default="succeeded")
    metadata = models.JSONField(default=dict)
    idempotency_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField()


# The bank path's models belong to this app (escrow/bank/models.py).
from escrow.bank.models import BankEntry, BankInstruction, BankStatement, CaseBankAccount, PaymentReference  # noqa: E402

__all__ = ["Registration", "BiddingGroup", "GroupMember", "LedgerAccount", "LedgerTransaction", "LedgerEntry", "Deposit", "BalancePayment", "ProcessedEvent",
           "SandboxPayment", "SandboxRefund", "CaseBankAccount", "PaymentReference", "BankStatement", "BankEntry", "BankInstruction"]
