"""Where bids are written: one locked transaction of the bid engine on one round (ARCHITECTURE.md, Bids).

`locked_round(round_id, expected=n)` opens the transaction's writes on PostgreSQL as ONE psycopg
pipeline of two round trips before the COMMIT:

1. the round's lock (lots.rounds.lock_sql: FOR NO KEY UPDATE of the round row only), then in one
   more statement the leading registration, the head of the round's audit chain, and ids for the
   bids and audit records the batch may write;
2. ONE statement writing the bids (an INSERT from array parameters), their audit records in the
   round's chain (the same) and the live state (lots.rounds.live_state_sql), followed, when nothing
   else is written in the transaction, by its COMMIT.

Every statement is prepared once per connection (psycopg's `prepare=True`): a bid parses and plans
nothing.

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
from django.utils import timezone

from accounts.models import BarredIdentity, User
from accounts.rules import is_adult_on
from auction_site import audit, clock
from auction_site.db import columns_of, draw_ids_sql, insert_row_sql, insert_rows_sql
from auction_site.errors import NotFound
from bidding.models import Bid
from escrow.models import Registration
from escrow.rules import BidderFacts
from lots import rounds
from lots.models import CaseParty, Lot

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


# ------------------------------------------------------------------------------ the read before the lock

_USER = User._meta.db_table
_WHITESPACE = "E' \\t\\n\\r\\f\\v'"
# escrow.rules.check_bidder_eligible's facts (A24, A34) in SQL, per bidder; the verdict stays with
# escrow.rules.eligibility_violation. NULL for a bidder whose answer is still remembered (not in %s).
_FACTS_SQL = (
    f", u.role, u.is_staff, u.is_superuser, u.id_kind, n.idn,"
    f" CASE WHEN u.id IS NOT NULL THEN n.idn <> ''"
    f" AND EXISTS (SELECT 1 FROM {BarredIdentity._meta.db_table} x WHERE upper(x.id_number) = n.idn) END,"
    f" CASE WHEN u.id IS NOT NULL THEN EXISTS (SELECT 1 FROM {CaseParty._meta.db_table} p"
    f" WHERE p.case_id = l.case_id AND p.side = 'respondent' AND (p.user_id = u.id OR (n.idn <> '' AND upper(p.id_number) = n.idn))) END,"
    f" CASE WHEN u.id IS NOT NULL THEN EXISTS (SELECT 1 FROM {_REGISTRATION} f JOIN {rounds.TABLE} fr ON fr.id = f.round_id"
    f" JOIN {_USER} fu ON fu.id = f.bidder_id WHERE fr.lot_id = r.lot_id AND f.round_id <> r.id AND f.status = 'forfeited'"
    f" AND (f.bidder_id = u.id OR (n.idn <> '' AND upper(fu.id_number) = n.idn))) END")
_SEEN_SQL = (
    f"SELECT r.status, r.kind, r.current_price, r.increment, g.id, g.bidder_id, g.status, g.code, g.priority_rank{_FACTS_SQL}"
    f" FROM {rounds.TABLE} r JOIN {Lot._meta.db_table} l ON l.id = r.lot_id"
    f" LEFT JOIN {_REGISTRATION} g ON g.round_id = r.id AND g.bidder_id = ANY(%s::bigint[])"
    f" LEFT JOIN {_USER} u ON u.id = g.bidder_id AND u.id = ANY(%s::bigint[])"
    f" LEFT JOIN LATERAL (SELECT upper(btrim(u.id_number, {_WHITESPACE})) AS idn) n ON true"
    f" WHERE r.id = %s")


@dataclass
class Seen:
    """The round as last committed (no lock), the bidders' registrations by bidder id, and the
    eligibility facts of the bidders asked for (PostgreSQL only)."""

    status: str
    kind: str
    current_price: int | None
    increment: int
    registrations: dict[int, Bidder]
    facts: dict[int, BidderFacts]


def seen(round_id: int, bidder_ids: list[int], unchecked: list[int]) -> Seen | None:
    """One query, no lock: the round, the registrations of `bidder_ids` and, on PostgreSQL, the
    eligibility facts of `unchecked` (prepared once per connection). None: no such round."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cur:
            cur.execute(f"SELECT r.status, r.kind, r.current_price, r.increment, g.id, g.bidder_id, g.status, g.code, g.priority_rank"
                        f" FROM {rounds.TABLE} r LEFT JOIN {_REGISTRATION} g ON g.round_id = r.id"
                        f" AND g.bidder_id IN ({', '.join(['%s'] * len(bidder_ids))}) WHERE r.id = %s", [*bidder_ids, round_id])
            rows = cur.fetchall()
    else:
        connection.ensure_connection()
        with connection.wrap_database_errors:
            rows = psycopg.Cursor(connection.connection).execute(_SEEN_SQL, [bidder_ids, unchecked, round_id], prepare=True).fetchall()
    if not rows:
        return None
    registrations, facts = {}, {}
    for row in rows:
        if row[4] is None:
            continue
        registrations[row[5]] = Bidder(*row[4:9])
        found = _facts(row[9:9 + _FACT_COLUMNS]) if len(row) > 9 else None
        if found is not None:
            facts[row[5]] = found
    return Seen(*rows[0][:4], registrations, facts)


