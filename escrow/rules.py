"""Legal rules of deposits, balances and forfeits ([A] = 法释〔2016〕18号). Pure functions, one rule each.

`check_bidder_eligible(user, round)` gathers the facts from the database and hands them to the pure
`eligibility_violation(...)`; everything else here takes plain values.
"""

import hashlib
import io
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import models
from django.utils import timezone

from accounts.models import BarredIdentity, User
from accounts.rules import ADULT_AGE, is_adult_on
from auction_site import clock
from auction_site.errors import ErrorCode, Refusal
from escrow.models import Registration
from lots.deadlines import RELEASE_WITHIN, RESUME_WITHIN
from lots.deadlines import release_due_by as release_deadline  # noqa: F401  (A23; callers use escrow.rules)
from lots.models import CaseParty

# A17: the deposit is paid before bidding ends; we take registrations while the round is announced or open.
REGISTRATION_STATUSES = {"announced", "open"}


def check_registration_open(round_status: str, ends_at: datetime, now: datetime) -> Refusal | None:
    if round_status not in REGISTRATION_STATUSES:
        return Refusal(ErrorCode.NOT_OPEN_FOR_REGISTRATION, "该拍卖不在公告或竞价期，不能报名 / the round is not taking registrations", "A17")
    if now >= ends_at:
        return Refusal(ErrorCode.BIDDING_ENDED, "竞价已结束，不能再缴纳保证金 / bidding has ended; deposits are paid before it ends", "A17")
    return None


@dataclass(frozen=True)
class BidderFacts:
    role: str
    is_staff: bool  # court or platform staff (A34)
    barred_identity: bool  # close relative of staff on the A34 list
    is_debtor: bool  # the debtor of the case (platform policy: pays the debt instead)
    defaulted_on_lot: bool  # defaulted (悔拍) on an earlier round of this lot (A24)
    adult: bool = True  # Civil Code art. 17–18, from the ID number, on the day of the registration


def eligibility_violation(facts: BidderFacts) -> Refusal | None:
    if facts.is_staff:
        # A34: court and platform staff may not bid.
        return Refusal(ErrorCode.BARRED, "法院及平台工作人员不得竞买 / court and platform staff may not bid", "A34")
    if facts.role != "bidder":
        return Refusal(ErrorCode.NOT_A_BIDDER, "仅竞买人账户可以报名 / only bidder accounts may register", "A17")
    if not facts.adult:
        # Civil Code art. 17–18 (accounts.rules.is_adult_on): only an adult of full civil capacity bids.
        return Refusal(ErrorCode.NOT_ADULT, f"竞买人须为年满{ADULT_AGE}周岁的完全民事行为能力人 / "
                                            f"a bidder must be an adult of {ADULT_AGE} or more with full civil capacity",
                       "民法典17-18")
    if facts.barred_identity:
        # A34: staff's close relatives may not bid.
        return Refusal(ErrorCode.BARRED, "工作人员近亲属不得竞买 / close relatives of court or platform staff may not bid", "A34")
    if facts.is_debtor:
        # Platform policy (not an article of [A]): the debtor of the case — a party the judge linked as the debtor, or
        # an account with the debtor's ID number — may not bid on its lots; a debtor who has money pays the debt instead.
        return Refusal(ErrorCode.BARRED, "被执行人不得竞买本案标的 / the debtor of the case may not bid", None)
    if facts.defaulted_on_lot:
        # A24: a defaulting buyer may not bid again on the re-auction.
        return Refusal(ErrorCode.BARRED, "悔拍的买受人不得参加该标的的再次拍卖 / a defaulting buyer may not bid on this lot again", "A24")
    return None


def check_bidder_eligible(user, round, on: date | None = None) -> Refusal | None:
    """Barred bidders and minors are refused before any money moves (A24, A34; Civil Code art. 17–18 on
    the day `on`, by default today on the site clock)."""
    on = on or timezone.localdate(clock.now())
    case = round.lot.case
    id_number = (user.id_number or "").strip().upper()
    debtor_parties = CaseParty.objects.filter(case=case, side=CaseParty.Side.RESPONDENT)
    is_debtor = debtor_parties.filter(user=user).exists() or bool(id_number and debtor_parties.filter(id_number__iexact=id_number).exists())
    defaulted = Registration.objects.filter(
        round__lot=round.lot, status=Registration.Status.FORFEITED,
    ).exclude(round=round).filter(bidder=user).exists()
    if not defaulted and id_number:
        # The same person under another account is still the defaulter.
        defaulted = Registration.objects.filter(
            round__lot=round.lot, status=Registration.Status.FORFEITED, bidder__id_number__iexact=id_number,
        ).exclude(round=round).exists()
    facts = BidderFacts(
        role=user.role,
        is_staff=user.role in {"judge", "operator"} or bool(user.is_staff or user.is_superuser),
        barred_identity=bool(id_number and BarredIdentity.objects.filter(id_number__iexact=id_number).exists()),
        is_debtor=is_debtor,
        defaulted_on_lot=defaulted,
        # Self-registered bidders always carry a checked ID number; an account made without one (by staff)
        # has no birth date to read, and is judged by the identity check it was created with.
        adult=not id_number or is_adult_on(user.id_kind or ("resident_id" if id_number[:17].isdigit() else ""), id_number, on),
    )
    return eligibility_violation(facts)


