"""Registrations (with bidder codes) and the append-only bids."""

from django.conf import settings
from django.db import models


class Registration(models.Model):
    """A bidder's registration for one round; the deposit decides whether they may bid (A17, A18)."""

    class Status(models.TextChoices):
        PENDING = "pending", "待缴保证金"
        HELD = "held", "保证金已冻结"  # may bid
        RELEASED = "released", "保证金已退还"
        APPLIED = "applied", "保证金已转为价款"
        FORFEITED = "forfeited", "保证金已没收"
        CANCELLED = "cancelled", "已取消"

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
        constraints = [
            models.UniqueConstraint(fields=["round", "bidder"], name="registration_once_per_round"),
            models.UniqueConstraint(fields=["round", "code"], name="bidder_code_unique_in_round"),
        ]

    def __str__(self) -> str:
        return f"{self.code or '(pending)'} @ round {self.round_id}"

    @property
    def can_bid(self) -> bool:
        return self.status == self.Status.HELD and bool(self.code)


class Bid(models.Model):
    """An accepted bid. Immutable: never updated or deleted (A29)."""

    round = models.ForeignKey("lots.Round", on_delete=models.PROTECT, related_name="bids")
    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="bids")
    seq = models.BigIntegerField()
    amount = models.BigIntegerField()
    placed_at = models.DateTimeField()  # server clock at acceptance (A20)
    is_priority = models.BooleanField(default=False)
    is_proxy = models.BooleanField(default=False)

    class Meta:
        ordering = ["round_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["round", "seq"], name="bid_seq_unique_in_round"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="bid_amount_positive"),
        ]


class ProxyBid(models.Model):
    """代理出价: a bidder's ceiling; the engine bids the minimum valid amount for them when outbid.

    One row per (round, registration); raising or lowering the ceiling moves `set_at` (ties between
    equal ceilings go to the earlier `set_at`, like eBay). Every change is audited.
    """

    round = models.ForeignKey("lots.Round", on_delete=models.PROTECT, related_name="proxy_bids")
    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="proxy_bids")
    ceiling = models.BigIntegerField("代理出价上限(分)")
    active = models.BooleanField(default=True)
    set_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "registration"], name="proxy_once_per_registration"),
            models.CheckConstraint(condition=models.Q(ceiling__gt=0), name="proxy_ceiling_positive"),
        ]


class InKindSettlement(models.Model):
    """以物抵债 ([C] A16): after a second failure the court hands the lot to a creditor at the round-2 starting price."""

    lot = models.OneToOneField("lots.Lot", on_delete=models.PROTECT, related_name="in_kind_settlement")
    round = models.ForeignKey("lots.Round", on_delete=models.PROTECT, related_name="+")  # the failed round 2 or the sell-off round
    creditor = models.CharField("接受抵债的申请执行人", max_length=200)
    price = models.BigIntegerField("抵债价格(分)")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(price__gt=0), name="in_kind_price_positive")]
