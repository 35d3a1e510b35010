"""Every write of live bidding: the bid engine and proxy ceilings.

`place_bid` is THE bid engine (websocket and HTTP share it): one transaction, one lock on the round
row, validation by `bidding.rules`, immutable Bids appended (bidding.store), the live state updated,
audit records in the round's chain, and the broadcast sent only after the commit (ARCHITECTURE.md, Bids).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from django.db import transaction

from auction_site import audit, clock
from auction_site.errors import DomainError, ErrorCode, NotFound
from auction_site.fields import parse_fen
from bidding import committer, events, rules, store, throttle
from bidding.models import ProxyBid
from escrow.models import Deposit, Registration
from escrow.rules import check_bidder_eligible, eligibility_violation, full_price_violation
from lots import deadlines, rounds
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
    reason: str = ""  # the refusal's finer reason (bidding.rules.Refusal.reason), for the page's message
    placed: list[PlacedBid] = field(default_factory=list)  # this bid and the proxy bids it triggered
    status: str | None = None  # the round's status after the bid (sold: a sell-off buy)

    def as_ack(self) -> dict:
        if self.accepted:
            return {"type": "ack", "request_id": self.request_id, "seq": self.seq, "amount": self.amount,
                    "current_price": self.current_price, "ends_at": self.ends_at.isoformat() if self.ends_at else None}
        rejected = {"type": "rejected", "request_id": self.request_id, "code": self.code, "message": self.message}
        if self.reason:
            rejected["reason"] = self.reason
        return rejected


def _refused(request_id: Any, refusal: rules.Refusal) -> BidResult:
    return BidResult(accepted=False, request_id=request_id, code=refusal.code, message=refusal.message, reason=refusal.reason or "")


def _selloff_unpaid(registration: store.Bidder, price: int) -> rules.Refusal | None:
    """A26/A37 (escrow.rules, the one place): a sell-off is bought only with the full price held."""
    held = Deposit.objects.filter(registration_id=registration.id, held_at__isnull=False).values_list("amount", flat=True).first()
    v = full_price_violation(Round.Kind.SELLOFF, held, price)
    return rules.Refusal(ErrorCode.NOT_REGISTERED, v.message, v.article, reason=str(v.code)) if v else None


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
    return _barred_by(check_bidder_eligible(user, rnd), user.pk, rnd.pk)


def _barred_by(violation, user_id: int, round_id: int) -> rules.Refusal | None:
    """The refusal for escrow's eligibility answer (None: eligible, remembered for a while)."""
    key = (user_id, round_id)
    if violation is None:
        if len(_ELIGIBLE_CACHE) > 100_000:
            _ELIGIBLE_CACHE.clear()
        _ELIGIBLE_CACHE[key] = time.monotonic() + ELIGIBLE_CACHE_SECONDS
        return None
    _ELIGIBLE_CACHE.pop(key, None)
    if violation.code == ErrorCode.NOT_A_BIDDER:
        return rules.Refusal(ErrorCode.NOT_REGISTERED, violation.message, violation.article)
    return rules.Refusal(ErrorCode.BARRED, violation.message, violation.article)


_RATE_LIMITED = rules.Refusal(ErrorCode.RATE_LIMITED, "出价过于频繁，请稍后再试 / too many bids, slow down")


def _bidder_refusal(registration: store.Bidder | None, facts, user_id: int, round_id: int) -> rules.Refusal | None:
    """A registration that may not bid (A17/A18), or, when its eligibility facts were read, a bidder
    escrow bars (A24/A34)."""
    refusal = rules.check_registration(registration.status if registration else None, registration.code if registration else None)
    if refusal is None and facts is not None:
        refusal = _barred_by(eligibility_violation(facts), user_id, round_id)
    return refusal


def _user_id(user) -> int | None:
    return user.pk if user is not None and getattr(user, "is_authenticated", False) else None


@dataclass
class BidAttempt:
    """One bid as received (websocket frame or HTTP request), not yet validated."""

    user: Any
    amount: Any
    request_id: Any = None
    via: str = "ws"


