"""Enforcement-case mirrors, lots, auction rounds and media (courts are accounts' Court)."""

from django.conf import settings
from django.db import models
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from accounts.models import Court
from lots import rules


class EnforcementCase(models.Model):
    """Mirror of an enforcement case (执行案件); one case, one account (一案一账号)."""

    class Status(models.TextChoices):
        OPEN = "open", "执行中"
        SETTLED = "settled", "已结算"
        CLOSED = "closed", "已结案"

    court = models.ForeignKey(Court, on_delete=models.PROTECT, related_name="cases")
    case_number = models.CharField("案号", max_length=64, unique=True)
    applicants = models.JSONField("申请执行人", default=list)
    respondents = models.JSONField("被执行人", default=list)
    amount_owed = models.BigIntegerField("执行标的金额(分)")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(amount_owed__gte=0), name="case_amount_owed_nonneg")]

    def __str__(self) -> str:
        return self.case_number


class CaseParty(models.Model):
    """A party of the case (applicant or debtor) linked to a platform account when they have one."""

    class Side(models.TextChoices):
        APPLICANT = "applicant", "申请执行人"
        RESPONDENT = "respondent", "被执行人"

    case = models.ForeignKey(EnforcementCase, on_delete=models.CASCADE, related_name="parties")
    side = models.CharField(max_length=16, choices=Side.choices)
    name = models.CharField(max_length=200)
    id_number = models.CharField(max_length=18, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="case_parties")

    def __str__(self) -> str:
        return f"{self.get_side_display()} {self.name}"


class Category(models.TextChoices):
    REAL_ESTATE = "real_estate", "不动产"
    VEHICLE = "vehicle", "机动车"
    EQUITY = "equity", "股权"
    MOVABLE = "movable", "动产"
    OTHER = "other", "其他财产权"


class Subtype(models.TextChoices):
    """What kind of thing a lot is, within its category (the catalogue's 标的类型 filter); blank = not said."""

    RESIDENTIAL = "residential", "住宅"
    VILLA = "villa", "别墅"
    SHOP = "shop", "商铺"
    OFFICE = "office", "办公用房"
    FACTORY = "factory", "厂房"
    INDUSTRIAL_LAND = "industrial_land", "工业用地"
    COMMERCIAL_LAND = "commercial_land", "商业用地"
    PARKING = "parking", "车位"
    CAR = "car", "轿车"
    SUV = "suv", "越野车"
    TRUCK = "truck", "货车"
    BUS = "bus", "客车"
    EQUITY = "equity", "股权"
    MACHINERY = "machinery", "机械设备"
    SHIP = "ship", "船舶"
    JEWELLERY = "jewellery", "珠宝首饰"
    ART = "art", "艺术品"
    RIGHTS = "rights", "其他权利"


# The sub-types offered under each category (the filter's groups; lots.forms, the judge's lot form).
SUBTYPES_BY_CATEGORY = {
    "real_estate": ("residential", "villa", "shop", "office", "factory", "industrial_land", "commercial_land"),
    "vehicle": ("car", "suv", "truck", "bus"),
    "equity": ("equity",),
    "movable": ("machinery", "ship", "jewellery", "art"),
    "other": ("parking", "rights"),
}


