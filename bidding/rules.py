"""Legal rules of live bidding, as pure functions ([A] = 法释〔2016〕18号).

Each check returns None when the bid may go on, or a Refusal whose `code` is one of the contract's
codes (too_low, not_on_increment, not_registered, not_open, closed, barred, rate_limited, invalid).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from auction_site.errors import ErrorCode, Refusal

OPEN_STATUSES = {"open"}
NOT_YET_STATUSES = {"draft", "announced", "suspended"}


# A20/A28: bids are taken only while the round is open, between its start and its (extended) end.
def check_round_accepts_bids(status: str, now: datetime, starts_at: datetime, ends_at: datetime) -> Refusal | None:
    if status in NOT_YET_STATUSES:
        if status == "suspended":
            return Refusal(ErrorCode.NOT_OPEN, "拍卖已中止，暂停出价 / the round is suspended", "A28")
        return Refusal(ErrorCode.NOT_OPEN, "竞价尚未开始 / bidding has not opened", "A20")
    if status not in OPEN_STATUSES:
        return Refusal(ErrorCode.CLOSED, "竞价已结束 / bidding has ended", "A20")
    if now < starts_at:
        return Refusal(ErrorCode.NOT_OPEN, "竞价尚未开始 / bidding has not opened", "A20")
    if now >= ends_at:
        return Refusal(ErrorCode.CLOSED, "竞价已结束 / bidding has ended", "A20")
    return None


# A17/A18: only a bidder whose deposit is held (and so has a bidder code) may bid.
def check_registration(status: str | None, code: str | None) -> Refusal | None:
    if status == "held" and not code:
        # Joint and agent bidding (DOMAIN.md, People): a group's code is issued only once the court has
        # confirmed it (escrow.rules.code_may_issue), so a held registration without a code is a group
        # the court has not confirmed: it cannot bid yet.
        return Refusal(ErrorCode.NOT_REGISTERED, "联合竞买或委托竞买须经法院确认后方可出价 / a joint or agent registration bids only "
                                                 "once the court has confirmed it", reason=ErrorCode.GROUP_NOT_CONFIRMED.value)
    if status != "held" or not code:
        return Refusal(ErrorCode.NOT_REGISTERED, "须先报名并缴纳保证金方可出价 / register and pay the deposit before bidding", "A17")
    return None


# A19/A21: a priority holder outranks the leader when the leader has no rank or a worse (larger) rank.
def outranks(challenger_rank: int | None, leader_rank: int | None) -> bool:
    if challenger_rank is None:
        return False
    return leader_rank is None or challenger_rank < leader_rank


def min_valid_bid(starting_price: int, increment: int, current_price: int | None,
                  bidder_rank: int | None, leader_rank: int | None) -> int:
    """The least amount this bidder may bid now (A20, A21)."""
    if current_price is None:
        return starting_price
    if outranks(bidder_rank, leader_rank):
        return current_price  # A21: a priority holder may match the leader's price and take the lead
    return current_price + increment


# A20: first bid ≥ starting price; then whole increments above the current price. A21: priority match.
def check_amount(amount: int, *, starting_price: int, increment: int, current_price: int | None,
                 bidder_rank: int | None, leader_rank: int | None, is_leader: bool) -> Refusal | None:
    if is_leader:
        return Refusal(ErrorCode.INVALID, "您已是当前最高出价人，无需再次加价 / you already hold the highest bid", reason="already_leading")
    if current_price is None:
        if amount < starting_price:
            return Refusal(ErrorCode.TOO_LOW, f"首次出价不得低于起拍价 {starting_price} 分 / the first bid must be at least the starting price", "A20",
                           reason="below_start")
        if (amount - starting_price) % increment:
            return Refusal(ErrorCode.NOT_ON_INCREMENT, "出价须为起拍价加整数倍加价幅度 / bids rise in whole increments", "A20")
        return None
    least = min_valid_bid(starting_price, increment, current_price, bidder_rank, leader_rank)
    if amount < least:
        if amount == current_price and bidder_rank is not None:
            return Refusal(ErrorCode.TOO_LOW, "同价时优先顺位在前或在先出价者优先 / at an equal price the better priority rank, then the earlier bid, wins", "A21",
                           reason="priority_tie")
        return Refusal(ErrorCode.TOO_LOW, f"出价须不低于 {least} 分 / the bid must be at least {least} fen", "A20", reason="below_next")
    if (amount - current_price) % increment:
        return Refusal(ErrorCode.NOT_ON_INCREMENT, "出价须为当前价加整数倍加价幅度 / bids rise in whole increments above the current price", "A20")
    return None


def surely_too_low(amount: int, current_price: int | None, increment: int, bidder_rank: int | None) -> Refusal | None:
    """A20/A21 refusal that holds for good: prices never fall while a round is open, so a bid below what
    is needed at a price seen earlier is refused without waiting for the round's lock."""
    if current_price is None:
        return None
    least = current_price if bidder_rank is not None else current_price + increment
    if amount < least:
        return Refusal(ErrorCode.TOO_LOW, f"出价须不低于 {least} 分 / the bid must be at least {least} fen", "A20", reason="below_next")
    return None


