"""Every write of live bidding: the bid engine, proxy ceilings, in-kind settlement.

`place_bid` is THE bid engine (websocket and HTTP share it): one transaction, one lock on the round
row, validation by `bidding.rules`, an immutable Bid appended, the live state updated, an audit
record, and the broadcast sent only after the commit (ARCHITECTURE.md, Bids).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction

from auction_site import audit, clock
from auction_site.db import Rows
from auction_site.errors import Conflict, DomainError, NotFound
from auction_site.fields import parse_fen
from bidding import events, rules, throttle
from bidding.models import Bid, InKindSettlement, ProxyBid, Registration
from lots.models import Round

logger = logging.getLogger("bidding.services")

Status = Round.Status


@dataclass
class PlacedBid:
    seq: int
    code: str
    amount: int
    at: datetime
    priority: bool
    proxy: bool


@dataclass
class BidResult:
    accepted: bool
    request_id: Any = None
    code: str | None = None  # refusal code of the contract when not accepted
    message: str = ""
    seq: int | None = None  # the sequence number of this bid when accepted
    amount: int | None = None
    current_price: int | None = None
    ends_at: datetime | None = None
    extended: bool = False
    bidder_code: str | None = None
    placed: list[PlacedBid] = field(default_factory=list)  # this bid and the proxy bids it triggered
    status: str | None = None  # the round's status after the bid (sold: a sell-off buy)

    def as_ack(self) -> dict:
        if self.accepted:
            return {"type": "ack", "request_id": self.request_id, "seq": self.seq, "amount": self.amount,
                    "current_price": self.current_price, "ends_at": self.ends_at.isoformat() if self.ends_at else None}
        return {"type": "rejected", "request_id": self.request_id, "code": self.code, "message": self.message}


def _refused(request_id: Any, refusal: rules.Refusal) -> BidResult:
    return BidResult(accepted=False, request_id=request_id, code=refusal.code, message=refusal.message)


_ELIGIBLE_CACHE: dict[tuple[int, int], float] = {}
ELIGIBLE_CACHE_SECONDS = 30.0


def _recently_eligible(user_id: int, round_id: int) -> bool:
    return _ELIGIBLE_CACHE.get((user_id, round_id), 0.0) > time.monotonic()


def _barred(user, rnd: Round) -> rules.Refusal | None:
    """A24/A34 eligibility lives in escrow.rules (one place); checked again at bid time.

    A positive answer is reused for ELIGIBLE_CACHE_SECONDS in this process (the facts behind it, a
    default on an earlier round or a staff listing, change rarely; the deposit itself is re-checked on
    every bid), which keeps the database work of a bid small.
    """
    key = (user.pk, rnd.pk)
    try:
        from escrow.rules import check_bidder_eligible
    except ImportError:  # pragma: no cover - escrow always ships it
        return None
    violation = check_bidder_eligible(user, rnd)
    if violation is None:
        if len(_ELIGIBLE_CACHE) > 100_000:
            _ELIGIBLE_CACHE.clear()
        _ELIGIBLE_CACHE[key] = time.monotonic() + ELIGIBLE_CACHE_SECONDS
        return None
    _ELIGIBLE_CACHE.pop(key, None)
    if violation.code == "not_a_bidder":
        return rules.Refusal("not_registered", violation.message, violation.article)
    return rules.Refusal("barred", violation.message, violation.article)


def _user_id(user) -> int | None:
    return user.pk if user is not None and getattr(user, "is_authenticated", False) else None


@dataclass
class BidAttempt:
    """One bid as received (websocket frame or HTTP request), not yet validated."""

    user: Any
    amount: Any
    request_id: Any = None
    via: str = "ws"


_BID_FIELDS = ("round_id", "registration_id", "seq", "amount", "placed_at", "is_priority", "is_proxy")


@dataclass
class _Writes:
    """Rows a locked batch appends, written together just before the commit: the bids and their audit
    records in one chain step, with the round's live state (one audit chain step)."""

    bids: list[tuple] = field(default_factory=list)  # values of _BID_FIELDS
    audits: list[dict] = field(default_factory=list)  # audit.record_many entries; a bid's names its row

    def flush(self, rnd: Round, step: audit.ChainStep | None = None, **outcome: Any) -> None:
        """Into the chain step the batch opened with its lock, or a step of its own."""
        rows, also = [Rows(Bid, _BID_FIELDS, self.bids)], [_live_state_sql(rnd, **outcome)]
        if step is not None:
            step.append(self.audits, rows, also)
        else:
            audit.record_many(self.audits, rows=rows, also=also)
        self.bids, self.audits = [], []


