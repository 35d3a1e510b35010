"""Reads of transparency: a round's leaves, its public transcript, a bidder's inclusion proofs."""

from __future__ import annotations

from typing import Any

from auction_site import audit
from auction_site.models import AuditRecord
from bidding.models import Bid
from lots.models import Round
from transparency import merkle, signing
from transparency.models import Anchor, Transcript

ENDS_BIDDING = {"closed", "sold", "failed"}


def _iso(value) -> str:
    return value.isoformat()


def status_events(rnd: Round) -> list[AuditRecord]:
    """The round's status changes, from its own audit chain (each one carries the round's seq)."""
    return [r for r in AuditRecord.objects.filter(chain=audit.chain_key(rnd), action__startswith="round.").order_by("position")
            if isinstance(r.data, dict) and "to" in r.data and "seq" in r.data]


def round_leaves(rnd: Round) -> tuple[list[dict], str | None]:
    """Every bid and status event up to the end of bidding, in seq order, and when bidding ended
    (None while it has not)."""
    statuses = status_events(rnd)
    end = next((r for r in statuses if r.data["to"] in ENDS_BIDDING), None)
    if end is None:
        return [], None
    last_seq = end.data["seq"]
    leaves = [merkle.status_leaf(seq=r.data["seq"], status=r.data["to"], at=_iso(r.at)) for r in statuses if r.data["seq"] <= last_seq]
    for bid in Bid.objects.filter(round=rnd, seq__lte=last_seq).select_related("registration").order_by("seq"):
        leaves.append(merkle.bid_leaf(seq=bid.seq, code=bid.registration.code, amount=bid.amount, at=_iso(bid.placed_at),
                                      priority=bid.is_priority))
    leaves.sort(key=lambda leaf: leaf["seq"])
    return leaves, _iso(end.at)


def public_key() -> dict:
    return {"algorithm": "Ed25519", "public_key": signing.public_key_b64(), "fingerprint": signing.fingerprint()}


def transcript_of(round_id: int) -> Transcript | None:
    return Transcript.objects.filter(round_id=round_id).first()


def public_transcript(t: Transcript) -> dict[str, Any]:
    """What anyone may fetch: the signed statement, the key, and the status leaves (the bid leaves are
    the public bid history, which the verifier reads from the bids endpoint)."""
    rnd = t.round
    leaves, _ = round_leaves(rnd)
    return {
        "round": t.round_id, "leaf_count": t.leaf_count, "root": t.root, "closed_at": _iso(t.closed_at),
        "signed_at": _iso(t.signed_at), "signature": t.signature, "key_fingerprint": t.key_fingerprint,
        "statement": signing.round_statement(round_id=t.round_id, leaf_count=t.leaf_count, root=t.root, closed_at=_iso(t.closed_at)),
        "status_events": [leaf for leaf in leaves if leaf["kind"] == "status"],
        "last_seq": max((leaf["seq"] for leaf in leaves), default=0),
        "leaf_hashes": t.leaf_hashes,  # as signed: lets a verifier name the event that differs
        **public_key(),
    }


def inclusion_proofs(t: Transcript, *, registration_id: int) -> list[dict]:
    """An inclusion proof for each bid of one registration: "my bid is in the record, at this seq"."""
    leaves, _ = round_leaves(t.round)
    tree = merkle.tree(leaves)
    mine = set(Bid.objects.filter(round_id=t.round_id, registration_id=registration_id).values_list("seq", flat=True))
    return [{"seq": leaf["seq"], "leaf": leaf, "index": i, "proof": merkle.inclusion_proof(tree, i)}
            for i, leaf in enumerate(leaves, start=1) if leaf["kind"] == "bid" and leaf["seq"] in mine]


def recent_anchors(limit: int = 50) -> list[Anchor]:
    return list(Anchor.objects.order_by("-at", "-id")[:limit])


def last_root_before(at) -> tuple[int, str] | None:
    """(round id, transcript root) of the last round closed strictly before `at` (the lottery's beacon, B16)."""
    t = Transcript.objects.filter(closed_at__lt=at).order_by("-closed_at", "-round_id").first()
    return (t.round_id, t.root) if t is not None else None