# ------------------------------------------------------------------------------------ under the lock


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
    committed: bool = False  # the COMMIT went out with the writes (flush(commit=True))
    bidder: Bidder | None = None  # locked_round(bidder_id=...): that bidder's registration
    facts: BidderFacts | None = None  # ... and its eligibility facts, when asked for

    def add_bid(self, registration: Bidder, amount: int, at: datetime, *, priority: bool, proxy: bool, entry: audit.Entry) -> None:
        rnd = self.round
        self._bids.append(_NewBid((rnd.id, registration.id, rnd.seq, amount, at, priority, proxy), entry))

    def note(self, entry: audit.Entry) -> None:
        """An audit record of the round's chain written with the bids (after them)."""
        self._notes.append(entry)

    def flush(self, *, commit: bool = False) -> None:
        """Write what the batch collected: bids, then their audit records and the notes, then the live state.

        On PostgreSQL in the pipeline: ONE statement (the two INSERTs as data-modifying CTEs of the
        live state's UPDATE). `commit=True`: nothing else is written in this transaction, so its
        COMMIT goes out in the same round trip (only when the caller's atomic block is the outermost
        one: a savepoint is never committed)."""
        if not self._bids and not self._notes:
            return
        live_sql, live_params = rounds.live_state_sql(self.round.id, **dict(zip(rounds.LIVE_FIELDS, self._live_row()[1:])))
        if self._pg is None:
            made = Bid.objects.bulk_create([Bid(**dict(zip(_BID_FIELDS, b.values))) for b in self._bids])
            for pk, b in zip((b.pk for b in made), self._bids):
                b.entry.object_id = str(pk)
            self._step.append([b.entry for b in self._bids] + self._notes)
            with connection.cursor() as cur:
                cur.execute(live_sql, live_params)
            self._bids, self._notes = [], []
            return
        _top_up_bid_ids(self._pg, [self])
        bid_rows, entries = self._take()
        parts, params = [], []
        if len(bid_rows) == 1:  # a lone bid: scalar parameters
            parts.append(f"b AS ({insert_row_sql(Bid, _BID_FIELDS)})")
            params.extend(bid_rows[0])
        elif bid_rows:
            parts.append(f"b AS ({insert_rows_sql(Bid, _BID_FIELDS)})")
            params.extend(columns_of(bid_rows))
        audit_sql, audit_params = self._step.insert_sql(entries)
        parts.append(f"a AS ({audit_sql})")
        params.extend(audit_params)
        psycopg.Cursor(self._pg).execute(f"WITH {', '.join(parts)} {live_sql}", [*params, *live_params], prepare=True)
        if commit and _commit_queued(self._pg):
            self.committed = True

    def _live_row(self) -> tuple:
        """The round's live state as moved by the batch: (id, *lots.rounds.LIVE_FIELDS)."""
        rnd = self.round
        return (rnd.id, rnd.current_price, rnd.leader_id, rnd.leader.code if rnd.leader else "", rnd.seq, rnd.bid_count, rnd.ends_at)

    def _take(self) -> tuple[list[tuple], list[audit.Entry]]:
        """The collected bids as rows with their ids (in `_BID_FIELDS` order after the id; each bid's
        audit record then names it), and the records to chain (the bids', then the notes); the batch
        is emptied. The ids must have been drawn (`_top_up_bid_ids`)."""
        n = len(self._bids)
        ids, self._bid_ids = self._bid_ids[:n], self._bid_ids[n:]
        rows = []
        for pk, b in zip(ids, self._bids):
            b.entry.object_id = str(pk)
            rows.append((pk, *b.values))
        entries = [b.entry for b in self._bids] + self._notes
        self._bids, self._notes = [], []
        return rows, entries