_ROUND_TABLE, _REGISTRATION_TABLE = Round._meta.db_table, Registration._meta.db_table
_ROUND_LOCK_FIELDS = ("id", "lot_id", "status", "kind", "starting_price", "increment", "starts_at", "ends_at", "current_price",
                      "seq", "bid_count", "proxy_bidding_enabled", "balance_due_days")


def _rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def _registration(round_id: int, row: tuple) -> Registration:
    """A Registration from (id, bidder_id, status, code, priority_rank): what the engine reads of it."""
    return Registration(id=row[0], round_id=round_id, bidder_id=row[1], status=row[2], code=row[3], priority_rank=row[4])


def _aware(value: Any) -> datetime | None:
    """PostgreSQL returns aware datetimes; SQLite (the embedded mode) naive UTC ones, or text."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _lock_round_sql(round_id: int) -> tuple[str, list]:
    """SELECT ... FOR UPDATE of the round row (the only lock of a bid) with its leading registration."""
    lock = " FOR UPDATE OF r" if connection.features.has_select_for_update_of else ""
    return (f"SELECT {', '.join('r.' + name for name in _ROUND_LOCK_FIELDS)}, g.id, g.bidder_id, g.status, g.code, g.priority_rank"
            f" FROM {_ROUND_TABLE} r LEFT JOIN {_REGISTRATION_TABLE} g ON g.id = r.leader_id WHERE r.id = %s{lock}", [round_id])


def _locked_round(round_id: int, rows: list[tuple]) -> Round:
    """The Round as `_lock_round_sql` read it: the fields the engine reads and writes (_ROUND_LOCK_FIELDS)
    and its leader; it is never saved whole."""
    if not rows:
        raise NotFound("拍卖轮次不存在 / no such round")
    row = rows[0]
    n = len(_ROUND_LOCK_FIELDS)
    rnd = Round(**dict(zip(_ROUND_LOCK_FIELDS, row[:n])))
    rnd.starts_at, rnd.ends_at = _aware(rnd.starts_at), _aware(rnd.ends_at)
    rnd.leader = _registration(round_id, row[n:]) if row[n] is not None else None
    return rnd


def place_bid(round_id: int, user, amount: Any, *, request_id: Any = None, via: str = "ws") -> BidResult:
    """Place a bid of `amount` fen on the round for `user`; the result is accepted only once committed."""
    return place_bids(round_id, [BidAttempt(user, amount, request_id, via)])[0]


def place_bids(round_id: int, attempts: list[BidAttempt], *, on_locked: Callable[[], None] | None = None) -> list[BidResult]:
    """Place several bids on ONE round in ONE transaction (group commit), in the given (arrival) order.

    Each attempt gets exactly the outcome it would get if the attempts were placed one by one with
    `place_bid` in that order at the time of the lock: the checks that need no lock (amount format,
    rate limit, registration, eligibility, a price already seen) run first; then the round row is
    locked once, the bid time read once under the lock (A20: all bids of the batch are accepted at
    that instant, by the one commit), and every remaining attempt is validated by `bidding.rules`
    against the live state as the earlier bids of the batch left it. The accepted bids, their audit
    records (one chain step) and one UPDATE of the round are written, then committed; the results
    (acks) are returned only after the commit and the broadcast is registered with on_commit.
    Raises NotFound when the round does not exist.
    """
    results: list[BidResult | None] = [None] * len(attempts)
    pending: list[tuple[int, BidAttempt, int, int]] = []  # (index, attempt, user id, amount)
    for i, attempt in enumerate(attempts):
        try:
            amount = parse_fen(attempt.amount)
        except ValueError:
            results[i] = _refused(attempt.request_id, rules.Refusal(
                "invalid", "金额须为以分为单位的正整数 / amount must be a positive integer number of fen"))
            continue
        uid = _user_id(attempt.user)
        if uid is None:
            results[i] = _refused(attempt.request_id, rules.Refusal(
                "not_registered", "请先登录并报名缴纳保证金 / log in, register and pay the deposit first", "A17"))
            continue
        pending.append((i, attempt, uid, amount))
    if pending:
        allowed = throttle.allow_bids([uid for _, _, uid, _ in pending], round_id)
        for (i, attempt, _, _), ok in zip(pending, allowed):
            if not ok:
                results[i] = _refused(attempt.request_id, rules.Refusal("rate_limited", "出价过于频繁，请稍后再试 / too many bids, slow down"))
        pending = [p for p, ok in zip(pending, allowed) if ok]
    if not pending:
        return results  # type: ignore[return-value]

    # The hot path reads with plain SQL (no ORM query building per batch); SQL kept portable for SQLite.
    # The round as last committed and the bidders' registrations, in one query (no lock).
    bidder_ids = sorted({p[2] for p in pending})
    seen = _rows(f"SELECT r.status, r.kind, r.current_price, r.increment, g.id, g.bidder_id, g.status, g.code, g.priority_rank"
                 f" FROM {_ROUND_TABLE} r LEFT JOIN {_REGISTRATION_TABLE} g ON g.round_id = r.id"
                 f" AND g.bidder_id IN ({', '.join(['%s'] * len(bidder_ids))}) WHERE r.id = %s", [*bidder_ids, round_id])
    if not seen:
        raise NotFound("拍卖轮次不存在 / no such round")
    seen_status, seen_kind, seen_price, seen_increment = seen[0][:4]
    registrations = {row[5]: _registration(round_id, row[4:]) for row in seen if row[4] is not None}
    full_round: Round | None = None
    candidates: list[tuple[int, BidAttempt, Registration, int]] = []
    for i, attempt, uid, amount in pending:
        registration = registrations.get(uid)
        refusal = rules.check_registration(registration.status if registration else None, registration.code if registration else None)
        if refusal is None and seen_status == Status.OPEN and seen_kind == Round.Kind.AUCTION:
            # read without the lock: prices only rise while a round is open
            refusal = rules.surely_too_low(amount, seen_price, seen_increment, registration.priority_rank)
        if refusal is None and not _recently_eligible(uid, round_id):
            if full_round is None:
                full_round = Round.objects.select_related("lot__case").get(pk=round_id)
            refusal = _barred(attempt.user, full_round)
        if refusal:
            results[i] = _refused(attempt.request_id, refusal)
        else:
            candidates.append((i, attempt, registration, amount))
    if not candidates:
        return results  # type: ignore[return-value]

    writes = _Writes()
    # One audit chain step, opened by the lock of the round: the lock, the chain's head and the ids
    # of the rows the batch may write take one round trip; the writes and the commit two more.
    expected = {Bid: len(candidates), audit.AuditRecord: len(candidates) + 1}
    with transaction.atomic(), audit.chain_step(_lock_round_sql(round_id), ids=expected) as step:
        rnd = _locked_round(round_id, step.first_rows)
        if on_locked is not None:
            on_locked()  # the socket batcher may now cut its next batch (it queues behind this lock)
        now = clock.now()  # bid time = server clock at acceptance, read under the lock (A20)
        placed_all: list[PlacedBid] = []
        outcome: dict[str, Any] = {}
        for i, attempt, registration, amount in candidates:
            refusal = _check_locked(rnd, registration, amount, now)
            if refusal:
                results[i] = _refused(attempt.request_id, refusal)
                continue
            end_before = rnd.ends_at
            placed = [_append_bid(rnd, registration, amount, now, proxy=False, actor=attempt.user, via=attempt.via, writes=writes)]
            if rnd.kind == Round.Kind.SELLOFF:
                outcome = _close_selloff_sold(rnd, now, writes)
            elif rnd.proxy_bidding_enabled:
                placed.extend(_run_proxies(rnd, now, writes))
            placed_all.extend(placed)
            results[i] = BidResult(
                accepted=True, request_id=attempt.request_id, seq=placed[0].seq, amount=amount, current_price=rnd.current_price,
                ends_at=rnd.ends_at, bidder_code=registration.code, placed=placed, status=rnd.status,
                extended=rnd.kind == Round.Kind.AUCTION and rnd.ends_at != end_before,
            )
        if placed_all:
            writes.flush(rnd, step, **outcome)
            _broadcast_on_commit(rnd, placed_all)
    return results  # type: ignore[return-value]


def _check_locked(rnd: Round, registration: Registration, amount: int, now: datetime) -> rules.Refusal | None:
    """The checks made under the round's lock, against its live state (A20, A21, A26)."""
    refusal = rules.check_round_accepts_bids(rnd.status, now, rnd.starts_at, rnd.ends_at)
    if refusal:
        return refusal
    if rnd.kind == Round.Kind.SELLOFF:
        return rules.check_selloff_amount(amount, rnd.starting_price)
    leader = rnd.leader
    return rules.check_amount(
        amount, starting_price=rnd.starting_price, increment=rnd.increment, current_price=rnd.current_price,
        bidder_rank=registration.priority_rank, leader_rank=leader.priority_rank if leader else None,
        is_leader=leader is not None and leader.pk == registration.pk,
    )


