"""Legal rules for lots and rounds, as pure functions ([A] = 法释〔2016〕18号, [C] = 2020 amendment).

Durations are legal values, not settings. Each check returns None when satisfied or a Refusal.
"""

from datetime import datetime, timedelta

from auction_site.errors import ErrorCode, Refusal

# The deadlines themselves (A12/A26 notice, A16, A25, A28) are computed in lots.deadlines, the one module
# of every legal deadline; the checks below apply them.
from lots.deadlines import (  # noqa: F401  (re-exported: lots.rules is where callers look for them)
    DEFAULT_BALANCE_DAYS,
    PARTY_NOTICE_BEFORE_ANNOUNCEMENT,
    REAL_ESTATE_LIKE,
    RESUME_WITHIN,
    min_notice,
    publishable_from,
)
from lots.deadlines import resume_due_by as resume_deadline

# A10: in round 1 the starting price (= reserve) is at least 70% of the reference price.
FIRST_ROUND_MIN_PERCENT = 70


def check_starting_price(starting_price: int, reference_price: int | None, round_number: int) -> Refusal | None:
    if round_number != 1:
        return None
    if reference_price is None:
        return Refusal(ErrorCode.NO_REFERENCE_PRICE, "一拍须先确定参考价 / round 1 needs a reference price", "A10", "starting_price")
    if starting_price * 100 < reference_price * FIRST_ROUND_MIN_PERCENT:
        minimum = -(-reference_price * FIRST_ROUND_MIN_PERCENT // 100)
        return Refusal(ErrorCode.STARTING_PRICE_TOO_LOW, f"一拍起拍价不得低于参考价的70%（至少 {minimum} 分）/ round-1 starting price must be ≥ 70% of the reference price", "A10", "starting_price")
    return None


# A12: announcement before bidding opens: movables ≥15 days; real estate and other property rights ≥30 days.
# A26: re-auction notice: movables 7 days, real estate 15 days (lots.deadlines.min_notice).
def check_notice(category: str, round_number: int, published_at: datetime, starts_at: datetime) -> Refusal | None:
    need = min_notice(category, round_number)
    if starts_at - published_at < need:
        article = "A12" if round_number == 1 else "A26"
        return Refusal(ErrorCode.NOTICE_TOO_SHORT, f"公告期不足 {need.days} 日 / at least {need.days} days' notice before bidding opens", article, "starts_at")
    return None


# A17: deposit 5%–20% of the starting price.
DEPOSIT_MIN_PERCENT, DEPOSIT_MAX_PERCENT = 5, 20


def check_deposit(deposit: int, starting_price: int) -> Refusal | None:
    if deposit * 100 < starting_price * DEPOSIT_MIN_PERCENT or deposit * 100 > starting_price * DEPOSIT_MAX_PERCENT:
        return Refusal(ErrorCode.DEPOSIT_OUT_OF_RANGE, "保证金应为起拍价的5%至20% / deposit must be 5%–20% of the starting price", "A17", "deposit")
    return None


# A20: bidding lasts at least 24 hours.
MIN_BIDDING_PERIOD = timedelta(hours=24)


def check_bidding_period(starts_at: datetime, ends_at: datetime) -> Refusal | None:
    if ends_at - starts_at < MIN_BIDDING_PERIOD:
        return Refusal(ErrorCode.BIDDING_PERIOD_TOO_SHORT, "竞价时间不得少于24小时 / bidding lasts at least 24 hours", "A20", "ends_at")
    return None


def check_increment(increment: int, starting_price: int) -> Refusal | None:
    # A20: bids rise in whole increments set by the court; an increment above the start price is absurd.
    if increment <= 0 or increment > starting_price:
        return Refusal(ErrorCode.INCREMENT_INVALID, "加价幅度须为正且不超过起拍价 / increment must be positive and not above the starting price", "A20", "increment")
    return None


# A13–14: what must be published with the announcement.
REQUIRED_DISCLOSURES = {
    "announcement": "拍卖公告",
    "description": "标的物介绍",
    "judgment_enforced": "执行依据",
    "title_status": "权属情况",
    "occupancy": "占有使用情况",
    "defects_and_encumbrances": "瑕疵与权利负担",
    "transfer_tax_payer": "税费承担",
    "court_contact": "法院联系方式",
}


DISCLOSURES_EN = {
    "announcement": "the text of the auction announcement",
    "description": "a description of the property",
    "judgment_enforced": "the judgment enforced",
    "title_status": "the property's title",
    "occupancy": "who occupies or uses it",
    "defects_and_encumbrances": "its defects and encumbrances",
    "transfer_tax_payer": "who pays the transfer taxes",
    "court_contact": "the court's contact",
}


def check_disclosures(present: dict[str, bool], has_photo: bool, has_valuation_report: bool) -> list[Refusal]:
    out = [
        Refusal(ErrorCode(f"missing_{key}"), f"公告须载明{label} / the announcement must state {DISCLOSURES_EN[key]}", "A13",
                "announcement" if key == "announcement" else None)
        for key, label in REQUIRED_DISCLOSURES.items() if not present.get(key)
    ]
    if not has_photo:
        out.append(Refusal(ErrorCode.MISSING_PHOTOS, "须公示标的物图片 / photos of the property must be published", "A14"))
    if not has_valuation_report:
        out.append(Refusal(ErrorCode.MISSING_VALUATION_REPORT, "须公示评估/询价报告或参考价依据 / the valuation report or reference price basis must be published", "A13"))
    return out


# A16: the court notifies the parties (and known priority holders) at least 3 days before the announcement.
# The judge records the notice on the draft (lots.services.notify_parties); publication waits 3 full days
# (lots.deadlines.publishable_from).
def check_parties_notified(parties_notified_at: datetime | None, published_at: datetime) -> Refusal | None:
    if parties_notified_at is None:
        return Refusal(ErrorCode.PARTIES_NOT_NOTIFIED, "发布公告前须通知当事人（至少提前3日）/ the parties must be notified at least 3 days before the announcement", "A16")
    if published_at < publishable_from(parties_notified_at):
        return Refusal(ErrorCode.PARTY_NOTICE_TOO_SHORT, "通知当事人后须满3日方可发布公告 / the announcement may be published only 3 days after the parties were notified", "A16")
    return None


# The parties of a case (当事人: the applicant and the debtor) act on the platform through accounts the court's judge
# links to the case. Only a party or bidder account is linked (not a judge's, a valuer's or an operator's), and one
# account is one party of a case: it cannot be the applicant and the debtor at once.
PARTY_ACCOUNT_ROLES = frozenset({"party", "bidder"})


def check_party_account(role: str, sides_already: set[str], side: str) -> Refusal | None:
    if role not in PARTY_ACCOUNT_ROLES:
        return Refusal(ErrorCode.PARTY_ACCOUNT_ROLE, "只能关联当事人或竞买人账户 / only a party or bidder account can be a party of a case", None, "account")
    if sides_already - {side}:
        return Refusal(ErrorCode.PARTY_ALREADY_LINKED, "该账户已是本案另一方当事人 / this account is already the other side of this case", None, "account")
    return None


# B27: a reference price is valid at most one year; the first auction must be announced within its
# validity; a later round may still use it up to 6 months after it expired (then a new price is fixed).
GRACE_AFTER_EXPIRY = timedelta(days=183)


def check_reference_price_usable(valid_until: datetime | None, now: datetime, round_number: int) -> Refusal | None:
    """May a round with this number be published now on a reference price valid until `valid_until`?"""
    if valid_until is None:
        return None  # a judge-entered price without a validity (platform issue) is checked by its source
    if round_number == 1 and now > valid_until:
        return Refusal(ErrorCode.REFERENCE_PRICE_EXPIRED, "参考价已过有效期，一拍须在有效期内公告 / the reference price has expired", "B27")
    if round_number > 1 and now > valid_until + GRACE_AFTER_EXPIRY:
        return Refusal(ErrorCode.REFERENCE_PRICE_EXPIRED, "参考价有效期届满超过六个月，须重新确定参考价 / more than 6 months past expiry: fix a new price", "B27")
    return None


# A26: after a failed round, re-auction within 30 days, starting price cut at most 20% of the previous.
REAUCTION_WITHIN = timedelta(days=30)
MAX_CUT_PERCENT = 20


def min_reauction_start(previous_start: int) -> int:
    return -(-previous_start * (100 - MAX_CUT_PERCENT) // 100)


def check_reauction_price(starting_price: int, previous_start: int) -> Refusal | None:
    if starting_price < min_reauction_start(previous_start):
        return Refusal(ErrorCode.CUT_TOO_DEEP, "再次拍卖降价不得超过前次起拍价的20% / re-auction may cut at most 20% of the previous starting price", "A26", "starting_price")
    if starting_price > previous_start:
        return Refusal(ErrorCode.REAUCTION_PRICE_HIGHER, "再次拍卖起拍价不得高于前次 / re-auction starting price cannot exceed the previous one", "A26", "starting_price")
    return None


def check_reauction_timing(previous_closed_at: datetime, starts_at: datetime) -> Refusal | None:
    if starts_at - previous_closed_at > REAUCTION_WITHIN:
        return Refusal(ErrorCode.REAUCTION_TOO_LATE, "流拍后应在30日内再次拍卖 / re-auction must open within 30 days of the failure", "A26", "starts_at")
    return None


# A26/A37 and [C]: after a second failure, an online sell-off for 60 days at the round-2 starting price.
SELLOFF_PERIOD = timedelta(days=60)

# A28: after suspension, resume within 5 days once the cause ends (lots.deadlines.resume_due_by). The judge
# records when the cause ended (lots.services.record_suspension_cause_ended); a later resume is allowed but
# audited as late.
def resume_is_late(cause_ended_at: datetime | None, resumed_at: datetime) -> bool:
    """A28: True when the round is resumed after the 5 days that follow the end of the cause."""
    return cause_ended_at is not None and resumed_at > resume_deadline(cause_ended_at)

# A25: balance due by the deadline in the announcement (typically 10 days): lots.deadlines.balance_due_by.

# ---------------------------------------------------------------------------------------- round states
# The round's state machine: every move a round's status may make, with the article that allows it.
# lots.rounds.change_status is the only code that changes a status, and it refuses any other move;
# on PostgreSQL a trigger (migration lots 0005) refuses it in the database too.
ROUND_TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "announced"): "A12",  # published with its announcement, 15/30 days before bidding (A12–A14, A16)
    ("draft", "withdrawn"): "A28",
    ("announced", "open"): "A20",  # bidding opens at the announced time
    ("announced", "suspended"): "A28",
    ("announced", "withdrawn"): "A28",
    ("open", "sold"): "A22",  # bidding ended with a winner (or a sell-off was bought, A26/A37)
    ("open", "failed"): "A26",  # bidding ended without a bid (流拍)
    ("open", "closed"): "A20",  # bidding ended, the outcome not yet recorded
    ("closed", "sold"): "A22",
    ("closed", "failed"): "A26",
    ("open", "suspended"): "A28",
    ("open", "withdrawn"): "A28",
    ("suspended", "announced"): "A28",  # resumed (within 5 days of the end of the cause)
    ("suspended", "open"): "A28",
    ("suspended", "withdrawn"): "A28",
    ("sold", "paid"): "A25",  # the balance is paid in full
    ("sold", "defaulted"): "A24",  # the balance deadline passed unpaid (悔拍)
    ("paid", "settled"): "A22",  # the case account is settled to the payees after the sale ruling
}


def check_transition(current: str, target: str) -> Refusal | None:
    """None when a round may move from `current` to `target` (ROUND_TRANSITIONS)."""
    if (current, target) in ROUND_TRANSITIONS:
        return None
    return Refusal(ErrorCode.ILLEGAL_TRANSITION, f"拍卖状态不能从「{current}」变为「{target}」/ a round cannot move from {current} to {target}", "A28" if target in {"suspended", "withdrawn"} else "A20")