class Lot(models.Model):
    """A piece of seized property put up for sale (拍卖标的)."""

    class TaxPayer(models.TextChoices):
        BUYER = "buyer", "买受人承担全部税费"
        EACH = "each", "按照法律规定各自承担"
        SELLER = "seller", "被执行人承担"

    case = models.ForeignKey(EnforcementCase, on_delete=models.PROTECT, related_name="lots")
    title = models.CharField("标的名称", max_length=300)
    category = models.CharField(max_length=16, choices=Category.choices)
    description = models.TextField("标的描述", blank=True)
    location = models.CharField("所在地", max_length=300, blank=True)
    city = models.CharField(max_length=50, blank=True)
    # The catalogue's region filter: province (short name, as Court.province: "江苏"), city ("苏州"), district ("姑苏区").
    province = models.CharField("省份", max_length=20, blank=True, default="")
    district = models.CharField("区县", max_length=50, blank=True, default="")
    subtype = models.CharField("标的类型", max_length=24, choices=Subtype.choices, blank=True, default="")
    size = models.DecimalField("面积/数量", max_digits=14, decimal_places=2, null=True, blank=True)
    size_unit = models.CharField(max_length=16, blank=True, default="㎡")
    year_built = models.PositiveIntegerField("建成/出厂年份", null=True, blank=True)
    defects_and_encumbrances = models.TextField("瑕疵与权利负担", blank=True)
    occupancy = models.TextField("占有使用情况", blank=True)
    title_status = models.TextField("权属情况", blank=True)
    transfer_tax_payer = models.CharField(max_length=16, choices=TaxPayer.choices, default=TaxPayer.EACH)
    judgment_enforced = models.TextField("执行依据", blank=True)
    # Reference price (参考价) and where it came from; fixed by valuation (B), or entered by the judge.
    reference_price = models.BigIntegerField("参考价(分)", null=True, blank=True)
    reference_price_source = models.CharField(max_length=200, blank=True)
    reference_price_fixed_at = models.DateTimeField(null=True, blank=True)
    reference_price_valid_until = models.DateTimeField(null=True, blank=True)
    seized_at = models.DateTimeField("查封时间", null=True, blank=True)
    # [C] A16: handed to a creditor in kind after a second failed auction; no round follows.
    settled_in_kind_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["category"]), models.Index(fields=["city"]),
                   # the catalogue's region and sub-type filters (migration 0011)
                   models.Index(fields=["province", "city", "district"], name="lot_region"),
                   models.Index(fields=["district"], name="lot_district"),
                   models.Index(fields=["subtype"], name="lot_subtype"),
                   # a region with a sub-type, by an index-only scan (migration 0012; INCLUDE is PostgreSQL's)
                   models.Index(fields=["city", "district", "subtype"], include=["id"], name="lot_city_district"),
                   models.Index(fields=["province", "subtype"], include=["id"], name="lot_province_subtype")]
        constraints = [
            models.CheckConstraint(condition=models.Q(reference_price__isnull=True) | models.Q(reference_price__gt=0), name="lot_reference_price_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def court(self) -> Court:
        return self.case.court

    @property
    def is_real_estate_like(self) -> bool:
        # A12: real estate and other property rights take the longer notice.
        return self.category in {Category.REAL_ESTATE, Category.EQUITY, Category.OTHER}


class PriorityHolder(models.Model):
    """优先购买权人 confirmed by the court with a rank (1 = first). A19, A21."""

    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="priority_holders")
    name = models.CharField(max_length=200)
    id_number = models.CharField(max_length=18)
    rank = models.PositiveSmallIntegerField(default=1)
    basis = models.CharField("依据", max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["lot", "id_number"], name="priority_holder_unique")]
        ordering = ["rank", "id"]


# The catalogue's "recommended" order (docs/catalogue.md): open rounds first, ending soonest first, then
# announced, then suspended, then the finished rounds, latest first. Its expressions are defined once,
# here, so that the index below and the selector's ORDER BY are the same expressions.
ACTIVE_FIRST = ("open", "announced", "suspended")


def catalogue_rank() -> Case:
    return Case(*[When(status=s, then=Value(i)) for i, s in enumerate(ACTIVE_FIRST)], default=Value(len(ACTIVE_FIRST)),
                output_field=IntegerField())


def catalogue_active_end() -> Case:
    return Case(When(status__in=ACTIVE_FIRST, then=F("ends_at")), default=None)


def catalogue_price() -> Coalesce:
    """The price a visitor compares: the current price once bid on, else the starting price."""
    return Coalesce(F("current_price"), F("starting_price"))


LISTED = Q(listed=True)


