"""Hash-chained audit trail (ARCHITECTURE.md, Audit; A29: every bid and event kept).

`record()` must be called inside the transaction that makes the change, so the record commits
with it or not at all. The chain is serialised by a transaction-level lock.
"""

import hashlib
import json
from typing import Any

from django.db import connection, transaction

from auction_site import clock
from auction_site.models import AuditRecord

GENESIS = "0" * 64
_CHAIN_LOCK_KEY = 734_201_001  # pg_advisory_xact_lock key for the audit chain


def compute_hash(prev_hash: str, at_iso: str, actor: str, action: str, object_type: str, object_id: str, data: Any) -> str:
    payload = json.dumps(
        [prev_hash, at_iso, actor, action, object_type, object_id, data],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


def record(action: str, obj: Any = None, *, data: dict | None = None, actor: Any = None,
           object_type: str | None = None, object_id: Any = None) -> AuditRecord:
    """Append one audit record for a state change of `obj` (a model instance) or an explicit type/id."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record() must run inside the transaction that makes the change")
    if obj is not None:
        object_type = object_type or f"{obj._meta.app_label}.{obj._meta.model_name}"
        object_id = obj.pk if object_id is None else object_id
    actor_name = getattr(actor, "username", None) or (str(actor) if actor else "")
    clean = json.loads(json.dumps(data or {}, default=str, ensure_ascii=False))
    _lock_chain()
    last = AuditRecord.objects.order_by("-id").values_list("hash", flat=True).first()
    prev = last or GENESIS
    at = clock.now()
    at_iso = at.isoformat()
    digest = compute_hash(prev, at_iso, actor_name, action, object_type or "", str(object_id or ""), clean)
    return AuditRecord.objects.create(
        at=at, actor=actor_name, action=action, object_type=object_type or "",
        object_id=str(object_id or ""), data=clean, prev_hash=prev, hash=digest,
    )


def verify_chain() -> AuditRecord | None:
    """Recompute the chain; return the first record that does not match, or None if intact."""
    prev = GENESIS
    for rec in AuditRecord.objects.order_by("id").iterator(chunk_size=2000):
        expected = compute_hash(prev, rec.at.isoformat(), rec.actor, rec.action, rec.object_type, rec.object_id, rec.data)
        if rec.prev_hash != prev or rec.hash != expected:
            return rec
        prev = rec.hash
    return None