def _top_up_bid_ids(pg: Any, batches: list[LockedRound]) -> None:
    """Ids for the bids beyond those announced (proxy bids), for every batch in one more round trip."""
    short = [(b, len(b._bids) - len(b._bid_ids)) for b in batches if len(b._bids) > len(b._bid_ids)]
    if not short:
        return
    cur = psycopg.Cursor(pg)
    cur.execute(draw_ids_sql(Bid, sum(n for _, n in short)))
    drawn = [row[0] for row in cur.fetchall()]
    for b, n in short:
        b._bid_ids.extend(drawn[:n])
        drawn = drawn[n:]


def _commit_queued(pg: Any) -> bool:
    """Queue the COMMIT behind the writes (the pipeline syncs once for both) when the engine's atomic
    block is the outermost one and nothing failed: a savepoint is never committed. Whether it did."""
    if len(connection.atomic_blocks) == 1 and not connection.needs_rollback:
        pg.commit()
        return True
    return False


# The round's context read under its lock, in ONE statement after the lock's: the leading
# registration, the head of the round's audit chain and ids for the bids and records of the batch
# (a statement of its own, so its snapshot is taken once the lock is held and sees the last commit).
# Ids drawn for the bids and the audit records a batch may write (two counts): two arrays, ascending.
_DRAW_IDS = (f"ARRAY(SELECT nextval(pg_get_serial_sequence('{Bid._meta.db_table}', 'id')) FROM generate_series(1, %s) ORDER BY 1),"
             f" ARRAY(SELECT nextval(pg_get_serial_sequence('{audit.TABLE}', 'id')) FROM generate_series(1, %s) ORDER BY 1)")
_CONTEXT_SQL = (
    f"SELECT g.id, g.bidder_id, g.status, g.code, g.priority_rank, h.position, h.hash, {_DRAW_IDS}"
    f" FROM (SELECT leader_id FROM {rounds.TABLE} WHERE id = %s) r"
    f" LEFT JOIN {_REGISTRATION} g ON g.id = r.leader_id"
    f" LEFT JOIN LATERAL (SELECT position, hash FROM {audit.TABLE} WHERE chain = %s ORDER BY position DESC LIMIT 1) h ON true")


# The same, for a lone bid: also its bidder's registration and (when asked) eligibility facts, so a
# single bid needs no read before the lock.
_CONTEXT_BIDDER_SQL = (
    f"SELECT g.id, g.bidder_id, g.status, g.code, g.priority_rank, h.position, h.hash, {_DRAW_IDS},"
    f" b.id, b.bidder_id, b.status, b.code, b.priority_rank{_FACTS_SQL}"
    f" FROM (SELECT id, lot_id, leader_id FROM {rounds.TABLE} WHERE id = %s) r JOIN {Lot._meta.db_table} l ON l.id = r.lot_id"
    f" LEFT JOIN {_REGISTRATION} g ON g.id = r.leader_id"
    f" LEFT JOIN LATERAL (SELECT position, hash FROM {audit.TABLE} WHERE chain = %s ORDER BY position DESC LIMIT 1) h ON true"
    f" LEFT JOIN {_REGISTRATION} b ON b.round_id = r.id AND b.bidder_id = %s"
    f" LEFT JOIN {_USER} u ON u.id = b.bidder_id AND %s"
    f" LEFT JOIN LATERAL (SELECT upper(btrim(u.id_number, {_WHITESPACE})) AS idn) n ON true")


_FACT_COLUMNS = 8


def _facts(row: tuple) -> BidderFacts | None:
    """BidderFacts from the columns of _FACTS_SQL, as escrow.rules.check_bidder_eligible builds them
    (the adult fact from the ID number on today's date of the site clock)."""
    role, is_staff, is_superuser, id_kind, id_number, barred, debtor, defaulted = row
    if role is None:
        return None
    adult = not id_number or is_adult_on(id_kind or ("resident_id" if id_number[:17].isdigit() else ""), id_number,
                                         timezone.localdate(clock.now()))
    return BidderFacts(role=role, is_staff=role in {"judge", "operator"} or bool(is_staff or is_superuser),
                       barred_identity=bool(barred), is_debtor=bool(debtor), defaulted_on_lot=bool(defaulted), adult=adult)