# A26/A37: in a sell-off the buyer pays exactly the sell-off price; the first valid buy wins.
def check_selloff_amount(amount: int, price: int) -> Refusal | None:
    if amount < price:
        return Refusal(ErrorCode.TOO_LOW, f"变卖价格为 {price} 分 / the sell-off price is {price} fen", "A26", reason="selloff_fixed_price")
    if amount != price:
        return Refusal(ErrorCode.INVALID, f"变卖按固定价格 {price} 分成交 / a sell-off sells at the fixed price", "A26", reason="selloff_fixed_price")
    return None


# Not a legal rule but a safety net of the bid page: a bid more than this many increments above the current
# price (or the starting price before any bid) asks for a second, distinct confirmation.
LARGE_JUMP_INCREMENTS = 10


def is_large_jump(amount: int, *, current_price: int | None, starting_price: int, increment: int) -> bool:
    base = current_price if current_price is not None else starting_price
    return amount - base > LARGE_JUMP_INCREMENTS * increment


# A20: a bid in the last 5 minutes moves the end to bid time + 5 minutes, without limit.
EXTENSION = timedelta(minutes=5)


def extended_end(ends_at: datetime, bid_time: datetime) -> datetime:
    if ends_at - bid_time < EXTENSION:
        return max(ends_at, bid_time + EXTENSION)
    return ends_at


@dataclass(frozen=True)
class RankedBid:
    seq: int
    registration_id: int
    amount: int
    rank: int | None
    placed_at: datetime


# A20/A21: the winner is the highest amount; at an equal amount the better priority rank; same rank: the earlier bid.
def decide_winner(bids: list[RankedBid], ends_at: datetime) -> RankedBid | None:
    valid = [b for b in bids if b.placed_at < ends_at]
    if not valid:
        return None
    return min(valid, key=lambda b: (-b.amount, b.rank if b.rank is not None else 1 << 30, b.seq))


@dataclass(frozen=True)
class Proxy:
    registration_id: int
    rank: int | None
    ceiling: int
    set_at: datetime
    id: int


def _proxy_order(p: Proxy, reach: int):
    # The stronger proxy: higher reachable amount, then better priority rank, then the earlier ceiling
    # (eBay's rule for equal ceilings), then the lower id.
    return (-reach, p.rank if p.rank is not None else 1 << 30, p.set_at, p.id)


def resolve_proxies(*, starting_price: int, increment: int, current_price: int | None,
                    leader_id: int | None, leader_rank: int | None, proxies: list[Proxy],
                    max_rounds: int = 1000) -> list[tuple[int, int, int | None]]:
    """Proxy bids to place after the last bid: [(registration_id, amount, rank)] in order (A20, A21).

    Each step: the strongest proxy C that can take the lead from the leader L acts.
    - If L has no proxy, or C is stronger than L's proxy: C bids the least valid amount that L's proxy
      (if any) cannot beat (so a war against a weaker proxy takes one bid).
    - If L's proxy is stronger: C bids the most it can while L can still answer, and L's proxy answers
      with the minimum valid amount over it; if C has no such bid, C's proxy stays silent.
    Every placed amount is on the increment grid, respects A21's priority match and is by a bidder who
    is not the leader, so each proxy bid is a valid bid in its own right.
    """
    def reach(p: Proxy) -> int | None:
        if p.ceiling < starting_price:
            return None
        return starting_price + (p.ceiling - starting_price) // increment * increment

    by_reg = {p.registration_id: p for p in proxies}
    steps: list[tuple[int, int, int | None]] = []
    price, leader, lrank = current_price, leader_id, leader_rank
    silent: set[int] = set()
    for _ in range(max_rounds):
        able = []
        for p in proxies:
            r = reach(p)
            if p.registration_id == leader or p.registration_id in silent or r is None:
                continue
            if min_valid_bid(starting_price, increment, price, p.rank, lrank) <= r:
                able.append((p, r))
        if not able:
            break
        c, c_reach = min(able, key=lambda pr: _proxy_order(*pr))
        need_c = min_valid_bid(starting_price, increment, price, c.rank, lrank)
        lp = by_reg.get(leader) if leader is not None else None
        lp_reach = reach(lp) if lp is not None else None
        if lp is None or lp_reach is None or lp_reach < (price or 0) or _proxy_order(c, c_reach) < _proxy_order(lp, lp_reach):
            amount = need_c
            if lp is not None and lp_reach is not None:
                threshold = lp_reach + increment if outranks(lp.rank, c.rank) else lp_reach
                amount = max(amount, threshold)
            amount = min(amount, c_reach)
            steps.append((c.registration_id, amount, c.rank))
            price, leader, lrank = amount, c.registration_id, c.rank
            continue
        cap = lp_reach if outranks(lp.rank, c.rank) else lp_reach - increment
        c_last = min(c_reach, cap)
        if c_last < need_c:
            silent.add(c.registration_id)
            continue
        answer = c_last if outranks(lp.rank, c.rank) else c_last + increment
        steps.append((c.registration_id, c_last, c.rank))
        steps.append((lp.registration_id, answer, lp.rank))
        price, leader, lrank = answer, lp.registration_id, lp.rank
    return steps
