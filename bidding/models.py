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
