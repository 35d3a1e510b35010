"""The append-only bids and the proxy ceilings (registrations and deposits are escrow's)."""

from django.db import models


class Bid(models.Model):
    """An accepted bid. Immutable: never updated or deleted (A29)."""

    round = models.ForeignKey("lots.Round", on_delete=models.PROTECT, related_name="bids")
    registration = models.ForeignKey("escrow.Registration", on_delete=models.PROTECT, related_name="bids")
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
    registration = models.ForeignKey("escrow.Registration", on_delete=models.PROTECT, related_name="proxy_bids")
    ceiling = models.BigIntegerField("代理出价上限(分)")
    active = models.BooleanField(default=True)
    set_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "registration"], name="proxy_once_per_registration"),
            models.CheckConstraint(condition=models.Q(ceiling__gt=0), name="proxy_ceiling_positive"),
        ]