def _screen(attempts: list[BidAttempt], results: list[BidResult | None]) -> list[tuple[int, BidAttempt, int, int]]:
    """The checks that need nothing but the attempt (the amount's form, a logged-in bidder): the
    refusals go into `results`; returns the rest as (index, attempt, user id, amount in fen)."""
    pending = []
    for i, attempt in enumerate(attempts):
        try:
            amount = parse_fen(attempt.amount)
        except ValueError:
            results[i] = _refused(attempt.request_id, rules.Refusal(
                ErrorCode.INVALID, "金额须为以分为单位的正整数 / amount must be a positive integer number of fen"))
            continue
        uid = _user_id(attempt.user)
        if uid is None:
            results[i] = _refused(attempt.request_id, rules.Refusal(
                ErrorCode.NOT_REGISTERED, "请先登录并报名缴纳保证金 / log in, register and pay the deposit first", "A17"))
            continue
        pending.append((i, attempt, uid, amount))
    return pending


def _within_rate(pending: list[tuple[int, BidAttempt, int, int]], round_of: Callable[[int], int],
                 results: list) -> list[tuple[int, BidAttempt, int, int]]:
    """The per-bidder rate limit of `pending` (from `_screen`; `round_of(index)`: the attempt's round),
    counted in one Redis command: the refusals go into `results`; returns the attempts within it."""
    allowed = throttle.allow_pairs([(uid, round_of(i)) for i, _, uid, _ in pending])
    for (i, attempt, _, _), ok in zip(pending, allowed):
        if not ok:
            results[i] = _refused(attempt.request_id, _RATE_LIMITED)
    return [p for p, ok in zip(pending, allowed) if ok]


def place_bid(user, /, *, round_id: int, amount: Any, request_id: Any = None, via: str = "ws") -> BidResult:
    """Place a bid of `amount` fen on the round for `user`; the result is accepted only once committed.

    Outside a transaction of the caller's on PostgreSQL, the bid goes to this process's cross-round
    group commit (bidding.committer), with the single bids other threads place on other rounds."""
    return place_one(round_id, BidAttempt(user, amount, request_id, via))


def place_one(round_id: int, attempt: BidAttempt, *, on_locked: Callable[[], None] | None = None) -> BidResult:
    """`place_bid` for an attempt as received (a lone websocket bid: `on_locked` as for `place_bids`)."""
    if not committer.enabled():
        return place_bids(round_id, [attempt], on_locked=on_locked)[0]
    return _ACROSS.place(round_id, attempt, on_locked)


async def place_one_async(round_id: int, attempt: BidAttempt, *, on_locked: Callable[[], None] | None = None) -> BidResult:
    """`place_one` awaited on an event loop (a socket's lone bid), for a loop whose thread is outside
    any transaction on PostgreSQL (`committer.enabled()`): the bid joins the cross-round group commit
    without a worker thread waiting for it."""
    return await _ACROSS.place_async(round_id, attempt, on_locked)


def _try_again(attempt: BidAttempt) -> BidResult:
    return BidResult(accepted=False, request_id=attempt.request_id, code=ErrorCode.INVALID,
                     message="出价未能处理，请重试 / the bid could not be processed, try again")


