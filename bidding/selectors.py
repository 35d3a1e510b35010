"""Reads of live bidding: the snapshot every watcher starts from (ARCHITECTURE.md, websocket contract)."""

from __future__ import annotations

from auction_site import clock
from bidding import rules
from bidding.models import Bid, ProxyBid
from escrow.models import Registration
from lots.models import Round

SNAPSHOT_BIDS = 20


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def bid_event(bid: Bid) -> dict:
    return {"seq": bid.seq, "code": bid.registration.code, "amount": bid.amount, "at": _iso(bid.placed_at),
            "priority": bid.is_priority, "proxy": bid.is_proxy}


def registration_of(round_id: int, user) -> Registration | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Registration.objects.filter(round_id=round_id, bidder_id=user.pk).first()


def snapshot(round_id: int, user=None) -> dict | None:
    """`{"type":"snapshot","round":{...},"bids":[last 20],"you":{"code"}|null, "server_time"}`; bidders only by code."""
    rnd = Round.objects.filter(pk=round_id).first()
    if rnd is None:
        return None
    bids = list(Bid.objects.filter(round_id=round_id).select_related("registration").order_by("-seq")[:SNAPSHOT_BIDS])
    reg = registration_of(round_id, user)
    you = None
    if reg is not None:
        leader_rank = (Registration.objects.filter(pk=rnd.leader_id).values_list("priority_rank", flat=True).first()
                       if rnd.leader_id else None)
        proxy = ProxyBid.objects.filter(round_id=round_id, registration=reg, active=True).values_list("ceiling", flat=True).first()
        you = {
            "code": reg.code if reg.can_bid else None,
            "status": reg.status,
            "can_bid": reg.can_bid,
            "priority_rank": reg.priority_rank,
            "proxy_ceiling": proxy,
            "leading": rnd.leader_id == reg.pk,
            "next_amount": (rnd.starting_price if rnd.kind == Round.Kind.SELLOFF else
                            rules.min_valid_bid(rnd.starting_price, rnd.increment, rnd.current_price, reg.priority_rank, leader_rank)),
        }
    return {
        "type": "snapshot",
        "server_time": clock.now().isoformat(),
        "round": {
            "id": rnd.pk, "status": rnd.status, "kind": rnd.kind, "number": rnd.number,
            "current_price": rnd.current_price, "starting_price": rnd.starting_price, "increment": rnd.increment,
            "deposit": rnd.deposit, "starts_at": _iso(rnd.starts_at), "ends_at": _iso(rnd.ends_at),
            "scheduled_ends_at": _iso(rnd.scheduled_ends_at), "seq": rnd.seq, "bid_count": rnd.bid_count,
            "leader_code": rnd.leader_code or None, "proxy_bidding_enabled": rnd.proxy_bidding_enabled,
            "next_amount": (rnd.starting_price if rnd.current_price is None or rnd.kind == Round.Kind.SELLOFF
                            else rnd.current_price + rnd.increment),
        },
        "bids": [bid_event(b) for b in bids],
        "you": you,
    }


def bid_history(round_id: int, *, after_seq: int = 0, limit: int = 200) -> list[dict]:
    qs = Bid.objects.filter(round_id=round_id, seq__gt=after_seq).select_related("registration").order_by("seq")[:limit]
    return [bid_event(b) for b in qs]
