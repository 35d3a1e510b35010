"""Hash-chained audit trail (ARCHITECTURE.md, Audit; A29: every bid and event kept).

`record()` must be called inside the transaction that makes the change, so the record commits
with it or not at all. The chain is serialised by a transaction-level lock.
"""

import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from django.db import connection, transaction

from auction_site import clock
from auction_site.db import Rows, columns_of, draw_ids_sql, insert_rows_sql
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


def record(action: str, obj: Any = None, *, chain: Any = None, data: dict | None = None, actor: Any = None,
           object_type: str | None = None, object_id: Any = None) -> AuditRecord:
    """Append one audit record for a state change of `obj` (a model instance) or an explicit type/id.

    `chain`: the aggregate whose hash chain the record joins (a model instance: the round, the
    registration, the valuation, the case account...); by default `obj` itself. The caller holds
    that aggregate's row lock, which serialises its chain."""
    with chain_step(ids={AuditRecord: 1}) as step:
        (pk, row), = step.append([{"action": action, "obj": obj, "data": data, "actor": actor,
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
    statements (SQL, params) of the transaction, sent along (the round's live state).
    Returns the records' ids.
    """
    with chain_step(ids={r.model: len(r.values) for r in rows} | {AuditRecord: len(entries)}) as step:
        return [pk for pk, _ in step.append(entries, rows, also)]


class ChainStep:
    """One step of the audit chain, opened by `chain_step()`: `first_rows` is what the caller's first
    statement returned; `append()` writes the records (and rows, and other statements) once."""

    def __init__(self, pg: Any):
        self.pg = pg  # the psycopg connection in pipeline mode (PostgreSQL), or None
        self.first_rows: list[tuple] = []
        self.last_hash: str | None = None
        self._cursors: dict[Any, Any] = {}  # model -> the cursor drawing the ids announced for it
        self._ids: dict[Any, list[int]] = {}

    def _draw(self, model: Any, count: int) -> list[int]:
        """`count` ids of the model's table, drawn under the chain lock (so id order is chain order)."""
        if model in self._cursors:
            self._ids[model] = [row[0] for row in self._cursors.pop(model).fetchall()]
        have = self._ids.setdefault(model, [])
        if len(have) < count:  # more rows than announced (proxy bids): one more round trip
            cur = psycopg.Cursor(self.pg)
            cur.execute(draw_ids_sql(model, count - len(have)))
            have.extend(row[0] for row in cur.fetchall())
        taken, self._ids[model] = have[:count], have[count:]
        return taken  # ids left over stay unused: a gap in the sequence, never a reuse

    def append(self, entries: list[dict], rows: Sequence[Rows] = (), also: Sequence[tuple[str, list]] = ()) -> list[tuple[int, tuple]]:
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

        pg = self.pg
        if pg is not None:
            row_ids = [self._draw(r.model, len(r.values)) for r in rows]
            record_ids = self._draw(AuditRecord, len(prepared))
            cur = psycopg.Cursor(pg)
            for r, ids in zip(rows, row_ids):
                if r.values:
                    cur.execute(insert_rows_sql(r.model, tuple(r.fields)), columns_of([(pk, *values) for pk, values in zip(ids, r.values)]))
            for sql, params in also:
                cur.execute(sql, params)
        else:  # SQLite (embedded mode) serialises writers itself
            row_ids = [[obj.pk for obj in r.model.objects.bulk_create([r.model(**dict(zip(r.fields, v))) for v in r.values])] for r in rows]
            with connection.cursor() as django_cur:
                for sql, params in also:
                    django_cur.execute(sql, params)
                if self.last_hash is None:  # read after this step's first write: SQLite then holds its write lock
                    django_cur.execute(_LAST_HASH_SQL)
                    found = django_cur.fetchone()
                    self.last_hash = found[0] if found else None
        prev = self.last_hash or GENESIS
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
        self.last_hash = prev
        if pg is not None:
            if records:
                cur.execute(insert_rows_sql(AuditRecord, _FIELDS),
                            columns_of([(pk, *values[:5], text, *values[6:]) for pk, (values, text) in zip(record_ids, records)]))
        else:
            record_ids = [obj.pk for obj in AuditRecord.objects.bulk_create([AuditRecord(None, *values) for values, _ in records])]
        return [(pk, values) for pk, (values, _) in zip(record_ids, records)]


@contextmanager
def chain_step(first: tuple[str, list] | None = None, *, ids: dict[Any, int] | None = None) -> Iterator[ChainStep]:
    """Open one step of the audit chain in the current transaction.

    On PostgreSQL the step is one pipeline (psycopg's pipeline mode) of two round trips: the caller's
    `first` statement (the bid engine's lock of the round row), the chain lock, the last hash and
    `ids` (expected rows per model: their ids are drawn at once) go in the first; `append()`'s inserts
    and statements, and any error of theirs, come back when the block ends. Statements run in the
    order sent, so the first statement's lock is taken before the chain lock, as everywhere else.
    On SQLite the first statement runs at once and `append()` reads the chain's head after its writes.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record() must run inside the transaction that makes the change")
    if connection.vendor != "postgresql":
        step = ChainStep(None)
        if first is not None:
            with connection.cursor() as cur:
                cur.execute(*first)
                step.first_rows = cur.fetchall()
        yield step
        return
    connection.ensure_connection()
    pg = connection.connection
    with pg.pipeline():
        step = ChainStep(pg)
        first_cur = None
        if first is not None:
            first_cur = psycopg.Cursor(pg)
            first_cur.execute(*first)
        psycopg.Cursor(pg).execute(f"SELECT pg_advisory_xact_lock({_CHAIN_LOCK_KEY})")
        hash_cur = psycopg.Cursor(pg)
        hash_cur.execute(_LAST_HASH_SQL)  # a statement of its own: its snapshot is taken once the lock is held
        for model, count in (ids or {}).items():
            if count > 0:
                step._cursors[model] = cur = psycopg.Cursor(pg)
                cur.execute(draw_ids_sql(model, count))
        if first_cur is not None:
            step.first_rows = first_cur.fetchall()  # one round trip for all of the above
        found = hash_cur.fetchall()
        step.last_hash = found[0][0] if found else None
        yield step


def verify_chain() -> AuditRecord | None:
    """Recompute the chain; return the first record that does not match, or None if intact."""
    prev = GENESIS
    for rec in AuditRecord.objects.order_by("id").iterator(chunk_size=2000):
        expected = compute_hash(prev, rec.at.isoformat(), rec.actor, rec.action, rec.object_type, rec.object_id, rec.data)
        if rec.prev_hash != prev or rec.hash != expected:
            return rec
        prev = rec.hash
    return None