def check_principal_eligible(id_kind: str, id_number: str, round, on: date | None = None) -> Refusal | None:
    """Agent bidding: the principal (委托人) is the buyer, so the same bars apply to them as to a bidder,
    read from the ID number alone (the principal may have no account): staff (A34, an account of that ID
    number with a staff role) and their listed relatives, the debtor, a defaulter on this lot (A24), a minor."""
    on = on or timezone.localdate(clock.now())
    id_number = id_number.strip().upper()
    staff = User.objects.filter(id_number__iexact=id_number).filter(
        models.Q(role__in=["judge", "operator"]) | models.Q(is_staff=True) | models.Q(is_superuser=True)).exists()
    facts = BidderFacts(
        role="bidder", is_staff=staff,
        barred_identity=BarredIdentity.objects.filter(id_number__iexact=id_number).exists(),
        is_debtor=CaseParty.objects.filter(case=round.lot.case, side=CaseParty.Side.RESPONDENT, id_number__iexact=id_number).exists(),
        defaulted_on_lot=Registration.objects.filter(round__lot=round.lot, status=Registration.Status.FORFEITED,
                                                     bidder__id_number__iexact=id_number).exclude(round=round).exists(),
        adult=is_adult_on(id_kind, id_number, on),
    )
    return eligibility_violation(facts)


# A18: the bidder code is random (never derived from identity) and unique in the round.
CODE_PREFIX = "A"
CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O (read as 1 and 0)
CODE_LENGTH = 4


def new_bidder_code() -> str:
    return CODE_PREFIX + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


# A23: after the close every deposit but the winner's is released within 24 hours (lots.deadlines).
# Round states after which non-winning deposits go back.
FINISHED_STATUSES = {"closed", "sold", "failed", "paid", "settled", "defaulted"}


# A refund the provider failed (a closed card account, a bank's refusal) is tried again, 5 minutes after
# the first failure, then twice as long after each further one, at most 6 hours apart (A23 wants the
# money back within 24 hours; the dashboard lists it once overdue).
REFUND_RETRY_FIRST = timedelta(minutes=5)
REFUND_RETRY_LONGEST = timedelta(hours=6)


def refund_retry_at(failed_refunds: int, last_attempt_at: datetime | None) -> datetime | None:
    """When to ask the provider for a refund again after `failed_refunds` failures (None: at once)."""
    if failed_refunds <= 0 or last_attempt_at is None:
        return None
    return last_attempt_at + min(REFUND_RETRY_FIRST * 2 ** (failed_refunds - 1), REFUND_RETRY_LONGEST)


def deposit_disposition(round_status: str, is_winner: bool, suspended_at: datetime | None, now: datetime,
                        has_leader: bool = True) -> str:
    """What happens to a held deposit now: 'keep', 'release' or 'apply' (to the price)."""
    if round_status == "withdrawn":
        return "release"  # A28: deposits are released at once on withdrawal
    if round_status == "suspended":
        # A28: a suspension lasting past the resume window releases the deposits.
        if suspended_at is not None and now - suspended_at > RESUME_WITHIN:
            return "release"
        return "keep"
    if round_status == "closed" and not has_leader:
        return "keep"  # the closing clock has not yet said sold or failed; wait for it
    if round_status in FINISHED_STATUSES:
        if is_winner and round_status in {"sold", "paid", "settled", "closed"}:
            return "apply"  # A23/A25: the winner's deposit counts toward the price
        if is_winner and round_status == "defaulted":
            return "keep"  # forfeited by the default path, never refunded (A24)
        return "release"
    return "keep"


def balance_due(sold_price: int, deposit: int) -> int:
    """A25: the balance is the price less the winner's deposit."""
    return max(sold_price - deposit, 0)