def _append_bid(rnd: Round, registration: Registration, amount: int, now: datetime, *, proxy: bool, actor, via: str,
                writes: _Writes) -> PlacedBid:
    """Append one immutable Bid (to `writes`) and move the in-memory live state (saved once by _Writes.flush)."""
    leader = rnd.leader
    is_priority = bool(
        registration.priority_rank is not None and rnd.current_price is not None and amount == rnd.current_price
        and rules.outranks(registration.priority_rank, leader.priority_rank if leader else None)
    )
    rnd.seq += 1
    rnd.bid_count += 1
    before_end = rnd.ends_at
    if rnd.kind == Round.Kind.AUCTION:
        rnd.ends_at = rules.extended_end(rnd.ends_at, now)
    rnd.current_price = amount
    rnd.leader = registration
    writes.bids.append((rnd.pk, registration.pk, rnd.seq, amount, now, is_priority, proxy))
    writes.audits.append({"action": "bid.placed", "object_type": "bidding.bid", "row": (0, len(writes.bids) - 1), "actor": actor, "data": {
        "round": rnd.pk, "seq": rnd.seq, "code": registration.code, "amount": amount, "priority": is_priority, "proxy": proxy,
        "via": via, "ends_at": rnd.ends_at, "extended_from": before_end if rnd.ends_at != before_end else None,
    }})
    return PlacedBid(seq=rnd.seq, code=registration.code or "", amount=amount, at=now, priority=is_priority, proxy=proxy)