def place_bids(round_id: int, attempts: list[BidAttempt], *, on_locked: Callable[[], None] | None = None,
               counted: bool = False) -> list[BidResult]:
    """Place several bids on ONE round in ONE transaction (group commit), in the given (arrival) order.

    Each attempt gets exactly the outcome it would get if the attempts were placed one by one with
    `place_bid` in that order at the time of the lock: the checks that need no lock (amount format,
    rate limit, registration, eligibility, a price already seen) run first; then the round row is
    locked once (bidding.store), the bid time read once under the lock (A20: all bids of the batch
    are accepted at that instant, by the one commit), and every remaining attempt is validated by
    `bidding.rules` against the live state as the earlier bids of the batch left it. The accepted
    bids, their audit records (the round's chain) and the live state are written together, then
    committed; the results (acks) are returned only after the commit and the broadcast is
    registered with on_commit. Raises NotFound when the round does not exist.
    """
    results: list[BidResult | None] = [None] * len(attempts)
    pending = _screen(attempts, results)
    if pending and not counted:  # counted: the caller counted the attempts against the rate limit
        pending = _within_rate(pending, lambda i: round_id, results)
    if not pending:
        return results  # type: ignore[return-value]
    if len(pending) == 1 and store.reads_bidder_with_lock():
        # A lone bid (HTTP, a quiet round's socket): its registration and eligibility are read with the
        # round's lock, in the same round trip, instead of by a query before it.
        i, attempt, uid, amount = pending[0]
        with transaction.atomic():
            rnd, _, sold = _place_locked(round_id, [(i, attempt, None, amount)], results, on_locked, lone=uid)  # type: ignore[list-item]
            if sold:
                _record_selloff_sale(rnd, rnd.closed_at)
        return results  # type: ignore[return-value]

    # The round as last committed and the bidders' registrations, in one query without a lock; on
    # PostgreSQL with the eligibility facts (A24/A34) of the bidders not checked lately (store.seen_sql).
    bidder_ids = sorted({p[2] for p in pending})
    unchecked = [uid for uid in bidder_ids if not _recently_eligible(uid, round_id)]
    seen = store.seen(round_id, bidder_ids, unchecked)
    if seen is None:
        raise NotFound("拍卖轮次不存在 / no such round")
    full_round: Round | None = None
    candidates: list[tuple[int, BidAttempt, store.Bidder, int]] = []
    for i, attempt, uid, amount in pending:
        registration = seen.registrations.get(uid)
        refusal = rules.check_registration(registration.status if registration else None, registration.code if registration else None)
        if refusal is None and seen.status == Status.OPEN and seen.kind == Round.Kind.AUCTION:
            # read without the lock: prices only rise while a round is open
            refusal = rules.surely_too_low(amount, seen.current_price, seen.increment, registration.priority_rank)
        if refusal is None and not _recently_eligible(uid, round_id):
            facts = seen.facts.get(uid)
            if facts is not None:
                refusal = _barred_by(eligibility_violation(facts), uid, round_id)
            else:  # SQLite (the embedded mode): escrow gathers the facts with the ORM
                if full_round is None:
                    full_round = Round.objects.select_related("lot__case").get(pk=round_id)
                refusal = _barred(attempt.user, full_round)
        if refusal:
            results[i] = _refused(attempt.request_id, refusal)
        else:
            candidates.append((i, attempt, registration, amount))
    if not candidates:
        return results  # type: ignore[return-value]

    with transaction.atomic():
        rnd, placed_all, sold = _place_locked(round_id, candidates, results, on_locked)
        if sold:
            _record_selloff_sale(rnd, rnd.closed_at)  # ORM writes: after the pipeline of the bids
    return results  # type: ignore[return-value]


def place_across(items: list[tuple[int, BidAttempt]], *,
                 on_locked: list[Callable[[], None] | None] | None = None) -> list[BidResult | DomainError]:
    """Place bids on MANY rounds in ONE transaction (the cross-round group commit of bidding.committer):
    each (round id, attempt) gets the outcome `place_bids(round id, [attempt])` would give it, in the
    given order per round.

    One Redis command counts the rate limit; then ONE transaction: one round trip reads every pair's
    registration (and the eligibility facts not checked lately: A24/A34) and locks all their rounds in
    id order (bidding.store.locked_rounds); each round's attempts are validated by `bidding.rules`
    against its live state; every bid, audit record and live state is written in one statement with
    the COMMIT. The results are returned only after the commit. A sell-off (A26/A37, bought with the
    full price held) is placed on its own by `place_bids` after that; a round that does not exist
    gets NotFound. `on_locked`: per item, called once its round is locked for it (see `place_bids`);
    for a sell-off only once its bid is placed, so that a later buyer never overtakes it. PostgreSQL only."""
    results: list[BidResult | DomainError | None] = [None] * len(items)
    pending = _screen([attempt for _, attempt in items], results)  # type: ignore[arg-type]
    pending = _within_rate(pending, lambda i: items[i][0], results)
    if not pending:
        return results  # type: ignore[return-value]
    selloffs: dict[int, list[int]] = {}  # round id -> indexes placed by place_bids
    # First without waiting for any lock: the rounds another process's batch holds right now are left
    # for a second transaction, after this one's commit, so that a batch never holds its rounds while
    # it waits for another's (two processes' batches on the same rounds would otherwise queue in turn).
    busy = _place_locked_across(items, pending, results, on_locked, selloffs, skip_locked=True)
    # From here on part of the batch is committed: a failure refuses only the bids it concerns.
    if busy:
        waited: dict[int, list[int]] = {}  # its sell-offs, kept only if it worked (else they are refused)
        if _after_commit(partial(_place_locked_across, items, busy, results, on_locked, waited, skip_locked=False),
                         [i for i, *_ in busy], items, results):
            for rid, indexes in waited.items():
                selloffs.setdefault(rid, []).extend(indexes)
    for rid, indexes in selloffs.items():
        _after_commit(partial(_place_selloff, rid, indexes, items, results), indexes, items, results)
    return results  # type: ignore[return-value]


