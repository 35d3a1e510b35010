"""The round aggregate: its lock, its state machine and its live state (ARCHITECTURE.md, Ownership).

This module is the only writer of rounds (`create`), of a round's catalogue flag (`listed`: the
lot's latest round that is not a draft, moved by `create` and `change_status`), of a round's status (`change_status`, with the transitions of
lots.rules.ROUND_TRANSITIONS) and of its live state (price, leader, sequence number, end time — the
bid engine sends `live_state_sql` inside its own transaction, under the lock of `lock_sql`).

Locks: `lock()` / `lock_sql()` take `FOR NO KEY UPDATE` on the round row alone (never the lot or
case rows): it serialises every write of the round — bids, status changes, registrations' checks —
while inserts that merely reference the round (a registration, a deposit, a bid) still pass its
foreign-key checks. Lock order across the site: round → registration → deposit → balance payment
→ ledger accounts (docs/architecture.md).
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from django.db import connection, transaction

from auction_site import audit, clock
from auction_site.db import columns_of
from auction_site.errors import Conflict, NotFound
from lots import discount, round_notices, rules, signals
from lots.models import Lot, Round

logger = logging.getLogger("lots.rounds")
Status = Round.Status
TABLE = Round._meta.db_table

# The columns the bid engine reads under the lock and writes back as the live state.
LOCK_FIELDS = ("id", "lot_id", "status", "kind", "starting_price", "increment", "starts_at", "ends_at", "current_price",
               "seq", "bid_count", "leader_id", "proxy_bidding_enabled", "balance_due_days")
LIVE_FIELDS = ("current_price", "leader_id", "leader_code", "seq", "bid_count", "ends_at")


def lock(round_id: int, *, related: tuple[str, ...] = ()) -> Round:
    """The round row, locked until the end of the transaction (only this row: `of=("self",)`).
    `related`: relations to read along (select_related), never locked."""
    qs = Round.objects.select_for_update(of=("self",), no_key=True)
    if related:
        qs = qs.select_related(*related)
    try:
        return qs.get(pk=round_id)
    except Round.DoesNotExist:
        raise NotFound("拍卖轮次不存在 / no such round")


def try_lock(round_id: int, **where: Any) -> Round | None:
    """The round row locked, or None when it is locked by someone else right now (skip_locked) or
    does not match `where`: for the clock, whose ticks may run twice at once."""
    return (Round.objects.select_for_update(of=("self",), no_key=True, skip_locked=True)
            .filter(pk=round_id, **where).first())


def lock_sql(round_id: int) -> tuple[str, list]:
    """The same lock as `lock()`, as one SQL statement returning LOCK_FIELDS (the bid engine's pipeline)."""
    mode = " FOR NO KEY UPDATE" if connection.vendor == "postgresql" else ""
    return f"SELECT {', '.join(LOCK_FIELDS)} FROM {TABLE} WHERE id = %s{mode}", [round_id]


def live_state_sql(round_id: int, **values: Any) -> tuple[str, list]:
    """The UPDATE saving the live state after a batch of bids (only LIVE_FIELDS; never the status)."""
    unknown = set(values) - set(LIVE_FIELDS)
    if unknown:
        raise ValueError(f"not live state: {sorted(unknown)}")
    columns = ", ".join(f"{connection.ops.quote_name(name)} = %s" for name in values)
    return f"UPDATE {TABLE} SET {columns} WHERE id = %s", [*values.values(), round_id]


def live_states_sql(rows: list[tuple]) -> tuple[str, list]:
    """The UPDATE saving the live state of several rounds at once: rows of (id, *LIVE_FIELDS), array
    parameters by column (PostgreSQL)."""
    return _live_states_sql(), columns_of(rows)


@functools.cache
def _live_states_sql() -> str:
    fields = [Round._meta.get_field("id"), *(Round._meta.get_field(name) for name in LIVE_FIELDS)]
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
    aliases = ", ".join(f.column for f in fields)
    sets = ", ".join(f"{connection.ops.quote_name(f.column)} = u.{f.column}" for f in fields[1:])
    return f"UPDATE {TABLE} AS t SET {sets} FROM unnest({arrays}) AS u({aliases}) WHERE t.id = u.id"


def change_status(rnd: Round, status: str, *, actor: Any = None, reason: str = "", data: dict | None = None,
                  fields: tuple[str, ...] | list[str] = ()) -> None:
    """Move a LOCKED round (lock(), inside transaction.atomic) to `status`, if the state machine allows it.

    Bumps the sequence number, saves the status with `fields` (other columns the caller set on `rnd`),
    writes the audit record in the round's chain and, once committed, sends `round_status_changed`
    (bidding publishes the `status` event to every watcher from it)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("change_status runs inside the transaction that locked the round")
    before = rnd.status
    violation = rules.check_transition(before, status)
    if violation is not None:
        raise Conflict(violation.code, str(violation))
    rnd.status = status
    rnd.seq += 1
    rnd.status_changed_at = clock.now()
    saved = ["status", "seq", "status_changed_at", *fields]
    if reason:
        rnd.status_reason = reason
        saved.append("status_reason")
    rnd.save(update_fields=saved)
    if before == Status.DRAFT:
        rnd.listed = _relist(rnd.lot_id) == rnd.pk
    audit.record(f"round.{status}", rnd, actor=actor, data={"from": before, "to": status, "seq": rnd.seq, "reason": reason,
                                                            "article": rules.ROUND_TRANSITIONS[(before, status)], **(data or {})})
    round_notices.tell(rnd, before, status)  # the notifications outbox, in this transaction
    round_id, seq, ends_at = rnd.pk, rnd.seq, rnd.ends_at
    transaction.on_commit(lambda: _announce(round_id=round_id, status=status, previous=before, seq=seq, ends_at=ends_at, actor=actor))


def _announce(**change: Any) -> None:
    """Tell the receivers of round_status_changed; one that fails is logged and never stops the others."""
    for receiver, outcome in signals.round_status_changed.send_robust(Round, **change):
        if isinstance(outcome, Exception):
            logger.error("round %s -> %s: receiver %s failed", change["round_id"], change["status"], receiver, exc_info=outcome)


def create(*, actor: Any, action: str, data: dict, **fields: Any) -> Round:
    """Create a round row (a judge's draft, a prepared re-auction, a sell-off) and start its chain."""
    rnd = Round(**fields)
    rnd.discount = discount.percent(rnd.starting_price, rnd.lot.reference_price)
    rnd.save(force_insert=True)
    if rnd.status != Status.DRAFT:
        rnd.listed = _relist(rnd.lot_id) == rnd.pk
    audit.record(action, rnd, actor=actor, data=data)
    return rnd


def sync_discount(lot: Lot) -> None:
    """Set `discount` (lots.discount) on every round of the lot from its reference price now: called when a
    round's starting price or the lot's reference price changes (lots.services)."""
    for rnd in Round.objects.filter(lot_id=lot.pk).only("pk", "starting_price", "discount"):
        value = discount.percent(rnd.starting_price, lot.reference_price)
        if value != rnd.discount:
            Round.objects.filter(pk=rnd.pk).update(discount=value)


def _relist(lot_id: int) -> int | None:
    """Mark the lot's latest round that is not a draft as its catalogue entry (`listed`), and only it.

    Called when a round of the lot stops being a draft or is created public: a draft never comes back,
    so these are the only moments the entry changes. Returns the listed round's id."""
    latest = (Round.objects.filter(lot_id=lot_id).exclude(status=Status.DRAFT).order_by("-number")
              .values_list("pk", flat=True).first())
    # Unset first: at most one listed round per lot (round_one_listed_per_lot).
    Round.objects.filter(lot_id=lot_id, listed=True).exclude(pk=latest).update(listed=False)
    if latest is not None:
        Round.objects.filter(pk=latest, listed=False).update(listed=True)
    return latest
