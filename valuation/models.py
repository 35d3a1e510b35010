"""Valuation models (issue 3): the four methods of fixing a lot's reference price ([B] 法释〔2018〕15号).

Quotes are never edited: a correction (B12) is a new row pointing at the one it corrects.
Every state change goes through the valuation.services package, which writes the audit record.
Messages to outside providers (an HTTP inquiry platform, the mail server) are `OutboxMessage` rows written in the
transaction of the change and sent after it commits (valuation/services/outbox.py).
"""

from django.conf import settings
from django.db import models


class Method(models.TextChoices):
    # B2: normally tried in this order.
    NEGOTIATED = "negotiated", "当事人议价"
    DIRECTED = "directed", "定向询价"
    NETWORK = "network", "网络询价"
    APPRAISAL = "appraisal", "委托评估"


class Organisation(models.Model):
    """A valuer organisation: a network inquiry platform (B7), a directed-inquiry agency (B5) or an appraisal institution (B14)."""

    class Kind(models.TextChoices):
        INQUIRY_PLATFORM = "inquiry_platform", "司法网络询价平台"
        AGENCY = "agency", "定向询价机构"
        APPRAISAL_INSTITUTION = "appraisal_institution", "评估机构"

    class Provider(models.TextChoices):
        PORTAL = "portal", "门户人工答复"
        HTTP = "http", "HTTP 接口"
        BUILTIN_AVM = "builtin_avm", "内置估价模型"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    active = models.BooleanField(default=True)
    provider = models.CharField(max_length=16, choices=Provider.choices, default=Provider.PORTAL)
    endpoint = models.URLField(blank=True, help_text="HTTP provider: where inquiries are POSTed")
    secret = models.CharField(max_length=200, blank=True, help_text="HTTP provider: shared HMAC secret")
    contact = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return self.name


class Valuer(models.Model):
    """A user account acting for one organisation in the valuer portal."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="valuer")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="valuers")
    joined_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation.code}"


class Valuation(models.Model):
    """One attempt to fix a lot's reference price by one method. A failure may start the next method (`previous`)."""

    class Status(models.TextChoices):
        OPEN = "open", "进行中"
        CONCLUDED = "concluded", "已确定参考价"
        FAILED = "failed", "未成"
        CANCELLED = "cancelled", "已撤销"

    class PriceBasis(models.TextChoices):
        TAX_BASE = "tax_base", "计税基准价"
        GOVERNMENT = "government", "政府定价/指导价"

    lot = models.ForeignKey("lots.Lot", on_delete=models.PROTECT, related_name="valuations")
    method = models.CharField(max_length=16, choices=Method.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True)
    previous = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_valuation")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    deadline = models.DateTimeField(null=True, blank=True, help_text="negotiated/directed: set by the judge")
    price_basis = models.CharField(max_length=16, choices=PriceBasis.choices, blank=True)
    institutions_agreed = models.BooleanField(default=False, help_text="appraisal: institutions chosen by the parties (B16)")
    # Fallback for a failed negotiation: directed inquiry at this agency on this basis (B2).
    fallback_agency = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    fallback_basis = models.CharField(max_length=16, choices=PriceBasis.choices, blank=True)
    # Outcome.
    reference_price = models.BigIntegerField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    fixed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True, help_text="result delivered to the parties (B21)")
    ended_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(reference_price__isnull=True) | models.Q(reference_price__gt=0), name="valuation_reference_positive"),
            # One method at a time per lot (B2): what locking the lot used to ensure, the database ensures itself.
            models.UniqueConstraint(fields=["lot"], condition=models.Q(status="open"), name="valuation_one_open_per_lot"),
        ]

    def __str__(self) -> str:
        return f"{self.lot} · {self.get_method_display()}"


