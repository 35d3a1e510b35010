"""Legal rules of valuation ([B] = 法释〔2018〕15号), as pure functions.

Durations are legal values, not settings. Checks return None when satisfied, or a Refusal.
"""

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from auction_site.errors import ErrorCode, Refusal
from lots.deadlines import FIX_WITHIN_AFTER_SEIZURE, SALE_START_WITHIN, price_due_by, sale_due_by  # noqa: F401  (B1, B30)

# B2: the methods, normally tried in this order; each falls through to the next when it cannot or does not succeed.
METHOD_ORDER = ["negotiated", "directed", "network", "appraisal"]

# B1: the reference price is fixed within 30 days of seizure; B30: the sale starts within 10 days of the
# price (duties shown to the judge). Computed in lots.deadlines, the one module of every legal deadline.


# B5, B11, B19: an inquiry is OVERDUE when its answer was not delivered by its deadline: still awaited past it (the
# clock has not yet moved on) or recorded as missed. The one definition: the judge's dashboard and the valuer's inbox
# both count it through valuation.selectors.overdue_inquiries (its SQL twin).
OVERDUE_STATUSES = ("pending", "missed")


def inquiry_overdue(status: str, deadline: datetime | None, now: datetime) -> bool:
    return status == "missed" or (status == "pending" and deadline is not None and deadline < now)


# B27: a result is valid at most one year (its use at publication is checked where rounds are published:
# lots.rules.check_reference_price_usable).
MAX_VALIDITY = timedelta(days=365)


def check_quote_validity(valid_until: datetime, now: datetime) -> Refusal | None:
    """B11/B27: a result states its validity, which is in the future and at most one year long."""
    if valid_until <= now:
        return Refusal(ErrorCode.VALIDITY_PAST, "有效期须晚于出具时间 / the validity must end in the future", "B27")
    if valid_until > now + MAX_VALIDITY:
        return Refusal(ErrorCode.VALIDITY_TOO_LONG, "询价/评估结果有效期最长不得超过一年 / a result is valid at most one year", "B27")
    return None


def reference_valid_until(quote_valid_untils: Iterable[datetime], fixed_at: datetime) -> datetime:
    """B27: the reference price is valid as long as every result it rests on, and never past one year from fixing."""
    return min([*quote_valid_untils, fixed_at + MAX_VALIDITY])


# B4: the parties negotiate the price: offers go back and forth between the two sides (the applicant and the debtor)
# in rounds, before the judge's deadline; a side answers the other's offer by accepting it (offering the same price)
# or with a price of its own, and waits for the other side's answer before offering again. When both sides have
# submitted the same price it is the reference price; when the deadline passes without that, the negotiation fails.
NEGOTIATION_SIDES = frozenset({"applicant", "respondent"})


def check_negotiation_offer(side: str, last_side: str | None, now: datetime, deadline: datetime) -> Refusal | None:
    """A side may offer before the deadline, and not twice in a row (it waits for the other side's answer)."""
    if now > deadline:
        return Refusal(ErrorCode.DEADLINE_PASSED, "已超过议价期限 / the negotiation deadline has passed", "B4")
    if side not in NEGOTIATION_SIDES:
        return Refusal(ErrorCode.FORBIDDEN, "仅申请执行人与被执行人可以议价 / only the applicant and the debtor negotiate", "B4")
    if last_side == side:
        return Refusal(ErrorCode.NOT_YOUR_TURN, "请等待对方答复后再出价 / wait for the other side's answer before offering again", "B4")
    return None


def negotiated_outcome(offers: Sequence[tuple[str, int]]) -> tuple[str, int | None]:
    """offers: (side, price) in round order -> ("agreed", price) when the last offer takes the price the other side
    offered just before it, else ("pending", None): the negotiation goes on until the deadline."""
    if len(offers) >= 2:
        (side_a, price_a), (side_b, price_b) = offers[-2], offers[-1]
        if side_a != side_b and price_a == price_b:
            return "agreed", price_b
    return "pending", None


# The parties do not see the platforms' (or institutions') results while the valuation is still open: a party that
# saw one platform's price could press the others, or time an objection. They see them once the result is fixed (or the
# method has ended without one); the judge sees them all along.
def quotes_visible_to_parties(valuation_status: str) -> bool:
    return valuation_status != "open"


# B11: each network inquiry platform reports within 3 days; one 3-day extension, only if ALL platforms missed.
NETWORK_DEADLINE = timedelta(days=3)
NETWORK_EXTENSION = timedelta(days=3)


def network_deadline_outcome(delivered: int, asked_extension: int) -> str:
    """At the deadline: 'conclude' when any platform delivered on time (others' extension refused);
    'extend' when all missed and some asked; 'fail' (go to appraisal) when all missed without asking."""
    if delivered > 0:
        return "conclude"
    if asked_extension > 0:
        return "extend"
    return "fail"


# B12: a platform corrects its result within 3 days.
CORRECTION_WINDOW = timedelta(days=3)


