"""Legal rules of deposits, balances and forfeits ([A] = 法释〔2016〕18号). Pure functions, one rule each.

`check_bidder_eligible(user, round)` gathers the facts from the database and hands them to the pure
`eligibility_violation(...)`; everything else here takes plain values.
"""

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from accounts.models import BarredIdentity
from accounts.rules import ADULT_AGE, is_adult_on
from auction_site import clock
from auction_site.errors import ErrorCode, Refusal
from escrow.models import Registration
from lots.models import CaseParty
from lots.rules import RESUME_WITHIN

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
        return Refusal(ErrorCode.BARRED, "被执行人不得竞买本案标的 / the debtor of the case may not bid", "A34")
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


# A18: the bidder code is random (never derived from identity) and unique in the round.
CODE_PREFIX = "A"
CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O (read as 1 and 0)
CODE_LENGTH = 4


def new_bidder_code() -> str:
    return CODE_PREFIX + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


# A23: after the close every deposit but the winner's is released within 24 hours.
RELEASE_WITHIN = timedelta(hours=24)
# Round states after which non-winning deposits go back.
FINISHED_STATUSES = {"closed", "sold", "failed", "paid", "settled", "defaulted"}


def release_deadline(closed_at: datetime) -> datetime:
    return closed_at + RELEASE_WITHIN


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