def _place_selloff(round_id: int, indexes: list[int], items: list[tuple[int, BidAttempt]],
                   results: list[BidResult | DomainError | None]) -> None:
    for i, result in zip(indexes, place_bids(round_id, [items[i][1] for i in indexes], counted=True)):
        results[i] = result


def _after_commit(work: Callable[[], Any], indexes: list[int], items: list[tuple[int, BidAttempt]],
                  results: list[BidResult | DomainError | None]) -> bool:
    """Run a later transaction of a batch whose first one committed: if it fails, the bids at `indexes`
    are refused (the bidder may try again) and the committed ones stand. Whether it worked."""
    try:
        work()
    except Exception:
        logger.exception("part of a cross-round bid batch failed (%d bids refused)", len(indexes))
        for i in indexes:
            results[i] = _try_again(items[i][1])
        return False
    return True


def _place_locked_across(items: list[tuple[int, BidAttempt]], pending: list[tuple[int, BidAttempt, int, int]],
                         results: list[BidResult | DomainError | None], on_locked: list[Callable[[], None] | None] | None,
                         selloffs: dict[int, list[int]], *, skip_locked: bool) -> list[tuple[int, BidAttempt, int, int]]:
    """ONE transaction of `place_across` for the `pending` (index, attempt, bidder id, amount): their
    rounds locked in id order, each round's attempts validated and applied, all written with the
    COMMIT. Sell-off items are noted in `selloffs` for `place_bids`. Returns the pending items whose
    round was busy (`skip_locked` only): nothing was done for them."""
    pairs = sorted({(items[i][0], uid) for i, _, uid, _ in pending})
    expected: dict[int, int] = {}
    for i, *_ in pending:
        expected[items[i][0]] = expected.get(items[i][0], 0) + 1
    left: list[tuple[int, BidAttempt, int, int]] = []
    with transaction.atomic(), store.locked_rounds([(rid, uid, not _recently_eligible(uid, rid)) for rid, uid in pairs],
                                                   expected, skip_locked=skip_locked) as (batches, seen, busy):
        by_round: dict[int, list[tuple[int, BidAttempt, store.Bidder, int]]] = {}
        for entry in pending:
            i, attempt, uid, amount = entry
            rid = items[i][0]
            batch = batches.get(rid)
            if batch is None:
                if rid in busy:
                    left.append(entry)
                else:
                    results[i] = NotFound("拍卖轮次不存在 / no such round")
                continue
            if batch.round.kind != Round.Kind.AUCTION:
                selloffs.setdefault(rid, []).append(i)
                continue
            if on_locked and on_locked[i]:
                on_locked[i]()  # type: ignore[misc]
            registration = seen[(rid, uid)].registration
            refusal = _bidder_refusal(registration, seen[(rid, uid)].facts, uid, rid)
            if refusal:
                results[i] = _refused(attempt.request_id, refusal)
            else:
                by_round.setdefault(rid, []).append((i, attempt, registration, amount))
        now = clock.now()  # bid time = server clock at acceptance, read under the locks (A20)
        published = []
        for rid, candidates in by_round.items():
            placed, _ = _apply(batches[rid], candidates, results, now)  # type: ignore[arg-type]
            if placed:
                published.append((rid, _bid_events(batches[rid].round, placed)))
        store.flush_rounds(list(batches.values()))
        if published:
            transaction.on_commit(lambda: events.publish_rounds(published))
    return left