class Inquiry(models.Model):
    """The request to one organisation within a valuation (an appraisal keeps its institutions in order)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "候补"
        PENDING = "pending", "待答复"
        ANSWERED = "answered", "已答复"
        MISSED = "missed", "逾期未答复"
        ABSTAINED = "abstained", "无法出具"
        EXCLUDED = "excluded", "结果不予采用"
        CANCELLED = "cancelled", "已撤销"

    valuation = models.ForeignKey(Valuation, on_delete=models.CASCADE, related_name="inquiries")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="inquiries")
    position = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    extension_requested_at = models.DateTimeField(null=True, blank=True)
    extension_days_requested = models.PositiveSmallIntegerField(null=True, blank=True)
    extensions_granted = models.PositiveSmallIntegerField(default=0)
    correction_requested_at = models.DateTimeField(null=True, blank=True)
    correction_due = models.DateTimeField(null=True, blank=True)
    correction_reason = models.CharField(max_length=500, blank=True)
    excluded_reason = models.CharField(max_length=300, blank=True)
    # Provider integration (Organisation.provider == http): a one-inquiry token for the callback; the POST itself is an
    # OutboxMessage (attempts, errors), and `dispatched_at` the moment the provider acknowledged it.
    token = models.CharField(max_length=64, unique=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["valuation_id", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["valuation", "organisation"], name="inquiry_one_per_organisation")]

    def __str__(self) -> str:
        return f"{self.valuation} → {self.organisation.code}"


class Quote(models.Model):
    """A price with its validity and report. Immutable; a correction is a new row with `corrects` set."""

    class Source(models.TextChoices):
        PORTAL = "portal", "门户"
        HTTP = "http", "HTTP 接口"
        BUILTIN_AVM = "builtin_avm", "内置估价模型"

    inquiry = models.ForeignKey(Inquiry, on_delete=models.PROTECT, related_name="quotes")
    price = models.BigIntegerField()
    valid_until = models.DateTimeField()
    report_key = models.CharField(max_length=500, blank=True)
    report_size = models.BigIntegerField(default=0)
    basis = models.JSONField(default=dict, blank=True, help_text="e.g. the model's range and comparables")
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.PORTAL)
    corrects = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="correction")
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["submitted_at", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(price__gt=0), name="quote_price_positive")]


class PartyOffer(models.Model):
    """One offer in a negotiation (B4): the rounds go back and forth between the sides (round 1, 2, ...) until one
    side offers the price the other side offered last (they agree) or the deadline passes. Never edited."""

    valuation = models.ForeignKey(Valuation, on_delete=models.CASCADE, related_name="offers")
    party = models.ForeignKey("lots.CaseParty", on_delete=models.PROTECT, related_name="valuation_offers")
    round = models.PositiveSmallIntegerField(default=1)
    price = models.BigIntegerField()
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["valuation_id", "round"]
        constraints = [
            models.UniqueConstraint(fields=["valuation", "round"], name="offer_one_per_round"),
            models.CheckConstraint(condition=models.Q(price__gt=0), name="offer_price_positive"),
        ]


class LotteryDraw(models.Model):
    """The commit-reveal draw of appraisal institutions (B16). Fixed at commitment time: the candidates, the court's
    commitment, the draw time and the reveal deadline. At the draw: the beacon (transcript root of the last round
    closed before `draw_at`), the seed and the picks; replaying `seed` over `candidates` gives `picks`."""

    valuation = models.OneToOneField(Valuation, on_delete=models.PROTECT, related_name="lottery")
    candidates = models.JSONField(help_text="organisation codes, sorted, fixed at commitment time")
    committed_at = models.DateTimeField()
    draw_at = models.DateTimeField()
    reveal_until = models.DateTimeField()
    beacon_round = models.IntegerField(null=True, blank=True, help_text="round whose transcript root is the beacon")
    beacon = models.CharField(max_length=64, blank=True)
    seed = models.CharField(max_length=64, blank=True)
    picks = models.JSONField(default=list, help_text="organisation codes in drawn order")
    drawn_at = models.DateTimeField(null=True, blank=True)


class LotteryCommitment(models.Model):
    """One participant's commitment (SHA-256 of a secret) and, once revealed, the secret. The court's secret is made by
    the platform when the court gives none, kept unpublished and revealed at the draw."""

    class Role(models.TextChoices):
        COURT = "court", "法院"
        APPLICANT = "applicant", "申请执行人"
        RESPONDENT = "respondent", "被执行人"

    draw = models.ForeignKey(LotteryDraw, on_delete=models.CASCADE, related_name="commitments")
    role = models.CharField(max_length=16, choices=Role.choices)
    party = models.ForeignKey("lots.CaseParty", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    commitment = models.CharField(max_length=64)
    secret = models.CharField(max_length=128, blank=True, help_text="public only once revealed_at is set")
    held_by_platform = models.BooleanField(default=False)
    committed_at = models.DateTimeField()
    revealed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["draw_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["draw", "party"], name="lottery_one_commitment_per_party"),
            models.UniqueConstraint(fields=["draw"], condition=models.Q(role="court"), name="lottery_one_court_commitment"),
        ]


class Objection(models.Model):
    """A party's objection to a delivered result (B22); decided by the judge."""

    class Ground(models.TextChoices):
        # B22: the only grounds.
        WRONG_FACTS = "wrong_facts", "财产基本信息错误"
        OUT_OF_SCOPE = "out_of_scope", "超出财产范围"
        UNQUALIFIED = "unqualified", "评估/询价机构或人员不具备相应资格"
        UNLAWFUL_PROCEDURE = "unlawful_procedure", "程序严重违法"

    class Status(models.TextChoices):
        PENDING = "pending", "待审查"
        UPHELD = "upheld", "异议成立"
        DISMISSED = "dismissed", "异议驳回"

    valuation = models.ForeignKey(Valuation, on_delete=models.PROTECT, related_name="objections")
    inquiry = models.ForeignKey(Inquiry, null=True, blank=True, on_delete=models.PROTECT, related_name="objections")
    party = models.ForeignKey("lots.CaseParty", on_delete=models.PROTECT, related_name="valuation_objections")
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ground = models.CharField(max_length=32, choices=Ground.choices)
    reason = models.TextField()
    filed_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["filed_at", "id"]