@contextmanager
def locked_round(round_id: int, *, expected: int, pipelined: bool = True, bidder_id: int | None = None,
                 with_facts: bool = False) -> Iterator[LockedRound]:
    """Lock the round and open its writes (see the module docstring); `expected`: bids the batch may
    write (their ids, and those of their audit records, are drawn with the lock). Runs inside the
    caller's transaction.atomic(); raises NotFound when the round does not exist.

    `bidder_id` (PostgreSQL, pipelined; see `reads_bidder_with_lock`): also read that bidder's
    registration (`LockedRound.bidder`) and, `with_facts`, eligibility facts (`LockedRound.facts`).

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
    # The statements go straight to psycopg (prepared once per connection): its errors reach the
    # caller as Django's (IntegrityError...).
    with connection.wrap_database_errors, pg.pipeline():
        lock_cur, context_cur = psycopg.Cursor(pg), psycopg.Cursor(pg)
        lock_cur.execute(*rounds.lock_sql(round_id), prepare=True)
        if bidder_id is None:
            context_cur.execute(_CONTEXT_SQL, [max(expected, 0), expected + 1, round_id, key], prepare=True)
        else:
            context_cur.execute(_CONTEXT_BIDDER_SQL, [max(expected, 0), expected + 1, round_id, key, bidder_id, with_facts], prepare=True)
        row = lock_cur.fetchone()  # one round trip for both
        if row is None:
            raise NotFound("拍卖轮次不存在 / no such round")
        context = context_cur.fetchone()
        leader = context[:5] if context[0] is not None else None
        head = (context[5], context[6]) if context[5] is not None else (0, audit.GENESIS)
        with audit.chain_step(key, pg, head=head, ids=list(context[8])) as step:
            batch = _open(row, leader, pg, step, list(context[7]))
            if bidder_id is not None:
                batch.bidder = Bidder(*context[9:14]) if context[9] is not None else None
                batch.facts = _facts(context[14:14 + _FACT_COLUMNS])
            yield batch


def reads_bidder_with_lock() -> bool:
    """Whether `locked_round(bidder_id=...)` reads the bidder with the lock (PostgreSQL only)."""
    return connection.vendor == "postgresql"


def _open(row: tuple, leader: tuple | None, pg: Any, step: audit.ChainStep, bid_ids: list[int]) -> LockedRound:
    live = LiveRound(**dict(zip(rounds.LOCK_FIELDS, row)))
    live.starts_at, live.ends_at = _aware(live.starts_at), _aware(live.ends_at)
    live.leader = Bidder.of(leader)
    return LockedRound(live, pg, step, bid_ids)


# ------------------------------------------------------------------- many rounds in one transaction
#
# The cross-round group commit (bidding.committer): single bids on many rounds, arriving together in
# one process, are placed in ONE transaction (one lock statement for all their rounds, one write, one
# COMMIT). PostgreSQL only.

_SEEN_ACROSS_SQL = (
    f"SELECT q.i, g.id, g.bidder_id, g.status, g.code, g.priority_rank{_FACTS_SQL}"
    f" FROM unnest(%s::bigint[], %s::bigint[], %s::boolean[]) WITH ORDINALITY AS q(rid, uid, wf, i)"
    f" JOIN {rounds.TABLE} r ON r.id = q.rid JOIN {Lot._meta.db_table} l ON l.id = r.lot_id"
    f" LEFT JOIN {_REGISTRATION} g ON g.round_id = r.id AND g.bidder_id = q.uid"
    f" LEFT JOIN {_USER} u ON u.id = g.bidder_id AND q.wf"
    f" LEFT JOIN LATERAL (SELECT upper(btrim(u.id_number, {_WHITESPACE})) AS idn) n ON true")


@dataclass
class SeenPair:
    """One (round, bidder) pair as last committed, without a lock: the bidder's registration on the
    round and (when asked for) eligibility facts."""

    registration: Bidder | None
    facts: BidderFacts | None


def _seen_pairs(pairs: list[tuple[int, int, bool]], rows: list[tuple]) -> dict[tuple[int, int], SeenPair]:
    found = {}
    for row in rows:
        i = row[0] - 1
        found[(pairs[i][0], pairs[i][1])] = SeenPair(Bidder(*row[1:6]) if row[1] is not None else None,
                                                     _facts(row[6:6 + _FACT_COLUMNS]))
    return found


_LOCK_ACROSS_SQL = (f"SELECT {', '.join(rounds.LOCK_FIELDS)} FROM {rounds.TABLE} WHERE id = ANY(%s::bigint[])"
                    f" ORDER BY id FOR NO KEY UPDATE")  # every engine locks in id order: no deadlock between them
_TAKE_ACROSS_SQL = _LOCK_ACROSS_SQL + " SKIP LOCKED"  # never waits: a round another transaction holds is left out
_DRAW_ACROSS_SQL = f"SELECT {_DRAW_IDS}"
_CONTEXT_ACROSS_SQL = (
    f"SELECT q.rid, g.id, g.bidder_id, g.status, g.code, g.priority_rank, h.position, h.hash"
    f" FROM unnest(%s::bigint[], %s::text[]) AS q(rid, chain) JOIN {rounds.TABLE} r ON r.id = q.rid"
    f" LEFT JOIN {_REGISTRATION} g ON g.id = r.leader_id"
    f" LEFT JOIN LATERAL (SELECT position, hash FROM {audit.TABLE} WHERE chain = q.chain ORDER BY position DESC LIMIT 1) h ON true")


@contextmanager
def locked_rounds(pairs: list[tuple[int, int, bool]], expected: dict[int, int], *,
                  skip_locked: bool = False) -> Iterator[tuple[dict[int, LockedRound], dict[tuple[int, int], SeenPair], set[int]]]:
    """`locked_round` for several rounds at once, in ONE round trip of four statements: the
    (round id, bidder id, with facts) `pairs` as last committed (their registrations and, when asked,
    eligibility facts: no lock is held for these), ids for the bids and records, then the rounds of
    `expected` ({round id: bids the batch may write on it}) locked in id order by one statement, and
    their leaders and chain heads. Yields ({round id: LockedRound} of the rounds locked,
    {(round, bidder): SeenPair}, the busy round ids). With `skip_locked` the lock never waits: a round
    that another transaction holds now is left out and named busy (it exists); without, busy is empty
    and every round that exists is locked. Write them with `flush_rounds`. PostgreSQL only, inside
    transaction.atomic()."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("locked_rounds runs inside transaction.atomic()")
    ids = sorted(expected)
    connection.ensure_connection()
    pg = connection.connection
    with connection.wrap_database_errors, pg.pipeline():
        seen_cur, draw_cur, lock_cur, context_cur = (psycopg.Cursor(pg) for _ in range(4))
        seen_cur.execute(_SEEN_ACROSS_SQL, [[p[0] for p in pairs], [p[1] for p in pairs], [p[2] for p in pairs]], prepare=True)
        draw_cur.execute(_DRAW_ACROSS_SQL, [sum(expected.values()), sum(expected.values()) + len(ids)], prepare=True)
        lock_cur.execute(_TAKE_ACROSS_SQL if skip_locked else _LOCK_ACROSS_SQL, [ids], prepare=True)
        context_cur.execute(_CONTEXT_ACROSS_SQL, [ids, [f"lots.round:{rid}" for rid in ids]], prepare=True)
        seen = _seen_pairs(pairs, seen_cur.fetchall())  # one round trip for the four
        bid_ids, record_ids = draw_cur.fetchone()
        locked = lock_cur.fetchall()
        context = {row[0]: row for row in context_cur.fetchall()}
        batches: dict[int, LockedRound] = {}
        for row in locked:
            rid = row[0]
            c = context[rid]
            head = (c[6], c[7]) if c[6] is not None else (0, audit.GENESIS)
            n = expected[rid]
            step = audit.ChainStep(f"lots.round:{rid}", pg, head=head, ids=record_ids[:n + 1])
            record_ids = record_ids[n + 1:]
            batches[rid] = _open(row, c[1:6] if c[1] is not None else None, pg, step, bid_ids[:n])
            bid_ids = bid_ids[n:]
        yield batches, seen, set(context) - set(batches)


def flush_rounds(batches: list[LockedRound]) -> None:
    """Write what the batches collected (see `LockedRound.flush`) for every round at once: ONE statement
    (the bids of all rounds, their audit records in each round's chain, every round's live state),
    then the COMMIT in the same round trip (the caller's atomic block must be the outermost one)."""
    batches = [b for b in batches if b._bids or b._notes]
    if not batches:
        return
    pg = batches[0]._pg
    _top_up_bid_ids(pg, batches)
    bid_rows, record_rows, live = [], [], []
    for b in batches:
        live.append(b._live_row())
        rows, entries = b._take()
        bid_rows.extend(rows)
        record_rows.extend(b._step.rows(entries))
    live_sql, live_params = rounds.live_states_sql(live)
    sql = f"WITH b AS ({insert_rows_sql(Bid, _BID_FIELDS)}), a AS ({audit.insert_records_sql()}) {live_sql}"
    with connection.wrap_database_errors:
        psycopg.Cursor(pg).execute(sql, [*columns_of(bid_rows), *columns_of(record_rows), *live_params], prepare=True)
        if _commit_queued(pg):
            for b in batches:
                b.committed = True