def _live_state_sql(rnd: Round, **outcome: Any) -> tuple[str, list]:
    """The UPDATE saving the round's live state (and a sell-off's outcome) after a batch."""
    values = {"current_price": rnd.current_price, "leader_id": rnd.leader.pk if rnd.leader else None, "seq": rnd.seq,
              "bid_count": rnd.bid_count, "ends_at": rnd.ends_at, **outcome}
    columns = ", ".join(f"{connection.ops.quote_name(name)} = %s" for name in values)
    return f"UPDATE {_ROUND_TABLE} SET {columns} WHERE id = %s", [*values.values(), rnd.pk]


def _broadcast_on_commit(rnd: Round, placed: list[PlacedBid]) -> None:
    round_id, ends_at, status, status_seq = rnd.pk, rnd.ends_at, rnd.status, rnd.seq
    # each accepted bid sets the current price to its amount
    messages = [events.bid_event(seq=p.seq, code=p.code, amount=p.amount, at=p.at, priority=p.priority, current_price=p.amount,
                                 ends_at=ends_at, proxy=p.proxy) for p in placed]
    if status != Status.OPEN:
        messages.append(events.status_event(status, status_seq, ends_at))
    transaction.on_commit(lambda: events.publish_events(round_id, messages))


def _close_selloff_sold(rnd: Round, now: datetime, writes: _Writes) -> dict[str, Any]:
    """A26/A37 sell-off: the first buyer at the full price buys; the round closes as sold at once."""
    from datetime import timedelta

    rnd.seq += 1
    rnd.status = Status.SOLD
    outcome = {"status": Status.SOLD, "closed_at": now, "sold_price": rnd.current_price,
               "balance_due_at": now + timedelta(days=rnd.balance_due_days)}
    writes.audits.append({"action": "round.sold", "obj": rnd, "actor": "engine", "data": {
        "kind": "selloff", "sold_price": rnd.current_price, "leader": rnd.leader.code if rnd.leader else None, "seq": rnd.seq,
        "closed_at": now,
    }})
    return outcome