def is_in_default(round_status: str, balance_due_at: datetime | None, paid_in_full: bool, now: datetime) -> bool:
    """A24/A25: the winner who has not paid in full by the deadline has defaulted (悔拍)."""
    return round_status == "sold" and balance_due_at is not None and now > balance_due_at and not paid_in_full


# A24: a forfeited deposit is applied, in order, to the auction costs, the shortfall of the re-auction
# price below this price, and then this debt. What is left over after those is returned.
FORFEIT_ORDER = ("auction_costs", "reauction_shortfall", "debt")


def apply_forfeited_deposit(amount: int, auction_costs: int, reauction_shortfall: int, debt: int) -> dict[str, int]:
    out: dict[str, int] = {}
    left = amount
    for purpose, need in zip(FORFEIT_ORDER, (auction_costs, reauction_shortfall, debt)):
        take = min(left, max(need, 0))
        out[purpose] = take
        left -= take
    out["remainder"] = left
    return out


# --- the bank path (一案一账号: transfers into the case account) ------------------------------------

# The card provider (Stripe) takes at most eight digits in minor units in one charge: ¥999,999.99.
CARD_PROVIDER_MAX_FEN = 99_999_999


def payment_route(amount: int, card_limit: int = CARD_PROVIDER_MAX_FEN) -> str:
    """'card' when the card provider can take the amount in one charge, else 'bank' (a transfer into the
    case account). An amount over the card provider's limit is never sent to it."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValueError("amount must be a positive integer of fen")
    return "card" if amount <= card_limit else "bank"


ROUTE_REASONS = {
    "bank": "金额超过银行卡单笔上限 ¥999,999.99，请通过银行转账至本案案款账户 / the amount exceeds the card "
            "provider's limit of ¥999,999.99 in one charge: pay by bank transfer into the case account",
}


def amount_to_hold(round_kind: str, deposit: int, starting_price: int) -> int:
    """What a registration must pay before bidding ends.

    A17: an auction's deposit. A26/A37: in a sell-off the buyer pays the full price up front (the
    sell-off price is the round's starting price), so the whole price is held and counts toward it."""
    if round_kind == "selloff":
        return starting_price
    return deposit


def reference_due_at(ends_at: datetime) -> datetime:
    """A17: the deposit is paid in the bidder's own name before bidding ends; a credit after it is late."""
    return ends_at


@dataclass(frozen=True)
class CreditVerdict:
    """What one bank credit, matched to a payment reference, does.

    kind: exact | short | over | late | closed | unknown
    hold: fen credited to the registration (or the balance); refund: fen to send back to the payer;
    missing: fen still owed after this credit."""

    kind: str
    hold: int
    refund: int
    missing: int


def credit_verdict(expected: int, received_before: int, amount: int, credited_at: datetime | None,
                   due_at: datetime | None, reference_open: bool = True) -> CreditVerdict:
    """Match one credit against what a reference still expects.

    - no open reference (unknown, or its registration is over): the whole credit goes to suspense /
      back to the payer, never lost;
    - A17: a deposit credited after bidding ended is late and goes back in full;
    - exact: the amount completes what is owed (A18: the bidder code is issued);
    - short: held as partial, the bidder is told what is missing;
    - over: what is owed is held, the excess goes back to the payer."""
    if amount <= 0:
        raise ValueError("a credit is a positive integer of fen")
    if not reference_open:
        return CreditVerdict("closed", 0, amount, 0)
    if due_at is not None and credited_at is not None and credited_at >= due_at:
        return CreditVerdict("late", 0, amount, max(expected - received_before, 0))
    owed = max(expected - received_before, 0)
    if owed == 0:
        return CreditVerdict("over", 0, amount, 0)
    if amount == owed:
        return CreditVerdict("exact", amount, 0, 0)
    if amount < owed:
        return CreditVerdict("short", amount, 0, owed - amount)
    return CreditVerdict("over", owed, amount - owed, 0)


def unknown_credit_verdict(amount: int) -> CreditVerdict:
    """A credit whose reference matches nothing: held in the case's suspense account for the operator."""
    return CreditVerdict("unknown", 0, 0, 0)


# A23: a losing bidder's bank deposit goes back within 24 hours of the close; the refund instruction is
# due then, and its confirmation by the bank's statement is overdue after it.
def refund_confirmation_due(instructed_at: datetime, release_due_at: datetime | None) -> datetime:
    return release_due_at if release_due_at is not None and release_due_at > instructed_at else instructed_at + RELEASE_WITHIN