class Notification(models.Model):
    """An in-site notice (and its e-mail) to a party or valuer about a valuation (B21)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="valuation_notifications")
    valuation = models.ForeignKey(Valuation, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True, help_text="the mail server accepted its OutboxMessage")

    class Meta:
        ordering = ["-created_at", "-id"]


class FeeAward(models.Model):
    """B31: the network inquiry fee goes to the platform whose result was closest to the sale price."""

    valuation = models.OneToOneField(Valuation, on_delete=models.PROTECT, related_name="fee_award")
    round = models.ForeignKey("lots.Round", on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="fee_awards")
    quote = models.ForeignKey(Quote, on_delete=models.PROTECT, related_name="+")
    sold_price = models.BigIntegerField()
    awarded_at = models.DateTimeField()


class OutboxMessage(models.Model):
    """A message to an outside provider, written in the transaction of the change that causes it and sent after that
    transaction commits: by the request that made the change (on commit) or by the clock (valuation/clockwork.py), never
    while a lock is held (valuation/services/outbox.py).

    Each is claimed with a lease before it is sent, so two senders never send it at once; a failed attempt is retried
    with backoff; `key` goes to the provider with every attempt (HTTP header ``Idempotency-Key``, e-mail ``Message-ID``)
    so that a retry after a lost answer is recognisably the same message. One per inquiry and one per notification.
    """

    class Channel(models.TextChoices):
        HTTP = "http", "HTTP 询价推送"
        EMAIL = "email", "电子邮件"

    channel = models.CharField(max_length=16, choices=Channel.choices)
    key = models.CharField(max_length=120, unique=True, help_text="idempotency key sent to the provider")
    inquiry = models.OneToOneField(Inquiry, null=True, blank=True, on_delete=models.CASCADE, related_name="outbox_message")
    notification = models.OneToOneField(Notification, null=True, blank=True, on_delete=models.CASCADE, related_name="outbox_message")
    to = models.CharField(max_length=500, help_text="the provider's endpoint URL, or the e-mail address")
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(help_text="the exact bytes sent (HTTP: the signed JSON body)")
    created_at = models.DateTimeField()
    due_at = models.DateTimeField(help_text="the next attempt is not made before this")
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True, help_text="claimed by a sender until then")
    sent_at = models.DateTimeField(null=True, blank=True)
    given_up_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["due_at"], condition=models.Q(sent_at__isnull=True, given_up_at__isnull=True), name="outbox_unsent_due")]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(channel="http", inquiry__isnull=False, notification__isnull=True)
                           | models.Q(channel="email", notification__isnull=False, inquiry__isnull=True)),
                name="outbox_message_of_one_thing"),
        ]

    def __str__(self) -> str:
        return self.key
