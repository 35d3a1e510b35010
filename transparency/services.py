"""The writes of transparency: a round's signed transcript at the end of bidding, and anchors of the
audit chain heads (hourly and at each round close). Both are append-only."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from auction_site import audit, clock
from lots.models import Round
from transparency import anchors, merkle, signing
from transparency.models import Anchor, AnchoredHead, Transcript
from transparency.selectors import round_leaves

logger = logging.getLogger("transparency")

BIDDING_ENDED = {"closed", "sold", "failed"}  # the first of these ends the transcript (A20/A22/A26)


def build_transcript(round_id: int) -> Transcript | None:
    """Sign the round's transcript once bidding has ended; idempotent (the first one stands)."""
    existing = Transcript.objects.filter(round_id=round_id).first()
    if existing is not None:
        return existing
    rnd = Round.objects.get(pk=round_id)
    leaves, closed_at = round_leaves(rnd)
    if closed_at is None:
        return None  # bidding has not ended
    root = merkle.root_of(leaves)
    statement = signing.round_statement(round_id=round_id, leaf_count=len(leaves), root=root, closed_at=closed_at)
    try:
        with transaction.atomic():
            return Transcript.objects.create(
                round_id=round_id, leaf_count=len(leaves), root=root, leaf_hashes=[merkle.leaf_hash(x) for x in leaves],
                closed_at=datetime.fromisoformat(closed_at), signed_at=clock.now(), signature=signing.sign(statement),
                key_fingerprint=signing.fingerprint())
    except IntegrityError:  # another process signed it first
        return Transcript.objects.get(round_id=round_id)


def anchor_heads(*, reason: str, now: datetime | None = None) -> Anchor | None:
    """Sign the heads of every audit chain that moved since the last anchor and write them to object
    storage under Object Lock. None when nothing moved."""
    now = now or clock.now()
    with transaction.atomic():
        # One anchor at a time (the previous root is part of what each one signs): a transaction-level
        # advisory lock taken only by anchoring, never by the writes of the site.
        _anchor_lock()
        from_db = {h.chain: (h.position, h.hash) for h in AnchoredHead.objects.all()}
        moved = sorted((chain, pos, digest) for chain, (pos, digest) in audit.heads().items() if from_db.get(chain) != (pos, digest))
        if not moved:
            return None
        last = Anchor.objects.order_by("-id").first()
        previous_root = last.root if last else ""
        leaves = [{"chain": chain, "position": pos, "hash": digest} for chain, pos, digest in moved]
        root = merkle.root_of(leaves)
        at = now.isoformat()
        statement = signing.anchor_statement(at=at, root=root, previous_root=previous_root, chain_count=len(moved))
        signature = signing.sign(statement)
        number = Anchor.objects.count() + 1  # under the anchor lock: keys sort in the order anchors chain
        key = f"{anchors.PREFIX}{number:012d}-{now.strftime('%Y%m%dT%H%M%S')}-{reason.replace(':', '-')}.json"
        anchors.write(key, {"statement": statement, "signature": signature, "public_key": signing.public_key_b64(),
                            "heads": leaves}, now=now)
        for chain, pos, digest in moved:
            AnchoredHead.objects.update_or_create(chain=chain, defaults={"position": pos, "hash": digest})
        return Anchor.objects.create(at=now, reason=reason, object_key=key, root=root, previous_root=previous_root,
                                     chain_count=len(moved), signature=signature, key_fingerprint=signing.fingerprint())


def _anchor_lock() -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext('transparency.anchor'))")


def on_round_status_changed(sender: Any, *, round_id: int, status: str, **_: Any) -> None:
    """Receiver of lots.signals.round_status_changed (after commit): when bidding ends, the transcript
    is signed and the chain heads anchored. A failure is logged; the clock's tick repairs it."""
    if status not in BIDDING_ENDED:
        return
    try:
        build_transcript(round_id)
        anchor_heads(reason=f"round:{round_id}")
    except Exception:
        logger.exception("transcript or anchor of round %s failed; the clock will retry", round_id)