# --- registration: the commitment, declarations, the amount held -----------------------------------

# A26/A37: what a registration holds is `amount_to_hold` above (the bank path's section): the full
# sell-off price, never a deposit alone.
def holds_full_price(round_kind: str, held_amount: int | None, price: int) -> bool:
    """A26/A37: a sell-off is bought only by a bidder whose held money covers the full price."""
    if round_kind != "selloff":
        return True
    return held_amount is not None and held_amount >= price


def full_price_violation(round_kind: str, held_amount: int | None, price: int) -> Refusal | None:
    if holds_full_price(round_kind, held_amount, price):
        return None
    return Refusal(ErrorCode.FULL_PRICE_NOT_HELD,
                   "变卖须一次性付清全款后方可购买，仅缴纳保证金不能成交 / a sell-off is bought only once the full price is paid", "A37")


# The commitment (竞买承诺书) a bidder signs before paying: its text is fixed per bidder and round, so its
# hash proves later what exactly was signed (A13–A14: the notice and rules published with the sale).
COMMITMENT_TEMPLATE = (
    "竞买承诺书\n"
    "本人（单位）{name}（证件号码：{id_number}）自愿参加{court}{case}项下“{lot}”的{round}，郑重承诺：\n"
    "一、已仔细阅读并完全理解本次{round}的竞买公告、竞买须知及标的物的全部瑕疵与权利负担说明，"
    "自愿接受其全部内容，按标的物现状竞买；\n"
    "二、具有完全民事行为能力，以自己的名义缴纳{money_label}¥{money}；单位竞买的，由法定代表人{rep}代表单位竞买；\n"
    "三、不属于法院及平台工作人员及其近亲属、被执行人或曾在本标的物拍卖中悔拍的人员（网拍规定第二十四条、第三十四条）；\n"
    "四、竞得后按期支付全部价款，逾期不付的，保证金不予退还（网拍规定第二十四条）；\n"
    "五、{priority}\n"
    "六、所提交的身份信息及材料真实、合法、有效，如有虚假，愿承担法律责任。"
)


def commitment_text(*, name: str, id_number: str, court: str, case: str, lot: str, round_label: str, kind: str,
                    amount: int, representative: str = "", priority_basis: str = "") -> str:
    """The text of the commitment the bidder signs (pure: the same inputs give the same text and hash)."""
    money = f"{amount // 100:,}.{amount % 100:02d}"
    priority = (f"声明享有优先购买权（依据：{priority_basis}），经法院确认的权利人名单核对一致；"
                if priority_basis else "声明对本标的物不享有优先购买权；")
    return COMMITMENT_TEMPLATE.format(
        name=name, id_number=id_number, court=court, case=case, lot=lot, round=round_label, money=money,
        money_label="全部价款" if kind == "selloff" else "竞买保证金", rep=representative or "（不适用）", priority=priority)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def priority_violation(declared: bool, holder_found: bool) -> Refusal | None:
    """A19/A21 ([A] art. 16, 19): a priority right counts only when the court confirmed the holder and listed
    them with the sale; a declaration that does not match the court's list is refused."""
    if declared and not holder_found:
        return Refusal(ErrorCode.PRIORITY_NOT_CONFIRMED,
                       "您不在法院确认的本标的优先购买权人名单中，不能以优先购买权人身份报名 / "
                       "you are not on the court's list of priority holders of this lot", "A19")
    return None