# This process's cross-round group commit (bidding.committer); BIDDING_ACROSS_THREADS committer threads.
_ACROSS = committer.Committer(lambda items: place_across([(rid, attempt) for rid, attempt, _ in items],
                                                         on_locked=[on for _, _, on in items]),
                              _try_again, threads=int(os.environ.get("BIDDING_ACROSS_THREADS", "1")))


def _place_locked(round_id: int, candidates: list[tuple[int, BidAttempt, store.Bidder, int]], results: list[BidResult | None],
                  on_locked: Callable[[], None] | None, *, lone: int | None = None) -> tuple[store.LiveRound, list[PlacedBid], bool]:
    """The part of `place_bids` under the round's lock: validate each candidate against the live state,
    append the accepted bids, write them with their records and the live state (one pipeline).
    `lone`: the bidder of a single candidate whose registration and eligibility are read with the lock."""
    with_facts = lone is not None and not _recently_eligible(lone, round_id)
    with store.locked_round(round_id, expected=len(candidates), bidder_id=lone, with_facts=with_facts) as batch:
        rnd = batch.round
        if on_locked is not None:
            on_locked()  # the socket batcher may now cut its next batch (it queues behind this lock)
        if lone is not None:
            (i, attempt, _, amount), = candidates
            registration = batch.bidder
            refusal = _bidder_refusal(registration, batch.facts, lone, round_id)
            if refusal:
                results[i] = _refused(attempt.request_id, refusal)
                return rnd, [], False
            candidates = [(i, attempt, registration, amount)]  # type: ignore[list-item]
        now = clock.now()  # bid time = server clock at acceptance, read under the lock (A20)
        placed_all, sold = _apply(batch, candidates, results, now)
        if placed_all:
            _broadcast_on_commit(rnd, placed_all)
            batch.flush(commit=not sold)  # a sell-off's sale is written after the pipeline, then committed
    return rnd, placed_all, sold


def _apply(batch: store.LockedRound, candidates: list[tuple[int, BidAttempt, store.Bidder, int]], results: list[BidResult | None],
           now: datetime) -> tuple[list[PlacedBid], bool]:
    """Validate each candidate, in order, against the live state of the locked round as the earlier
    ones left it; append the accepted bids and the proxy bids they trigger. Returns the bids placed and
    whether a sell-off was bought (A26/A37)."""
    rnd = batch.round
    placed_all: list[PlacedBid] = []
    sold = False
    for i, attempt, registration, amount in candidates:
        refusal = _check_locked(rnd, registration, amount, now)
        if refusal is None and rnd.kind == Round.Kind.SELLOFF:
            refusal = _selloff_unpaid(registration, rnd.starting_price)  # A26/A37: the full price held
        if refusal:
            results[i] = _refused(attempt.request_id, refusal)
            continue
        end_before = rnd.ends_at
        placed = [_append_bid(batch, registration, amount, now, proxy=False, actor=attempt.user, via=attempt.via)]
        if rnd.kind == Round.Kind.SELLOFF:
            sold = True  # A26/A37: the first buyer at the full price buys; the round closes as sold
            rnd.status = Status.SOLD  # the attempts after it in this batch are refused as closed
            rnd.closed_at = now
        elif rnd.proxy_bidding_enabled:
            placed.extend(_run_proxies(batch, now))
        placed_all.extend(placed)
        results[i] = BidResult(
            accepted=True, request_id=attempt.request_id, seq=placed[0].seq, amount=amount, current_price=rnd.current_price,
            ends_at=rnd.ends_at, bidder_code=registration.code, placed=placed, status=rnd.status,
            extended=rnd.kind == Round.Kind.AUCTION and rnd.ends_at != end_before,
        )
    return placed_all, sold


def _check_locked(rnd: store.LiveRound, registration: store.Bidder, amount: int, now: datetime) -> rules.Refusal | None:
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
        is_leader=leader is not None and leader.id == registration.id,
    )


