"""Checks anyone can run: a round against its signed transcript, the audit chains against the anchors
in object storage. Each answer names what differs (None when everything matches)."""

from __future__ import annotations

import base64

from auction_site.models import AuditRecord
from lots.models import Round
from transparency import anchors, merkle, signing
from transparency.models import Transcript
from transparency.selectors import round_leaves


def verify_round(round_id: int) -> str | None:
    t = Transcript.objects.filter(round_id=round_id).first()
    if t is None:
        return f"round {round_id} has no signed transcript"
    statement = signing.round_statement(round_id=round_id, leaf_count=t.leaf_count, root=t.root, closed_at=t.closed_at.isoformat())
    if not signing.verify(statement, t.signature):
        return f"round {round_id}: the transcript's signature does not verify with the platform key"
    leaves, _ = round_leaves(Round.objects.get(pk=round_id))
    hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
    for i, (now, then) in enumerate(zip(hashes, t.leaf_hashes, strict=False)):
        if now != then:
            return f"round {round_id}: event seq {leaves[i]['seq']} ({leaves[i]['kind']}) differs from the signed transcript"
    if len(hashes) != t.leaf_count:
        return f"round {round_id}: {len(hashes)} events now, {t.leaf_count} in the signed transcript"
    if merkle.root_of(leaves) != t.root:
        return f"round {round_id}: the Merkle root differs from the signed one"
    return None


def verify_anchors() -> tuple[str | None, int]:
    """Every head listed in every anchor in object storage must be the hash the database holds at that
    place of that chain. Rewriting history and recomputing every later hash changes those hashes."""
    checked = 0
    previous = ""
    for doc in anchors.read_all():
        statement, heads = doc["statement"], doc["heads"]
        public = base64.b64decode(doc["public_key"])
        if not signing.verify(statement, doc["signature"], public):
            return f"anchor {doc['key']}: the signature does not verify", checked
        if merkle.root_of(heads) != statement["root"]:
            return f"anchor {doc['key']}: its heads do not make its signed root", checked
        if statement["previous_root"] != previous:
            return f"anchor {doc['key']}: it does not follow the anchor before it", checked
        previous = statement["root"]
        wanted = {(h["chain"], h["position"]): h["hash"] for h in heads}
        found = {(c, p): (pk, digest) for c, p, pk, digest in AuditRecord.objects.filter(
            chain__in={c for c, _ in wanted}, position__in={p for _, p in wanted}).values_list("chain", "position", "pk", "hash")}
        for (chain, position), digest in wanted.items():
            have = found.get((chain, position))
            if have is None:
                return f"anchor {doc['key']}: record {position} of chain {chain} is missing from the database", checked
            if have[1] != digest:
                return (f"anchor {doc['key']}: record #{have[0]} (position {position} of chain {chain}) differs from the "
                        f"anchored hash — the history was rewritten"), checked
            checked += 1
    return None, checked