# Business licence (营业执照) uploaded by a company bidder: a PDF or a photo, at most 10 MB.
LICENCE_MAX_BYTES = 10 * 1024 * 1024
LICENCE_SIGNATURES = {b"%PDF-": "application/pdf", b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


def licence_content_type(head: bytes, size: int) -> str | None:
    """The licence's type from its first bytes (never the browser's word), or None when not acceptable."""
    if size <= 0 or size > LICENCE_MAX_BYTES:
        return None
    for magic, ctype in LICENCE_SIGNATURES.items():
        if head.startswith(magic):
            return ctype
    return None


# --- joint bidding (联合竞买) and agent bidding (委托竞买) ----------------------------------------------
# DOMAIN.md, People: joint bidding (several bidders, each with a share, one bidder code) and agent bidding
# (an agent with a power of attorney) are allowed when the court has confirmed them before bidding opens;
# the confirmation and the ruling name every buyer. The group registers once and pays one deposit (A17);
# its one registration gets one bidder code (A18), and only once the court has confirmed it.

GROUP_KINDS = ("joint", "agent")
SHARE_TOTAL = Decimal(100)
SHARE_QUANTUM = Decimal("0.01")
MAX_CO_BIDDERS = 9  # with the registrant, at most ten buyers on one confirmation


def group_window_violation(round_status: str, starts_at: datetime, now: datetime) -> Refusal | None:
    """A group is registered, and confirmed by the court, only before bidding opens: while the round is
    announced and before its start (DOMAIN.md, People: "confirmed them before bidding opens")."""
    if round_status != "announced" or now >= starts_at:
        return Refusal(ErrorCode.GROUP_TOO_LATE, "联合竞买、委托竞买须在竞价开始前报名并经法院确认，竞价开始后不再受理 / "
                                                 "joint and agent bidding are registered and confirmed only before bidding opens")
    return None


def shares_violation(shares: list[Decimal]) -> Refusal | None:
    """Joint bidding: at least two buyers, each share above 0 with at most two decimals, together exactly 100%."""
    def bad(message: str) -> Refusal:
        return Refusal(ErrorCode.SHARES_INVALID, message, field="share")

    if len(shares) < 2:
        return bad("联合竞买须至少有一名共同竞买人 / joint bidding needs at least one co-bidder")
    if len(shares) > MAX_CO_BIDDERS + 1:
        return bad(f"联合竞买人最多{MAX_CO_BIDDERS + 1}人 / at most {MAX_CO_BIDDERS + 1} joint bidders")
    for s in shares:
        if not isinstance(s, Decimal) or not s.is_finite() or s <= 0 or s != s.quantize(SHARE_QUANTUM):
            return bad("每位竞买人的份额须大于0，最多两位小数 / every share is above 0 with at most two decimals")
    if sum(shares) != SHARE_TOTAL:
        return bad(f"各竞买人份额之和须为100%（现为{sum(shares)}%） / the shares must sum to 100% (they sum to {sum(shares)}%)")
    return None


# Agent bidding: the power of attorney (授权委托书) is a PDF that opens as one, at most 10 MB.
POA_MAX_BYTES = 10 * 1024 * 1024


def poa_violation(content: bytes | None) -> Refusal | None:
    """The power of attorney must be a real PDF: its signature, and pypdf must read at least one page."""
    refusal = Refusal(ErrorCode.POA_NOT_PDF, "请上传授权委托书（PDF 文件，不超过10MB） / upload the power of attorney as a PDF of at most 10 MB",
                      field="power_of_attorney")
    if not content or len(content) > POA_MAX_BYTES or not content.startswith(b"%PDF-"):
        return refusal
    from pypdf import PdfReader

    try:
        pages = len(PdfReader(io.BytesIO(content), strict=False).pages)
    except Exception:  # an uploaded file is hostile input: whatever the parser raises, it is no PDF we accept
        return refusal
    return None if pages >= 1 else refusal


def consent_violation(not_yet: list[str]) -> Refusal | None:
    """Joint bidding binds every buyer to the price in their share: the court confirms a group only once each
    co-bidder has agreed on the platform, in their own account, to bid with that share."""
    if not_yet:
        return Refusal(ErrorCode.CO_BIDDER_NOT_ACCEPTED, f"共同竞买人{'、'.join(not_yet)}尚未在平台确认参加联合竞买 / "
                                                         "every co-bidder must first agree to the joint bid in their own account")
    return None


def code_may_issue(group_status: str | None) -> bool:
    """A18: a bidder code is issued once the deposit is held; a group's only once the court has confirmed it."""
    return group_status is None or group_status == "confirmed"


@dataclass(frozen=True)
class NamedBuyer:
    name: str
    id_number: str
    share: Decimal | None = None  # joint bidding
    agent: str = ""  # agent bidding: the agent who bid for the principal


def named_buyers(kind: str | None, *, bidder_name: str, bidder_id: str, members: list[tuple[str, str, Decimal]] = (),
                 principal: tuple[str, str] | None = None) -> list[NamedBuyer]:
    """Who the confirmation (A22) and the ruling name as buyer: every joint bidder with their share; for
    agent bidding the principal (the agent is named as the agent); else the bidder."""
    if kind == "joint" and members:
        return [NamedBuyer(n, i, s) for n, i, s in members]
    if kind == "agent" and principal:
        return [NamedBuyer(principal[0], principal[1], None, agent=bidder_name)]
    return [NamedBuyer(bidder_name, bidder_id)]


def format_share(share: Decimal) -> str:
    """50 → '50%', 33.33 → '33.33%'."""
    text = f"{share.quantize(SHARE_QUANTUM)}".rstrip("0").rstrip(".")
    return f"{text}%"