# ------------------------------------------------------------------------------------------ proxy bids


def _run_proxies(rnd: Round, now: datetime, writes: _Writes) -> list[PlacedBid]:
    """代理出价: place, inside this transaction, the proxy bids the rules call for (rules.resolve_proxies)."""
    rows = list(
        ProxyBid.objects.filter(round_id=rnd.pk, active=True, ceiling__gt=rnd.current_price or 0,
                                registration__status=Registration.Status.HELD)
        .select_related("registration").only("id", "ceiling", "set_at", "registration__id", "registration__code",
                                             "registration__priority_rank", "registration__status")
    )
    if not rows and rnd.current_price is not None:
        # A proxy whose ceiling equals the current price may still match it with a priority rank (A21).
        rows = list(ProxyBid.objects.filter(round_id=rnd.pk, active=True, ceiling=rnd.current_price,
                                            registration__status=Registration.Status.HELD,
                                            registration__priority_rank__isnull=False).select_related("registration"))
    if not rows:
        return []
    regs = {p.registration.pk: p.registration for p in rows}
    leader = rnd.leader
    steps = rules.resolve_proxies(
        starting_price=rnd.starting_price, increment=rnd.increment, current_price=rnd.current_price,
        leader_id=leader.pk if leader else None, leader_rank=leader.priority_rank if leader else None,
        proxies=[rules.Proxy(p.registration.pk, p.registration.priority_rank, p.ceiling, p.set_at, p.pk) for p in rows],
    )
    placed = []
    for reg_id, amount, _rank in steps:
        placed.append(_append_bid(rnd, regs[reg_id], amount, now, proxy=True, actor="proxy", via="proxy", writes=writes))
    return placed


def set_proxy(round_id: int, user, ceiling: Any) -> dict:
    """Set (or change) the caller's proxy ceiling; if they are not leading, the engine may bid for them at once."""
    try:
        ceiling = parse_fen(ceiling)
    except ValueError:
        raise DomainError("invalid", "上限须为以分为单位的正整数 / the ceiling must be a positive integer number of fen")
    uid = _user_id(user)
    if uid is None:
        raise DomainError("not_registered", "请先登录并报名 / log in and register first", status=403)
    with transaction.atomic():
        rnd = (Round.objects.select_for_update(of=("self",)).select_related("leader").filter(pk=round_id).first())
        if rnd is None:
            raise NotFound("拍卖轮次不存在 / no such round")
        if not rnd.proxy_bidding_enabled or rnd.kind != Round.Kind.AUCTION:
            raise DomainError("invalid", "本场拍卖未开通代理出价 / proxy bidding is not enabled for this round")
        registration = Registration.objects.filter(round_id=round_id, bidder_id=uid).first()
        refusal = rules.check_registration(registration.status if registration else None, registration.code if registration else None)
        if refusal:
            raise DomainError(refusal.code, refusal.message, status=403)
        now = clock.now()
        if rnd.status not in {Status.ANNOUNCED, Status.OPEN} or (rnd.status == Status.OPEN and now >= rnd.ends_at):
            raise DomainError("closed" if rnd.status not in rules.NOT_YET_STATUSES else "not_open",
                              "当前不能设置代理出价 / proxy bids can be set only before the round ends", status=409)
        least = rules.min_valid_bid(rnd.starting_price, rnd.increment, rnd.current_price, registration.priority_rank,
                                    rnd.leader.priority_rank if rnd.leader else None)
        if rnd.leader is not None and rnd.leader.pk == registration.pk:
            least = rnd.current_price or least
        if ceiling < least:
            raise DomainError("too_low", f"代理上限须不低于 {least} 分 / the ceiling must be at least {least} fen", status=409)
        barred = _barred(user, rnd)
        if barred:
            raise DomainError(barred.code, barred.message, status=403)
        proxy, created = ProxyBid.objects.select_for_update().get_or_create(
            round_id=round_id, registration=registration, defaults={"ceiling": ceiling, "set_at": now})
        if not created:
            proxy.ceiling, proxy.set_at, proxy.active = ceiling, now, True
            proxy.save(update_fields=["ceiling", "set_at", "active"])
        audit.record("proxy.set", proxy, actor=user, data={"round": round_id, "code": registration.code, "ceiling": ceiling})
        placed: list[PlacedBid] = []
        if rnd.status == Status.OPEN and now >= rnd.starts_at:
            writes = _Writes()
            placed = _run_proxies(rnd, now, writes)
            if placed:
                writes.flush(rnd)
                _broadcast_on_commit(rnd, placed)
    return {"ceiling": ceiling, "code": registration.code, "set_at": now.isoformat(),
            "placed": [{"seq": p.seq, "amount": p.amount, "code": p.code} for p in placed],
            "current_price": rnd.current_price, "leader_code": rnd.leader.code if rnd.leader else None}