def correction_deadline(first_submitted_at: datetime, correction_requested_at: datetime | None) -> datetime:
    """A result may be corrected within 3 days of its submission, or of the court's request to correct it."""
    start = correction_requested_at or first_submitted_at
    return start + CORRECTION_WINDOW


# B13: the reference price is the average of all results delivered on time (upheld objections left out).
# Rounding rule: the exact mean in fen, rounded HALF UP to a whole fen (integers only, no float).
def average_half_up(prices: Sequence[int]) -> int:
    if not prices:
        raise ValueError("no results to average")
    if any(p <= 0 for p in prices):
        raise ValueError("prices must be positive")
    n = len(prices)
    return (2 * sum(prices) + n) // (2 * n)


# B16: three institutions, agreed by the parties or drawn by lottery from the list. A lottery nobody can re-roll:
# before the draw the court publishes a commitment (SHA-256) of its secret and the draw's time; each party may add a
# secret of its own the same way (commit before the draw time, reveal from the draw time until the reveal deadline);
# the seed is the hash of every revealed secret, in a fixed order, and of a beacon nobody controls: the signed
# transcript root of the last round closed before the draw time (BEACON_FALLBACK when there is none).
APPRAISAL_INSTITUTIONS = 3
LOTTERY_NOTICE = timedelta(days=1)  # default: the draw is one day after the commitment is published
LOTTERY_REVEAL_WINDOW = timedelta(days=1)  # reveals are taken from the draw time for one day
LOTTERY_ROLES = ("court", "applicant", "respondent")  # the fixed order of secrets in the seed
BEACON_FALLBACK = "0" * 64  # documented fixed beacon when no round had closed before the draw time
SECRET_MIN, SECRET_MAX = 16, 128