class Round(models.Model):
    """One auction round of a lot (first auction, re-auction, or sell-off)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        ANNOUNCED = "announced", _("公告中")
        OPEN = "open", _("竞价中")
        CLOSED = "closed", _("已结束")
        SOLD = "sold", _("已成交")
        FAILED = "failed", _("流拍")
        SUSPENDED = "suspended", _("中止")
        WITHDRAWN = "withdrawn", _("撤回")
        PAID = "paid", _("已付款")
        SETTLED = "settled", _("已结算")
        DEFAULTED = "defaulted", _("悔拍")

    class Kind(models.TextChoices):
        AUCTION = "auction", _("拍卖")
        SELLOFF = "selloff", _("变卖")

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="rounds")
    number = models.PositiveSmallIntegerField("拍次", default=1)  # 1 = 一拍, 2 = 二拍; sell-off keeps counting
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.AUCTION)
    previous = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_round")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    starting_price = models.BigIntegerField("起拍价(分)")
    deposit = models.BigIntegerField("保证金(分)")
    increment = models.BigIntegerField("加价幅度(分)")
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")  # moves with the A20 extension
    scheduled_ends_at = models.DateTimeField("原定结束时间")
    balance_due_days = models.PositiveSmallIntegerField("尾款期限(天)", default=10)
    proxy_bidding_enabled = models.BooleanField("允许代理出价", default=False)
    announcement = models.TextField("拍卖公告", blank=True)  # 竞买公告 (A13–14)
    bidding_notice = models.TextField("竞买须知", blank=True)  # the rules a bidder reads and accepts before registering
    published_at = models.DateTimeField(null=True, blank=True)
    parties_notified_at = models.DateTimeField(null=True, blank=True)
    # Live state, written only by the bid engine under the row lock.
    current_price = models.BigIntegerField(null=True, blank=True)
    # The leading registration (escrow's Registration; the database keeps the foreign key) and its
    # bidder code, the only way the leader is ever shown (A18).
    leader_id = models.BigIntegerField(null=True, blank=True)
    leader_code = models.CharField(max_length=16, blank=True)
    seq = models.BigIntegerField(default=0)
    bid_count = models.PositiveIntegerField(default=0)
    # Outcome.
    closed_at = models.DateTimeField(null=True, blank=True)
    sold_price = models.BigIntegerField(null=True, blank=True)
    balance_due_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.TextField(blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    # The status a suspended round returns to on resume (A28): "announced" or "open".
    suspended_from = models.CharField(max_length=16, blank=True)
    # A28: when the judge recorded that the cause of the suspension ended; the resume is due 5 days later.
    suspension_cause_ended_at = models.DateTimeField("中止事由消除时间", null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # When the status last changed (lots.rounds.change_status sets it); the open-data feed pages by it.
    status_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    # The catalogue entry of its lot: True on the lot's latest round that is not a draft, False on every
    # other round. Written only by lots.rounds (create / change_status), backfilled by migration 0007.
    listed = models.BooleanField("目录展示", default=False)
    # The starting price as a whole percentage of the lot's reference price (lots.discount: 70 = 7折), or None
    # without one. Written by lots.rounds (create, sync_discount) for the catalogue's discount filter.
    discount = models.PositiveSmallIntegerField("折扣(%)", null=True, blank=True)

    class Meta:
        ordering = ["-starts_at"]
        # The catalogue's sorts and filters, over the listed rounds only (one per lot).
        indexes = [
            models.Index(F("ends_at"), F("id"), name="round_listed_ends", condition=LISTED),
            models.Index(F("status"), F("ends_at"), F("id"), name="round_listed_status_ends", condition=LISTED),
            models.Index(F("starts_at"), F("id"), name="round_listed_starts", condition=LISTED),
            models.Index(F("published_at"), F("id"), name="round_listed_published", condition=LISTED),
            models.Index(catalogue_price(), F("id"), name="round_listed_price", condition=LISTED),
            models.Index(F("bid_count").desc(), F("ends_at"), F("id"), name="round_listed_bids", condition=LISTED),
            models.Index(catalogue_rank(), catalogue_active_end().asc(nulls_last=True), F("ends_at").desc(), F("id").desc(),
                         name="round_listed_recommended", condition=LISTED),
            models.Index(fields=["status_changed_at", "id"], name="round_changed_idx"),  # the open-data change feed
            # the round filter (一拍 / 二拍 / 变卖) and the discount filter (migration 0011)
            models.Index(F("kind"), F("number"), F("ends_at"), F("id"), name="round_listed_kind", condition=LISTED),
            models.Index(F("discount"), F("id"), name="round_listed_discount", condition=LISTED),  # the open-data change feed
        ]
        constraints = [
            models.UniqueConstraint(fields=["lot"], condition=LISTED, name="round_one_listed_per_lot"),
            models.UniqueConstraint(fields=["lot", "number"], name="round_number_unique"),
            models.CheckConstraint(condition=models.Q(starting_price__gt=0), name="round_start_positive"),
            models.CheckConstraint(condition=models.Q(deposit__gt=0), name="round_deposit_positive"),
            models.CheckConstraint(condition=models.Q(increment__gt=0), name="round_increment_positive"),
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="round_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.lot.title} · 第{self.number}次{'变卖' if self.kind == self.Kind.SELLOFF else '拍卖'}"  # not translated: used in memos

    @property
    def publishable_from(self):
        """A16: the earliest publication time once the parties were notified (None until they are)."""
        return rules.publishable_from(self.parties_notified_at) if self.parties_notified_at else None

    @property
    def resume_due_at(self):
        """A28: the resume deadline once the cause of the suspension ended (None otherwise)."""
        if self.status != self.Status.SUSPENDED or self.suspension_cause_ended_at is None:
            return None
        return rules.resume_deadline(self.suspension_cause_ended_at)


class Media(models.Model):
    """A photo, video, 360° panorama or document of a lot, stored in object storage."""

    class Kind(models.TextChoices):
        PHOTO = "photo", "照片"
        VIDEO = "video", "视频"
        PANORAMA = "panorama", "VR全景"
        DOCUMENT = "document", "文件"

    class Status(models.TextChoices):
        PENDING = "pending", "待上传"
        READY = "ready", "已上传"
        REJECTED = "rejected", "已拒绝"

    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="media")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(max_length=200, blank=True)
    key = models.CharField(max_length=500, unique=True)
    content_type = models.CharField(max_length=100)
    size = models.BigIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["position", "id"]


class IntakeRequest(models.Model):
    """One accepted request of a court's case system to create or update a case mirror (lots/intake.py).

    Unique per (court, Idempotency-Key): a repeat with the same key and body gets the stored answer and
    changes nothing; the signature is unique too, so a captured request replayed as is is refused."""

    court = models.ForeignKey(Court, on_delete=models.PROTECT, related_name="intake_requests")
    idempotency_key = models.CharField(max_length=200)
    body_sha256 = models.CharField(max_length=64)
    signature = models.CharField(max_length=64, unique=True)
    case = models.ForeignKey(EnforcementCase, on_delete=models.PROTECT, related_name="intake_requests")
    outcome = models.CharField(max_length=16)  # created | updated | unchanged
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    received_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["court", "idempotency_key"], name="intake_key_unique")]


class NoticeTemplate(models.Model):
    """A court's own template of the 竞买公告 or the 竞买须知 for one category of property (lots.texts).

    The text is a Django template rendered with a fixed context of plain values (lots.texts.CONTEXT_KEYS:
    the particulars, prices, dates, account, tax payer, priority holders); a court without its own uses the
    platform's default (lots.texts.DEFAULTS)."""

    class Kind(models.TextChoices):
        ANNOUNCEMENT = "announcement", "竞买公告"
        BIDDING_NOTICE = "bidding_notice", "竞买须知"

    court = models.ForeignKey(Court, on_delete=models.CASCADE, related_name="notice_templates")
    category = models.CharField(max_length=16, choices=Category.choices)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    text = models.TextField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["court", "category", "kind"], name="notice_template_unique")]
