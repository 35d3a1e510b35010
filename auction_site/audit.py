"""Hash-chained audit trail (ARCHITECTURE.md, Audit; A29: every bid and event kept).

`record()` must be called inside the transaction that makes the change, so the record commits
with it or not at all. The chain is serialised by a transaction-level lock.
"""

import hashlib
import json
from typing import Any

from django.db import connection, transaction

from auction_site import clock
from auction_site.db import append_rows
from auction_site.models import AuditRecord

GENESIS = "0" * 64
_CHAIN_LOCK_KEY = 734_201_001  # pg_advisory_xact_lock key for the audit chain
_FIELDS = ("at", "actor", "action", "object_type", "object_id", "data", "prev_hash", "hash")


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
    (pk, row), = _append([{"action": action, "obj": obj, "data": data, "actor": actor,
                           "object_type": object_type, "object_id": object_id}])
    return AuditRecord(pk, *row)


def record_many(entries: list[dict]) -> list[int]:
    """Append several audit records, in order, in ONE chain step: the chain is locked once, the last
    hash read once, the hashes chained in memory and the records appended together (one COPY on PostgreSQL).

    Each entry holds the keyword arguments of `record()` (`action`, and optionally `obj`, `data`,
    `actor`, `object_type`, `object_id`). The result is the same chain `record()` called once per
    entry would write (one timestamp for the step), so `verify_chain()` checks it the same way.
    Returns the records' ids.
    """
    return [pk for pk, _ in _append(entries)]


def _append(entries: list[dict]) -> list[tuple[int, tuple]]:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record() must run inside the transaction that makes the change")
    if not entries:
        return []
    prepared = []
    for entry in entries:
        obj, object_type, object_id = entry.get("obj"), entry.get("object_type"), entry.get("object_id")
        if obj is not None:
            object_type = object_type or f"{obj._meta.app_label}.{obj._meta.model_name}"
            object_id = obj.pk if object_id is None else object_id
        actor = entry.get("actor")
        actor_name = getattr(actor, "username", None) or (str(actor) if actor else "")
        clean = json.loads(json.dumps(entry.get("data") or {}, default=str, ensure_ascii=False))
        prepared.append((actor_name, entry["action"], object_type or "", str(object_id or ""), clean))
    _lock_chain()
    with connection.cursor() as cur:
        cur.execute(f"SELECT hash FROM {AuditRecord._meta.db_table} ORDER BY id DESC LIMIT 1")
        found = cur.fetchone()
    last = found[0] if found else None
    prev = last or GENESIS
    at = clock.now()
    at_iso = at.isoformat()
    rows = []
    for actor_name, action, object_type, object_id, clean in prepared:
        digest = compute_hash(prev, at_iso, actor_name, action, object_type, object_id, clean)
        rows.append((at, actor_name, action, object_type, object_id, clean, prev, digest))
        prev = digest
    # One COPY on PostgreSQL; the ids come from the sequence in row order, which is chain order.
    return list(zip(append_rows(AuditRecord, _FIELDS, rows), rows))


def verify_chain() -> AuditRecord | None:
    """Recompute the chain; return the first record that does not match, or None if intact."""
    prev = GENESIS
    for rec in AuditRecord.objects.order_by("id").iterator(chunk_size=2000):
        expected = compute_hash(prev, rec.at.isoformat(), rec.actor, rec.action, rec.object_type, rec.object_id, rec.data)
        if rec.prev_hash != prev or rec.hash != expected:
            return rec
        prev = rec.hash
    return None