def lottery_commitment(secret: str) -> str:
    """The commitment published before the draw: SHA-256 (hex) of the secret's UTF-8 bytes."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def check_lottery_secret(secret: object) -> Refusal | None:
    if not isinstance(secret, str) or not SECRET_MIN <= len(secret) <= SECRET_MAX or not secret.isascii() or not secret.isprintable():
        return Refusal(ErrorCode.LOTTERY_SECRET_INVALID, f"秘密须为{SECRET_MIN}至{SECRET_MAX}个可打印ASCII字符 / the secret is {SECRET_MIN}-{SECRET_MAX} printable ASCII characters", "B16")
    return None


def check_lottery_commit(commitment: object, now: datetime, draw_at: datetime) -> Refusal | None:
    if now >= draw_at:
        return Refusal(ErrorCode.LOTTERY_COMMIT_CLOSED, "摇号时间已到，不再接受承诺 / commitments close at the draw time", "B16")
    if not isinstance(commitment, str) or len(commitment) != 64 or any(c not in "0123456789abcdef" for c in commitment):
        return Refusal(ErrorCode.LOTTERY_SECRET_INVALID, "承诺须为64位小写十六进制的SHA-256值 / the commitment is a SHA-256 in 64 lowercase hex digits", "B16")
    return None


def check_lottery_reveal(secret: str, commitment: str, now: datetime, draw_at: datetime, reveal_until: datetime) -> Refusal | None:
    """Reveals open at the draw time (so nobody commits after seeing another's secret) and close at the deadline."""
    if now < draw_at:
        return Refusal(ErrorCode.LOTTERY_REVEAL_NOT_OPEN, "摇号时间前不得公开秘密 / reveals open at the draw time", "B16")
    if now >= reveal_until:
        return Refusal(ErrorCode.LOTTERY_REVEAL_CLOSED, "公开秘密的期限已过 / the reveal deadline has passed", "B16")
    bad = check_lottery_secret(secret)
    if bad is not None:
        return bad
    if lottery_commitment(secret) != commitment:
        return Refusal(ErrorCode.LOTTERY_REVEAL_MISMATCH, "公开的秘密与承诺不符 / the secret does not match its commitment", "B16")
    return None


def lottery_due(now: datetime, draw_at: datetime, reveal_until: datetime, all_revealed: bool) -> bool:
    """The draw runs at/after its time, once every commitment is revealed or the reveal deadline has passed."""
    return now >= draw_at and (all_revealed or now >= reveal_until)


def lottery_seed(revealed: Sequence[tuple[str, str]], beacon: str) -> str:
    """seed = SHA-256 over the revealed (label, secret) pairs in the given (fixed) order and the beacon.
    Each piece is length-prefixed, so no two different inputs give the same bytes."""
    h = hashlib.sha256(b"B16-lottery-v1")
    for piece in [p for label, secret in revealed for p in (label, secret)] + [beacon]:
        data = piece.encode("utf-8")
        h.update(len(data).to_bytes(4, "big") + data)
    return h.hexdigest()


def draw_lottery(seed: str, candidate_codes: Iterable[str], k: int = APPRAISAL_INSTITUTIONS) -> list[str]:
    """Replayable draw: over the candidates sorted by code, pick i takes index int(SHA-256(seed ":" i)) mod the number
    left, k times, in order (a pure function of seed and list: anyone can recompute it)."""
    pool = sorted(set(candidate_codes))
    picks = []
    for i in range(min(k, len(pool))):
        n = int.from_bytes(hashlib.sha256(f"{seed}:{i}".encode()).digest(), "big")
        picks.append(pool.pop(n % len(pool)))
    return picks


# B19: report within 30 days; an extension is asked at least 5 days before the deadline; at most two, of at most 15 days.
APPRAISAL_DEADLINE = timedelta(days=30)
APPRAISAL_MAX_EXTENSIONS = 2
APPRAISAL_EXTENSION_MAX_DAYS = 15
APPRAISAL_EXTENSION_NOTICE = timedelta(days=5)


def check_appraisal_extension(now: datetime, deadline: datetime, extensions_granted: int, days: int) -> Refusal | None:
    if extensions_granted >= APPRAISAL_MAX_EXTENSIONS:
        return Refusal(ErrorCode.TOO_MANY_EXTENSIONS, "评估期限最多延长两次 / at most two extensions", "B19")
    if not 1 <= days <= APPRAISAL_EXTENSION_MAX_DAYS:
        return Refusal(ErrorCode.EXTENSION_TOO_LONG, "每次延长不超过十五日 / each extension is at most 15 days", "B19")
    if deadline - now < APPRAISAL_EXTENSION_NOTICE:
        return Refusal(ErrorCode.EXTENSION_TOO_LATE, "延期申请须在期限届满五日前提出 / ask at least 5 days before the deadline", "B19")
    return None


# B21: the result reaches the parties within 3 days.
DELIVERY_WITHIN = timedelta(days=3)

# B22: objections within 5 days of receipt, on these grounds only. B24: none against negotiated or directed results.
OBJECTION_WINDOW = timedelta(days=5)
OBJECTION_GROUNDS = {"wrong_facts", "out_of_scope", "unqualified", "unlawful_procedure"}
OBJECTIONABLE_METHODS = {"network", "appraisal"}


def check_objection(method: str, ground: str, delivered_at: datetime | None, now: datetime) -> Refusal | None:
    if method not in OBJECTIONABLE_METHODS:
        return Refusal(ErrorCode.OBJECTION_NOT_ALLOWED, "对议价或定向询价结果不得提出异议 / no objection lies against a negotiated or directed price", "B24")
    if ground not in OBJECTION_GROUNDS:
        return Refusal(ErrorCode.OBJECTION_GROUND_INVALID, "异议只能基于：财产基本信息错误、超出财产范围、机构或人员不具备资格、程序严重违法 / grounds are limited by B22", "B22")
    if delivered_at is None:
        return Refusal(ErrorCode.NOT_DELIVERED, "结果尚未送达 / the result has not been delivered", "B22")
    if now > delivered_at + OBJECTION_WINDOW:
        return Refusal(ErrorCode.OBJECTION_TOO_LATE, "异议须在收到报告后五日内提出 / objections within 5 days of receipt", "B22")
    return None


# Sanity bounds on a quoted price (absurd input is refused; money is integer fen).
MAX_QUOTE_FEN = 10**14  # one trillion yuan


def check_price(price: int) -> Refusal | None:
    if isinstance(price, bool) or not isinstance(price, int):
        return Refusal(ErrorCode.PRICE_NOT_INTEGER, "价格须为以分为单位的整数 / price must be an integer number of fen", "B11")
    if price <= 0:
        return Refusal(ErrorCode.PRICE_NOT_POSITIVE, "价格须大于零 / price must be positive", "B11")
    if price > MAX_QUOTE_FEN:
        return Refusal(ErrorCode.PRICE_ABSURD, "价格超出合理范围 / price is absurdly large", "B11")
    return None


# Reports are PDF documents (B11/B19): checked by magic bytes and size.
REPORT_MAX_BYTES = 50 * 1024 * 1024
REPORT_MIN_BYTES = 64


def check_report_pdf(head: bytes, size: int) -> Refusal | None:
    if not head.startswith(b"%PDF-"):
        return Refusal(ErrorCode.REPORT_NOT_PDF, "报告须为 PDF 文件 / the report must be a PDF", "B11")
    if size < REPORT_MIN_BYTES:
        return Refusal(ErrorCode.REPORT_TOO_SMALL, "报告文件过小 / the report file is too small to be a report", "B11")
    if size > REPORT_MAX_BYTES:
        return Refusal(ErrorCode.REPORT_TOO_LARGE, "报告文件过大（上限50MB）/ the report is larger than 50 MB", "B11")
    return None


# B31: the fee goes to the platform whose result was closest to the sale price (ties: earliest submission).
def closest_to_sale(results: Sequence[tuple[int, datetime, int]], sold_price: int) -> int | None:
    """results: (price, submitted_at, id) -> id of the closest one."""
    if not results:
        return None
    return min(results, key=lambda r: (abs(r[0] - sold_price), r[1], r[2]))[2]