def _append_bid(batch: store.LockedRound, registration: store.Bidder, amount: int, now: datetime, *, proxy: bool, actor,
                via: str) -> PlacedBid:
    """Append one immutable Bid to the batch and move the live state (written once by batch.flush())."""
    rnd = batch.round
    leader = rnd.leader
    is_priority = bool(
        registration.priority_rank is not None and rnd.current_price is not None and amount == rnd.current_price
        and rules.outranks(registration.priority_rank, leader.priority_rank if leader else None)
    )
    rnd.seq += 1
    rnd.bid_count += 1
    before_end = rnd.ends_at
    if rnd.kind == Round.Kind.AUCTION:
        rnd.ends_at = rules.extended_end(rnd.ends_at, now)  # A20: a bid in the last 5 minutes moves the end
    rnd.current_price = amount
    rnd.leader, rnd.leader_id = registration, registration.id
    batch.add_bid(registration, amount, now, priority=is_priority, proxy=proxy, entry=audit.entry(
        "bid.placed", object_type="bidding.bid", actor=actor, data={
            "round": rnd.id, "seq": rnd.seq, "code": registration.code, "amount": amount, "priority": is_priority, "proxy": proxy,
            "via": via, "ends_at": rnd.ends_at, "extended_from": before_end if rnd.ends_at != before_end else None,
        }))
    return PlacedBid(seq=rnd.seq, code=registration.code or "", amount=amount, at=now, priority=is_priority, proxy=proxy)


def _bid_events(rnd: store.LiveRound, placed: list[PlacedBid]) -> list[dict]:
    # each accepted bid sets the current price to its amount
    return [events.bid_event(seq=p.seq, code=p.code, amount=p.amount, at=p.at, priority=p.priority, current_price=p.amount,
                             ends_at=rnd.ends_at, proxy=p.proxy) for p in placed]


def _broadcast_on_commit(rnd: store.LiveRound, placed: list[PlacedBid]) -> None:
    round_id, messages = rnd.id, _bid_events(rnd, placed)
    transaction.on_commit(lambda: events.publish_events(round_id, messages))


def _record_selloff_sale(rnd: store.LiveRound, now: datetime) -> None:
    """A26/A37 sell-off bought: the round becomes sold through the round's state machine (lots.rounds)."""
    row = Round(pk=rnd.id, lot_id=rnd.lot_id, status=Status.OPEN, kind=rnd.kind, seq=rnd.seq, ends_at=rnd.ends_at,
                current_price=rnd.current_price, leader_id=rnd.leader_id)
    row.closed_at, row.sold_price = now, rnd.current_price
    row.balance_due_at = deadlines.balance_due_by(now, rnd.balance_due_days)  # A25
    rounds.change_status(row, Status.SOLD, actor="engine", fields=["closed_at", "sold_price", "balance_due_at"], data={
        "kind": "selloff", "sold_price": rnd.current_price, "leader": rnd.leader.code if rnd.leader else None, "closed_at": now})
    rnd.seq = row.seq


# ------------------------------------------------------------------------------------------ proxy bids


def _run_proxies(batch: store.LockedRound, now: datetime) -> list[PlacedBid]:
    """代理出价: place, inside this transaction, the proxy bids the rules call for (rules.resolve_proxies)."""
    rnd = batch.round
    held = Registration.Status.HELD
    proxies = ProxyBid.objects.filter(round_id=rnd.id, active=True, registration__status=held).select_related("registration").only(
        "id", "ceiling", "set_at", "registration__id", "registration__bidder_id", "registration__status", "registration__code",
        "registration__priority_rank")
    rows = list(proxies.filter(ceiling__gt=rnd.current_price or 0))
    if not rows and rnd.current_price is not None:
        # A proxy whose ceiling equals the current price may still match it with a priority rank (A21).
        rows = list(proxies.filter(ceiling=rnd.current_price, registration__priority_rank__isnull=False))
    if not rows:
        return []
    regs = {p.registration.pk: _bidder(p.registration) for p in rows}
    leader = rnd.leader
    steps = rules.resolve_proxies(
        starting_price=rnd.starting_price, increment=rnd.increment, current_price=rnd.current_price,
        leader_id=leader.id if leader else None, leader_rank=leader.priority_rank if leader else None,
        proxies=[rules.Proxy(p.registration.pk, p.registration.priority_rank, p.ceiling, p.set_at, p.pk) for p in rows],
    )
    return [_append_bid(batch, regs[reg_id], amount, now, proxy=True, actor="proxy", via="proxy") for reg_id, amount, _rank in steps]


def _bidder(reg: Registration) -> store.Bidder:
    return store.Bidder(reg.pk, reg.bidder_id, reg.status, reg.code, reg.priority_rank)


