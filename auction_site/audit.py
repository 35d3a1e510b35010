"""Hash-chained audit trail, one chain per aggregate (ARCHITECTURE.md, Audit; A29: every bid and event kept).

Every aggregate — a round, a registration with its deposit, a valuation, a case account, a lot, an
account — has its OWN chain: each record holds its chain's key, its position in the chain (1, 2,
...) and the hash of the record before it in that chain. Nothing is shared between chains, so
there is no site-wide lock: a chain is serialised by the row lock the service already holds on its
aggregate (the round row for bids and status changes, the registration row for a deposit...), and a
unique (chain, position) index makes a fork impossible even for a caller that forgot the lock (the
second writer fails instead of branching the chain).

`record()` must be called inside the transaction that makes the change, so the record commits with
it or not at all. `verify_chains()` recomputes every chain; `heads()` lists each chain's last record,
what the transparency work signs and anchors outside the database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from django.db import connection, transaction

from auction_site import clock
from auction_site.db import columns_of, draw_ids_sql, insert_row_sql, insert_rows_sql
from auction_site.models import AuditRecord

GENESIS = "0" * 64
_TABLE = TABLE = AuditRecord._meta.db_table
_HEAD_SQL = f"SELECT position, hash FROM {_TABLE} WHERE chain = %s ORDER BY position DESC LIMIT 1"
_FIELDS = ("chain", "position", "at", "actor", "action", "object_type", "object_id", "data", "prev_hash", "hash")


def chain_key(aggregate: Any) -> str:
    """The key of an aggregate's chain: `<app>.<model>:<pk>` of a model instance, or a ready string."""
    if isinstance(aggregate, str):
        return aggregate
    if aggregate is None or getattr(aggregate, "pk", None) is None:
        raise ValueError("an audit record needs the (saved) aggregate whose chain it joins")
    return f"{aggregate._meta.app_label}.{aggregate._meta.model_name}:{aggregate.pk}"


