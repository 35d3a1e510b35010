"""The lot page's 竞价记录 tab: a round's latest bids, bidders by code only (A18)."""

from django import template

from bidding.models import Bid

register = template.Library()
SHOWN = 20


@register.simple_tag
def latest_bids(rnd) -> list[dict]:
    """The round's last SHOWN bids, newest first; the newest marked `leading` when it is the leader's."""
    if rnd is None or not rnd.bid_count:
        return []
    bids = Bid.objects.filter(round_id=rnd.pk).select_related("registration").order_by("-seq")[:SHOWN]
    return [{"code": b.registration.code, "amount": b.amount, "at": b.placed_at, "priority": b.is_priority,
             "leading": i == 0 and b.registration.code == rnd.leader_code} for i, b in enumerate(bids)]
