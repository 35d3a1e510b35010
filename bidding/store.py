"""Where bids are written: one locked transaction of the bid engine on one round (ARCHITECTURE.md, Bids).

`locked_round(round_id, expected=n)` opens the transaction's writes on PostgreSQL as ONE psycopg
pipeline of two round trips before the COMMIT:

1. the round's lock (lots.rounds.lock_sql: FOR NO KEY UPDATE of the round row only), the leading
   registration, the head of the round's audit chain, and ids for the bids and audit records the
   batch may write;
2. the bids (one INSERT from array parameters), their audit records in the round's chain, and the
   live state (lots.rounds.live_state_sql).

On SQLite (the embedded mode) the same statements run one after another. Bids are immutable: this
module only ever inserts them (A29).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
from django.db import connection, transaction

from auction_site import audit
from auction_site.db import columns_of, draw_ids_sql, insert_rows_sql
from auction_site.errors import NotFound
from bidding.models import Bid
from escrow.models import Registration
from lots import rounds

_REGISTRATION = Registration._meta.db_table
_BID_FIELDS = ("round_id", "registration_id", "seq", "amount", "placed_at", "is_priority", "is_proxy")
_LEADER_SQL = (f"SELECT id, bidder_id, status, code, priority_rank FROM {_REGISTRATION}"
               f" WHERE id = (SELECT leader_id FROM {rounds.TABLE} WHERE id = %s)")


@dataclass
class Bidder:
    """What the engine reads of a registration: its id, bidder, status, code and priority rank."""

    id: int
    bidder_id: int
    status: str
    code: str | None
    priority_rank: int | None

    @classmethod
    def of(cls, row: tuple | None) -> Bidder | None:
        return cls(*row) if row else None


@dataclass
class LiveRound:
    """The round as read under its lock (lots.rounds.LOCK_FIELDS) and moved by the batch's bids."""

    id: int
    lot_id: int
    status: str
    kind: str
    starting_price: int
    increment: int
    starts_at: datetime
    ends_at: datetime
    current_price: int | None
    seq: int
    bid_count: int
    leader_id: int | None
    proxy_bidding_enabled: bool
    balance_due_days: int
    leader: Bidder | None = None
    closed_at: datetime | None = None  # set when a sell-off is bought in this batch


def _aware(value: Any) -> datetime:
    """PostgreSQL returns aware datetimes; SQLite naive UTC ones, or text."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


@dataclass
class _NewBid:
    values: tuple  # _BID_FIELDS
    entry: audit.Entry  # its audit record; object_id set once the bid has its id


@dataclass
class LockedRound:
    """The engine's open transaction on one round: `round` is live; `add_bid` and `note` collect the
    writes, `flush` writes them all (bids, audit records, live state) in one go."""

    round: LiveRound
    _pg: Any
    _step: audit.ChainStep
    _bid_ids: list[int] = field(default_factory=list)
    _bids: list[_NewBid] = field(default_factory=list)
    _notes: list[audit.Entry] = field(default_factory=list)

    def add_bid(self, registration: Bidder, amount: int, at: datetime, *, priority: bool, proxy: bool, entry: audit.Entry) -> None:
        rnd = self.round
        self._bids.append(_NewBid((rnd.id, registration.id, rnd.seq, amount, at, priority, proxy), entry))

    def note(self, entry: audit.Entry) -> None:
        """An audit record of the round's chain written with the bids (after them)."""
        self._notes.append(entry)

    def flush(self) -> None:
        """Write what the batch collected: bids, then their audit records and the notes, then the live state."""
        rnd = self.round
        if not self._bids and not self._notes:
            return
        live = rounds.live_state_sql(rnd.id, current_price=rnd.current_price, leader_id=rnd.leader_id,
                                     leader_code=rnd.leader.code if rnd.leader else "", seq=rnd.seq, bid_count=rnd.bid_count,
                                     ends_at=rnd.ends_at)
        if self._pg is not None:
            need = len(self._bids) - len(self._bid_ids)
            if need > 0:  # more bids than announced (proxy bids): one more round trip
                cur = psycopg.Cursor(self._pg)
                cur.execute(draw_ids_sql(Bid, need))
                self._bid_ids.extend(row[0] for row in cur.fetchall())
            ids = self._bid_ids[:len(self._bids)]
            if self._bids:
                psycopg.Cursor(self._pg).execute(insert_rows_sql(Bid, _BID_FIELDS),
                                                 columns_of([(pk, *b.values) for pk, b in zip(ids, self._bids)]))
        else:
            made = Bid.objects.bulk_create([Bid(**dict(zip(_BID_FIELDS, b.values))) for b in self._bids])
            ids = [b.pk for b in made]
        for pk, b in zip(ids, self._bids):
            b.entry.object_id = str(pk)
        self._step.append([b.entry for b in self._bids] + self._notes)
        if self._pg is not None:
            psycopg.Cursor(self._pg).execute(*live)
        else:
            with connection.cursor() as cur:
                cur.execute(*live)
        self._bids, self._notes = [], []


@contextmanager
def locked_round(round_id: int, *, expected: int, pipelined: bool = True) -> Iterator[LockedRound]:
    """Lock the round and open its writes (see the module docstring); `expected`: bids the batch may
    write (their ids, and those of their audit records, are drawn with the lock). Runs inside the
    caller's transaction.atomic(); raises NotFound when the round does not exist.

    Inside a pipelined block only reads may go through the ORM (a write's row count is not known
    until the pipeline syncs): callers that write other rows under the lock (a proxy ceiling) pass
    `pipelined=False`, and ORM writes after the bids (a sell-off's sale) come after the block."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("locked_round runs inside transaction.atomic()")
    key = f"lots.round:{round_id}"
    if connection.vendor != "postgresql" or not pipelined:
        with connection.cursor() as cur:
            cur.execute(*rounds.lock_sql(round_id))
            row = cur.fetchone()
            if row is None:
                raise NotFound("拍卖轮次不存在 / no such round")
            cur.execute(_LEADER_SQL, [round_id])
            leader = cur.fetchone()
        with audit.chain_step(key) as step:
            yield _open(row, leader, None, step, [])
        return
    connection.ensure_connection()
    pg = connection.connection
    # The statements go straight to psycopg: its errors reach the caller as Django's (IntegrityError...).
    with connection.wrap_database_errors, pg.pipeline():
        lock_cur, leader_cur, ids_cur = psycopg.Cursor(pg), psycopg.Cursor(pg), psycopg.Cursor(pg)
        lock_cur.execute(*rounds.lock_sql(round_id))
        leader_cur.execute(_LEADER_SQL, [round_id])
        with audit.chain_step(key, pg, expected=expected + 1) as step:
            if expected > 0:
                ids_cur.execute(draw_ids_sql(Bid, expected))
            row = lock_cur.fetchone()  # one round trip for all of the above
            if row is None:
                raise NotFound("拍卖轮次不存在 / no such round")
            bid_ids = [r[0] for r in ids_cur.fetchall()] if expected > 0 else []
            yield _open(row, leader_cur.fetchone(), pg, step, bid_ids)


def _open(row: tuple, leader: tuple | None, pg: Any, step: audit.ChainStep, bid_ids: list[int]) -> LockedRound:
    live = LiveRound(**dict(zip(rounds.LOCK_FIELDS, row)))
    live.starts_at, live.ends_at = _aware(live.starts_at), _aware(live.ends_at)
    live.leader = Bidder.of(leader)
    return LockedRound(live, pg, step, bid_ids)
