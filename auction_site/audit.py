"""Hash-chained audit trail (ARCHITECTURE.md, Audit; A29: every bid and event kept).

`record()` must be called inside the transaction that makes the change, so the record commits
with it or not at all. The chain is serialised by a transaction-level lock.
"""

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction

from auction_site import clock
from auction_site.db import Rows, copy_rows, draw_ids_sql
from auction_site.models import AuditRecord

GENESIS = "0" * 64
_CHAIN_LOCK_KEY = 734_201_001  # pg_advisory_xact_lock key for the audit chain
_LAST_HASH_SQL = f"SELECT hash FROM {AuditRecord._meta.db_table} ORDER BY id DESC LIMIT 1"
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


def record(action: str, obj: Any = None, *, data: dict | None = None, actor: Any = None,
           object_type: str | None = None, object_id: Any = None) -> AuditRecord:
    """Append one audit record for a state change of `obj` (a model instance) or an explicit type/id."""
    (pk, row), = _append([{"action": action, "obj": obj, "data": data, "actor": actor,
                           "object_type": object_type, "object_id": object_id}])
    return AuditRecord(pk, *row)


def record_many(entries: list[dict], *, rows: Sequence[Rows] = (), also: Sequence[tuple[str, list]] = ()) -> list[int]:
    """Append several audit records, in order, in ONE chain step: the chain is locked once, the last
    hash read once, the hashes chained in memory and the records appended together.

    Each entry holds the keyword arguments of `record()` (`action`, and optionally `obj`, `data`,
    `actor`, `object_type`, `object_id`). The result is the same chain `record()` called once per
    entry would write (one timestamp for the step), so `verify_chain()` checks it the same way.

    `rows`: rows of other append-only tables written in the same step (a batch of bids); an entry
    with `"row": (i, j)` is about row j of rows[i] and takes its id as object_id. `also`: other
    statements (SQL, params) of the transaction, sent along (the round's live state). On PostgreSQL
    the chain lock, the last hash, every id and `also` take one round trip, then one COPY per table.
    Returns the records' ids.
    """
    return [pk for pk, _ in _append(entries, rows, also)]


def _append(entries: list[dict], rows: Sequence[Rows] = (), also: Sequence[tuple[str, list]] = ()) -> list[tuple[int, tuple]]:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record() must run inside the transaction that makes the change")
    if not entries and not rows and not also:
        return []
    prepared = []
    for entry in entries:
        obj, object_type, object_id = entry.get("obj"), entry.get("object_type"), entry.get("object_id")
        if obj is not None:
            object_type = object_type or f"{obj._meta.app_label}.{obj._meta.model_name}"
            object_id = obj.pk if object_id is None else object_id
        actor = entry.get("actor")
        actor_name = getattr(actor, "username", None) or (str(actor) if actor else "")
        text = json.dumps(entry.get("data") or {}, default=str, ensure_ascii=False)
        prepared.append((actor_name, entry["action"], object_type or "", object_id, json.loads(text), text, entry.get("row")))

    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cur:
        if postgres:
            # One round trip: the chain lock, then (each statement sees what committed before it ran)
            # the last hash and the ids, drawn under the lock in row order, so id order is chain order.
            cur.execute("; ".join([f"SELECT pg_advisory_xact_lock({_CHAIN_LOCK_KEY})", _LAST_HASH_SQL,
                                   *(draw_ids_sql(r.model, len(r.values)) for r in rows), draw_ids_sql(AuditRecord, len(prepared)),
                                   *(sql for sql, _ in also)]), [p for _, params in also for p in params] or None)
            results = [cur.fetchall()]
            while cur.nextset():
                results.append(cur.fetchall() if cur.description else [])
            last = results[1][0][0] if results[1] else None
            row_ids = [[found[0] for found in result] for result in results[2:3 + len(rows)]]
            record_ids = row_ids.pop()
            for r, ids in zip(rows, row_ids):
                copy_rows(cur, r.model, r.fields, r.values, ids)
        else:  # SQLite (embedded mode) serialises writers itself
            row_ids = [[obj.pk for obj in r.model.objects.bulk_create([r.model(**dict(zip(r.fields, v))) for v in r.values])] for r in rows]
            for sql, params in also:
                cur.execute(sql, params)
            cur.execute(_LAST_HASH_SQL)
            found = cur.fetchone()
            last = found[0] if found else None
        prev = last or GENESIS
        at = clock.now()
        at_iso = at.isoformat()
        records = []
        for actor_name, action, object_type, object_id, clean, text, row in prepared:
            if row is not None:
                object_id = row_ids[row[0]][row[1]]
            object_id = str(object_id or "")
            digest = compute_hash(prev, at_iso, actor_name, action, object_type, object_id, clean)
            records.append(((at, actor_name, action, object_type, object_id, clean, prev, digest), text))
            prev = digest
        if postgres:
            copy_rows(cur, AuditRecord, _FIELDS, [(*values[:5], text, *values[6:]) for values, text in records], record_ids)
        else:
            record_ids = [obj.pk for obj in AuditRecord.objects.bulk_create([AuditRecord(None, *values) for values, _ in records])]
    return [(pk, values) for pk, (values, _) in zip(record_ids, records)]


def verify_chain() -> AuditRecord | None:
    """Recompute the chain; return the first record that does not match, or None if intact."""
    prev = GENESIS
    for rec in AuditRecord.objects.order_by("id").iterator(chunk_size=2000):
        expected = compute_hash(prev, rec.at.isoformat(), rec.actor, rec.action, rec.object_type, rec.object_id, rec.data)
        if rec.prev_hash != prev or rec.hash != expected:
            return rec
        prev = rec.hash
    return None