def compute_hash(chain: str, position: int, prev_hash: str, at_iso: str, actor: str, action: str, object_type: str,
                 object_id: str, data: Any) -> str:
    payload = json.dumps(
        [chain, position, prev_hash, at_iso, actor, action, object_type, object_id, data],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass
class Entry:
    """One record to append: what happened (`action`) to which object, by whom, with what data."""

    action: str
    object_type: str
    object_id: str
    actor: str = ""
    data: Any = None


def entry(action: str, obj: Any = None, *, data: dict | None = None, actor: Any = None,
          object_type: str | None = None, object_id: Any = None) -> Entry:
    if obj is not None:
        object_type = object_type or f"{obj._meta.app_label}.{obj._meta.model_name}"
        object_id = obj.pk if object_id is None else object_id
    actor_name = getattr(actor, "username", None) or (str(actor) if actor else "")
    return Entry(action, object_type or "", "" if object_id is None else str(object_id), actor_name, data)


def record(action: str, obj: Any = None, *, chain: Any = None, data: dict | None = None, actor: Any = None,
           object_type: str | None = None, object_id: Any = None) -> AuditRecord:
    """Append one audit record for a state change of `obj` (a model instance) or an explicit type/id.

    `chain`: the aggregate whose hash chain the record joins (a model instance: the round, the
    registration, the valuation, the case account...); by default `obj` itself, or for a record named
    by type and id, the chain `<object_type>:<object_id>`. The caller holds that aggregate's row lock,
    which serialises its chain."""
    if chain is None and obj is None and object_type:
        chain = f"{object_type}:{object_id}"
    key = chain_key(chain if chain is not None else obj)
    with chain_step(key) as step:
        (rec,) = step.append([entry(action, obj, data=data, actor=actor, object_type=object_type, object_id=object_id)])
    return rec


class ChainStep:
    """Appends to ONE chain in the current transaction (opened by `chain_step()`).

    On PostgreSQL inside a psycopg pipeline (the bid engine's), the head of the chain and the ids of
    the records are read in the caller's first round trip — by the caller itself (`head`, `ids`), or
    here — and the records written in its second (`insert_sql` hands the INSERT to the caller, who
    sends it with its other writes as one statement)."""

    def __init__(self, key: str, pg: Any = None, *, expected: int = 0, head: tuple[int, str] | None = None,
                 ids: list[int] | None = None):
        self.key = key
        self.pg = pg  # the psycopg connection in pipeline mode, or None (plain statements)
        self._head_cur = self._ids_cur = None
        self._ids: list[int] = list(ids or [])
        self.position: int | None = None
        self.last_hash: str | None = None
        if head is not None:
            self.position, self.last_hash = head
        elif pg is not None:
            self._head_cur = psycopg.Cursor(pg)
            self._head_cur.execute(_HEAD_SQL, [key])  # after the caller's lock: its snapshot sees the committed head
            if expected > 0:
                self._ids_cur = psycopg.Cursor(pg)
                self._ids_cur.execute(draw_ids_sql(AuditRecord, expected))

    def _read_head(self) -> None:
        if self.position is not None:
            return
        if self._head_cur is not None:
            found = self._head_cur.fetchall()
            if self._ids_cur is not None:
                self._ids = [row[0] for row in self._ids_cur.fetchall()]
        else:
            with connection.cursor() as cur:
                cur.execute(_HEAD_SQL, [self.key])
                found = cur.fetchall()
        self.position, self.last_hash = (found[0][0], found[0][1]) if found else (0, GENESIS)

    def _draw(self, count: int) -> list[int]:
        if len(self._ids) < count:  # more records than announced: one more round trip
            cur = psycopg.Cursor(self.pg)
            cur.execute(draw_ids_sql(AuditRecord, count - len(self._ids)))
            self._ids.extend(row[0] for row in cur.fetchall())
        taken, self._ids = self._ids[:count], self._ids[count:]
        return taken  # ids left over stay unused: a gap in the id sequence, never in a chain

    def _chain(self, entries: Sequence[Entry]) -> list[tuple]:
        """The entries chained after the head, in order, all at one instant: one value tuple per
        record (_FIELDS, `data` as its JSON text), the head moved past them."""
        self._read_head()
        at = clock.now()
        at_iso = at.isoformat()
        values = []
        position, prev = self.position, self.last_hash
        for e in entries:
            text = json.dumps(e.data or {}, default=str, ensure_ascii=False)
            position += 1
            digest = compute_hash(self.key, position, prev, at_iso, e.actor, e.action, e.object_type, e.object_id, json.loads(text))
            values.append((self.key, position, at, e.actor, e.action, e.object_type, e.object_id, text, prev, digest))
            prev = digest
        self.position, self.last_hash = position, prev
        return values

    def rows(self, entries: Sequence[Entry]) -> list[tuple]:
        """The entries' records chained after the head, with their ids (the order of
        `insert_rows_sql()`'s columns), for the caller to write; the chain's head moves past them."""
        values = self._chain(entries)
        return [(pk, *v) for pk, v in zip(self._draw(len(values)), values)]

    def insert_sql(self, entries: Sequence[Entry]) -> tuple[str, list]:
        """The INSERT of the entries' records (PostgreSQL, array parameters), for the caller to send
        with its own writes; the chain's head moves past them."""
        rows = self.rows(entries)
        if len(rows) == 1:
            return insert_row_sql(AuditRecord, _FIELDS), list(rows[0])
        return insert_rows_sql(AuditRecord, _FIELDS), columns_of(rows)

    def append(self, entries: Sequence[Entry]) -> list[AuditRecord]:
        """Chain the entries after the head, in order, all at one instant, and write them."""
        if not entries:
            return []
        values = self._chain(entries)
        rows = [AuditRecord(chain=c, position=p, at=at, actor=actor, action=action, object_type=ot, object_id=oid,
                            data=json.loads(text), prev_hash=prev, hash=digest)
                for c, p, at, actor, action, ot, oid, text, prev, digest in values]
        if self.pg is not None:
            ids = self._draw(len(rows))
            psycopg.Cursor(self.pg).execute(insert_rows_sql(AuditRecord, _FIELDS), columns_of([(pk, *v) for pk, v in zip(ids, values)]))
            for pk, r in zip(ids, rows):
                r.pk = pk
        else:
            rows = AuditRecord.objects.bulk_create(rows)
        return rows


def insert_records_sql() -> str:
    """The INSERT of records from `ChainStep.rows` (of one chain or several), array parameters by column."""
    return insert_rows_sql(AuditRecord, _FIELDS)


@contextmanager
def chain_step(key: str, pg: Any = None, *, expected: int = 0, head: tuple[int, str] | None = None,
               ids: list[int] | None = None) -> Iterator[ChainStep]:
    """Open one step of the chain `key` in the current transaction (see ChainStep). `pg`: the
    psycopg connection of an open pipeline whose earlier statements took the aggregate's lock;
    `head` (position, hash) and `ids`: the chain's head and record ids, when the caller read them."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record() must run inside the transaction that makes the change")
    postgres = connection.vendor == "postgresql"
    yield ChainStep(key, pg if postgres else None, expected=expected, head=head if postgres else None, ids=ids)


# ----------------------------------------------------------------------------------------------- reads


def chain_of(aggregate: Any) -> list[AuditRecord]:
    """Every record of one aggregate's chain, in order."""
    return list(AuditRecord.objects.filter(chain=chain_key(aggregate)).order_by("position"))


def heads() -> dict[str, tuple[int, str]]:
    """Each chain's last position and hash: what an anchor signs."""
    rows = (AuditRecord.objects.order_by("chain", "-position").distinct("chain").values_list("chain", "position", "hash")
            if connection.vendor == "postgresql" else _heads_portable())
    return {chain: (position, digest) for chain, position, digest in rows}


def _heads_portable() -> list[tuple[str, int, str]]:
    last: dict[str, tuple[str, int, str]] = {}
    for chain, position, digest in AuditRecord.objects.order_by("chain", "position").values_list("chain", "position", "hash").iterator():
        last[chain] = (chain, position, digest)
    return list(last.values())


def expected_hash(rec: AuditRecord) -> str:
    return compute_hash(rec.chain, rec.position, rec.prev_hash, rec.at.isoformat(), rec.actor, rec.action, rec.object_type,
                        rec.object_id, rec.data)


def verify_chains(chain: str | None = None) -> AuditRecord | None:
    """Recompute every chain (or one); return the first record that does not match, or None if intact.

    A record matches when its position follows the one before in its chain (1 first), it holds that
    record's hash, and its own hash is the hash of its contents."""
    qs = AuditRecord.objects.order_by("chain", "position")
    if chain is not None:
        qs = qs.filter(chain=chain)
    current, prev, position = None, GENESIS, 0
    for rec in qs.iterator(chunk_size=5000):
        if rec.chain != current:
            current, prev, position = rec.chain, GENESIS, 0
        position += 1
        if rec.position != position or rec.prev_hash != prev or rec.hash != expected_hash(rec):
            return rec
        prev = rec.hash
    return None