def open_with_proxies(round_id: int) -> list[PlacedBid]:
    """An open round without bids whose bidders set proxy ceilings beforehand: the proxies place the
    opening bids (the same resolution as after any bid). Called by the clock; idempotent."""
    with transaction.atomic():
        rnd = (Round.objects.select_for_update(of=("self",), skip_locked=True).select_related("leader")
               .filter(pk=round_id, status=Status.OPEN, bid_count=0, proxy_bidding_enabled=True, kind=Round.Kind.AUCTION).first())
        if rnd is None:
            return []
        now = clock.now()
        if rules.check_round_accepts_bids(rnd.status, now, rnd.starts_at, rnd.ends_at):
            return []
        writes = _Writes()
        placed = _run_proxies(rnd, now, writes)
        if placed:
            writes.flush(rnd)
            _broadcast_on_commit(rnd, placed)
    return placed


# ------------------------------------------------------------------------------------- in-kind settlement


def settle_in_kind(judge, round_id: int, *, creditor: str) -> InKindSettlement:
    """以物抵债 ([C] A16): after round 2 failed, hand the lot to a creditor at the round-2 starting price.

    `round_id` is the failed round 2 or the sell-off round that followed it (not yet sold); an open or
    announced sell-off is withdrawn (its deposits are then released by the escrow clock).
    """
    from lots.services import change_round_status, ensure_judge_of

    creditor = (creditor or "").strip()
    if not creditor or len(creditor) > 200:
        raise DomainError("invalid", "须写明接受抵债的申请执行人 / name the creditor who accepts the property", field="creditor")
    with transaction.atomic():
        rnd = Round.objects.select_for_update(of=("self",)).select_related("lot__case__court", "previous").filter(pk=round_id).first()
        if rnd is None:
            raise NotFound("拍卖轮次不存在 / no such round")
        ensure_judge_of(judge, rnd.lot.case.court)
        if rnd.kind == Round.Kind.SELLOFF:
            if rnd.status in {Status.SOLD, Status.PAID, Status.SETTLED, Status.WITHDRAWN}:
                raise Conflict("not_in_kind", "变卖已成交或已撤回 / the sell-off has ended with a sale or was withdrawn")
            second = rnd.previous
        elif rnd.status == Status.FAILED and rnd.number >= 2:
            second = rnd
        else:
            raise Conflict("not_in_kind", "以物抵债须在二拍流拍之后 / in-kind settlement follows a second failed auction ([C] A16)")
        applicants = [str(a) for a in (rnd.lot.case.applicants or [])]
        if applicants and creditor not in applicants:
            raise DomainError("invalid", "抵债对象须为本案申请执行人 / the creditor must be an applicant of the case", field="creditor")
        if InKindSettlement.objects.filter(lot_id=rnd.lot_id).exists():
            raise Conflict("already_settled_in_kind", "该标的已以物抵债 / the lot was already settled in kind")
        selloff = Round.objects.select_for_update().filter(previous=second, kind=Round.Kind.SELLOFF).first() if second else None
        if selloff and selloff.status in {Status.DRAFT, Status.ANNOUNCED, Status.OPEN, Status.SUSPENDED}:
            if selloff.bid_count:
                raise Conflict("not_in_kind", "变卖已有人购买 / the sell-off already has a buyer")
            change_round_status(selloff, Status.WITHDRAWN, actor=judge, reason=f"以物抵债给{creditor}")
        price = second.starting_price
        settlement = InKindSettlement.objects.create(lot_id=rnd.lot_id, round=rnd, creditor=creditor, price=price,
                                                     decided_by=judge, decided_at=clock.now())
        audit.record("lot.settled_in_kind", settlement, actor=judge, data={"lot": rnd.lot_id, "round": rnd.pk, "creditor": creditor, "price": price})
    return settlement