def set_proxy(user, /, *, round_id: int, ceiling: Any) -> dict:
    """Set (or change) the caller's proxy ceiling; if they are not leading, the engine may bid for them at once."""
    try:
        ceiling = parse_fen(ceiling)
    except ValueError:
        raise DomainError(ErrorCode.INVALID, "上限须为以分为单位的正整数 / the ceiling must be a positive integer number of fen")
    uid = _user_id(user)
    if uid is None:
        raise DomainError(ErrorCode.NOT_REGISTERED, "请先登录并报名 / log in and register first", status=403)
    full_round = Round.objects.select_related("lot__case").filter(pk=round_id).first()
    if full_round is None:
        raise NotFound("拍卖轮次不存在 / no such round")
    barred = _barred(user, full_round)
    if barred:
        raise DomainError(barred.code, barred.message, status=403)
    with transaction.atomic(), store.locked_round(round_id, expected=4, pipelined=False) as batch:
        rnd = batch.round
        if not rnd.proxy_bidding_enabled or rnd.kind != Round.Kind.AUCTION:
            raise DomainError(ErrorCode.INVALID, "本场拍卖未开通代理出价 / proxy bidding is not enabled for this round")
        registration = Registration.objects.filter(round_id=round_id, bidder_id=uid).first()
        refusal = rules.check_registration(registration.status if registration else None, registration.code if registration else None)
        if refusal:
            raise DomainError(refusal.code, refusal.message, status=403)
        now = clock.now()
        if rnd.status not in {Status.ANNOUNCED, Status.OPEN} or (rnd.status == Status.OPEN and now >= rnd.ends_at):
            raise DomainError(ErrorCode.CLOSED if rnd.status not in rules.NOT_YET_STATUSES else ErrorCode.NOT_OPEN,
                              "当前不能设置代理出价 / proxy bids can be set only before the round ends", status=409)
        leader = rnd.leader
        least = rules.min_valid_bid(rnd.starting_price, rnd.increment, rnd.current_price, registration.priority_rank,
                                    leader.priority_rank if leader else None)
        if leader is not None and leader.id == registration.pk:
            least = rnd.current_price or least
        if ceiling < least:
            raise DomainError(ErrorCode.TOO_LOW, f"代理上限须不低于 {least} 分 / the ceiling must be at least {least} fen", status=409)
        proxy, created = ProxyBid.objects.select_for_update(of=("self",)).get_or_create(
            round_id=round_id, registration=registration, defaults={"ceiling": ceiling, "set_at": now})
        if not created:
            proxy.ceiling, proxy.set_at, proxy.active = ceiling, now, True
            proxy.save(update_fields=["ceiling", "set_at", "active"])
        batch.note(audit.entry("proxy.set", proxy, actor=user, data={"round": round_id, "code": registration.code, "ceiling": ceiling}))
        placed: list[PlacedBid] = []
        if rnd.status == Status.OPEN and now >= rnd.starts_at:
            placed = _run_proxies(batch, now)
        batch.flush()
        if placed:
            _broadcast_on_commit(rnd, placed)
    return {"ceiling": ceiling, "code": registration.code, "set_at": now.isoformat(),
            "placed": [{"seq": p.seq, "amount": p.amount, "code": p.code} for p in placed],
            "current_price": rnd.current_price, "leader_code": rnd.leader.code if rnd.leader else None}


def open_with_proxies(round_id: int) -> list[PlacedBid]:
    """An open round without bids whose bidders set proxy ceilings beforehand: the proxies place the
    opening bids (the same resolution as after any bid). Called by the clock; idempotent."""
    with transaction.atomic(), store.locked_round(round_id, expected=2, pipelined=False) as batch:
        rnd = batch.round
        if rnd.status != Status.OPEN or rnd.bid_count or not rnd.proxy_bidding_enabled or rnd.kind != Round.Kind.AUCTION:
            return []
        now = clock.now()
        if rules.check_round_accepts_bids(rnd.status, now, rnd.starts_at, rnd.ends_at):
            return []
        placed = _run_proxies(batch, now)
        if placed:
            batch.flush()
            _broadcast_on_commit(rnd, placed)
    return placed
