"""Models of the bank path (part of the escrow app: `escrow.models` imports them).

A case's account at the bank, the payment references bidders quote, the statements imported with
each of their entries (and what each entry did), and the payment instructions sent back to payers.
"""

from django.conf import settings
from django.db import models


class CaseBankAccount(models.Model):
    """The case's own account at the bank (一案一账号); virtual sub-accounts where the bank offers them."""

    case = models.OneToOneField("lots.EnforcementCase", on_delete=models.PROTECT, related_name="bank_account")
    bank_name = models.CharField("开户行", max_length=200)
    account_number = models.CharField("账号", max_length=40, unique=True)
    account_name = models.CharField("户名", max_length=300)
    virtual_accounts = models.BooleanField("支持虚拟子账户", default=False)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "escrow_case_bank_account"

    def __str__(self) -> str:
        return f"{self.account_name} {self.account_number}"


class PaymentReference(models.Model):
    """What a payer quotes on a transfer: one per registration's deposit, or per balance payment."""

    class Purpose(models.TextChoices):
        DEPOSIT = "deposit", "保证金"
        BALANCE = "balance", "尾款"

    class Status(models.TextChoices):
        OPEN = "open", "待付款"
        PARTIAL = "partial", "部分到账"
        PAID = "paid", "已到账"
        CLOSED = "closed", "已关闭"

    reference = models.CharField("付款附言/参考号", max_length=35, unique=True)
    virtual_account = models.CharField("虚拟子账户", max_length=40, null=True, blank=True, unique=True)
    account = models.ForeignKey(CaseBankAccount, on_delete=models.PROTECT, related_name="references")
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    registration = models.ForeignKey("escrow.Registration", on_delete=models.PROTECT, related_name="bank_references")
    balance_payment = models.OneToOneField("escrow.BalancePayment", null=True, blank=True, on_delete=models.PROTECT,
                                           related_name="bank_reference")
    amount = models.BigIntegerField("应付金额(分)")
    received = models.BigIntegerField("已到账(分)", default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    due_at = models.DateTimeField("付款期限")
    created_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "escrow_payment_reference"
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_reference_amount_positive"),
            models.UniqueConstraint(fields=["registration"], condition=models.Q(purpose="deposit"), name="one_deposit_reference_per_registration"),
        ]

    @property
    def missing(self) -> int:
        return max(self.amount - self.received, 0)


class BankStatement(models.Model):
    """One imported statement (camt.053 / camt.054 / MT940) of a case account; kept as received."""

    class Format(models.TextChoices):
        CAMT053 = "camt.053", "ISO 20022 camt.053"
        CAMT054 = "camt.054", "ISO 20022 camt.054"
        MT940 = "mt940", "SWIFT MT940"

    class Source(models.TextChoices):
        UPLOAD = "upload", "运营上传"
        COMMAND = "command", "命令导入"
        PUSH = "push", "银行直连推送"
        SANDBOX = "sandbox", "沙箱银行"

    account = models.ForeignKey(CaseBankAccount, on_delete=models.PROTECT, related_name="statements")
    format = models.CharField(max_length=16, choices=Format.choices)
    source = models.CharField(max_length=16, choices=Source.choices)
    message_id = models.CharField(max_length=140)
    statement_id = models.CharField(max_length=140)
    sha256 = models.CharField(max_length=64, unique=True)
    opening_balance = models.BigIntegerField(null=True, blank=True)
    closing_balance = models.BigIntegerField(null=True, blank=True)
    closing_date = models.DateField(null=True, blank=True)
    entries_new = models.PositiveIntegerField(default=0)
    entries_seen = models.PositiveIntegerField(default=0)
    content = models.BinaryField()
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField()

    class Meta:
        db_table = "escrow_bank_statement"
        ordering = ["imported_at", "id"]


class BankEntry(models.Model):
    """One booked entry of the case account, once per bank entry reference, and what it did."""

    class Verdict(models.TextChoices):
        EXACT = "exact", "金额相符"
        SHORT = "short", "金额不足"
        OVER = "over", "金额超出"
        LATE = "late", "逾期到账"
        CLOSED = "closed", "参考号已关闭"
        UNKNOWN = "unknown", "无法识别(挂账)"
        REFUND_CONFIRMED = "refund_confirmed", "退款已确认"
        REVERSED = "reversed", "冲正"
        UNMATCHED_DEBIT = "unmatched_debit", "无法识别的支出"
        UNMATCHED_REVERSAL = "unmatched_reversal", "无法匹配的冲正"

    account = models.ForeignKey(CaseBankAccount, on_delete=models.PROTECT, related_name="entries")
    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="entries")
    entry_ref = models.CharField("银行流水号", max_length=140)
    direction = models.CharField(max_length=4)  # CRDT | DBIT
    reversal = models.BooleanField(default=False)
    amount = models.BigIntegerField()
    booked_at = models.DateTimeField(null=True, blank=True)
    remittance = models.CharField(max_length=500, blank=True)
    end_to_end_id = models.CharField(max_length=140, blank=True)
    payer_name = models.CharField(max_length=300, blank=True)
    payer_account = models.CharField(max_length=60, blank=True)
    payee_account = models.CharField(max_length=60, blank=True)  # a virtual sub-account credited
    verdict = models.CharField(max_length=24, choices=Verdict.choices)
    reference = models.ForeignKey(PaymentReference, null=True, blank=True, on_delete=models.PROTECT, related_name="entries")
    held = models.BigIntegerField(default=0)  # fen credited to the registration or the balance
    refunded = models.BigIntegerField(default=0)  # fen owed back to the payer (instructions)
    suspense = models.BigIntegerField(default=0)  # fen in the case's suspense account
    reversed_by = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reverses")
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "escrow_bank_entry"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "entry_ref"], name="bank_entry_once"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="bank_entry_amount_positive"),
        ]


class BankInstruction(models.Model):
    """A transfer out of the case account (a deposit released, an excess or late credit returned),
    always to the account the money came from, written as a pain.001 file and confirmed by a statement."""

    class Kind(models.TextChoices):
        RELEASE = "release", "退还保证金"
        RETURN = "return", "退回多付/逾期/无法识别款项"

    class Status(models.TextChoices):
        INSTRUCTED = "instructed", "已发出指令"
        CONFIRMED = "confirmed", "银行已确认"

    account = models.ForeignKey(CaseBankAccount, on_delete=models.PROTECT, related_name="instructions")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    source_entry = models.ForeignKey(BankEntry, on_delete=models.PROTECT, related_name="instructions")
    registration = models.ForeignKey("escrow.Registration", null=True, blank=True, on_delete=models.PROTECT, related_name="bank_instructions")
    amount = models.BigIntegerField()
    creditor_name = models.CharField(max_length=300)
    creditor_account = models.CharField(max_length=60)
    end_to_end_id = models.CharField(max_length=35, unique=True)
    payment_file = models.BinaryField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.INSTRUCTED)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by_entry = models.OneToOneField(BankEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="confirms")

    class Meta:
        db_table = "escrow_bank_instruction"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="bank_instruction_amount_positive"),
            models.UniqueConstraint(fields=["source_entry", "kind"], name="one_instruction_per_entry_and_kind"),
        ]
