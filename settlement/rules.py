"""Legal rules of settlement, sale documents and reporting, as pure functions.

[A] = 法释〔2016〕18号 (online judicial auctions); [C] = SPC Provisions on Auction and Sell-off in
Civil Enforcement (2020 amendment). Amounts are integer fen. Each check returns None when satisfied
or a `lots.rules.Refusal` (article, code, message).
"""

from dataclasses import dataclass

from auction_site.errors import ErrorCode, Refusal

# ---------------------------------------------------------------------------------------------
# Which rounds may be settled, which count as sold.

# ARCHITECTURE.md round states: after `sold` → `paid` → `settled`; the judge settles only a paid
# round (the full price is in the case account). A sell-off (变卖, A26/A37) is paid in full up front
# and therefore also arrives as `paid`.
SETTLEABLE_STATUSES = frozenset({"paid"})
# A22: a deal exists (confirmation in the buyer's real name) once the round is sold.
DEAL_STATUSES = frozenset({"sold", "paid", "settled"})
# Rounds whose bidding has ended (they were "auctioned"): the denominator of the sale rate.
ENDED_STATUSES = frozenset({"closed", "sold", "failed", "paid", "settled", "defaulted"})
# A round is "done" for its case once it can no longer move money or change hands.
DONE_STATUSES = frozenset({"settled", "failed", "withdrawn", "defaulted"})


# [C] A16: after a second failure the court may hand the lot to a creditor at the round-2 starting
# price (以物抵债); that failed (or withdrawn sell-off) round is then settled without a sale.
IN_KIND_STATUSES = frozenset({"failed", "withdrawn"})


def check_settleable(status: str, already_settled: bool, in_kind: bool = False) -> Refusal | None:
    if already_settled or status == "settled":
        return Refusal(ErrorCode.ALREADY_SETTLED, "该拍次已结算，不得重复结算 / this round has already been settled", "A25")
    if in_kind:
        if status not in IN_KIND_STATUSES:
            return Refusal(ErrorCode.NOT_IN_KIND, "以物抵债须在流拍之后 / in-kind settlement follows a failed round", "C16")
        return None
    if status not in SETTLEABLE_STATUSES:
        return Refusal(ErrorCode.NOT_PAID, f"拍次状态为 {status}：只有买受人付清全部价款后才能结算 / only a round whose price is paid in full can be settled", "A25")
    return None


# A22: the confirmation (成交确认书) is generated in the buyer's real name once the round is sold;
# the ruling (拍卖成交裁定) follows once the price is paid in full (A22, A25).
CONFIRMATION_STATUSES = frozenset({"sold", "paid", "settled"})
RULING_STATUSES = frozenset({"paid", "settled"})


def documents_due(status: str) -> list[str]:
    kinds = []
    if status in CONFIRMATION_STATUSES:
        kinds.append("confirmation")
    if status in RULING_STATUSES:
        kinds.append("ruling")
    return kinds


# A18 + A22: identities are secret from everyone until bidding ends; after the close the deal is
# announced in the buyer's real name (the confirmation). Nothing else personal (ID number, phone)
# is ever public, and a round that ended in default (A24) has no buyer to name.
def buyer_name_public(status: str) -> bool:
    return status in DEAL_STATUSES


# ---------------------------------------------------------------------------------------------
# Order of payment from the case account (DOMAIN.md, Money and settlement): costs of the
# enforcement and the auction first, then the transfer taxes the proceeds bear, then the creditors
# (the case applicants, in their order); what is left returns to the debtor, and only once the
# enforced debt is paid in full.

PAYMENT_ORDER = ("cost", "tax", "creditor")


@dataclass(frozen=True)
class Payout:
    kind: str  # "cost" | "tax" | "creditor" | "debtor"
    payee: str
    amount: int
    borne_by: str = ""  # taxes: "buyer" | "seller"
    claim: int | None = None  # creditors: what they are owed (for the order among creditors)


# A13 (announcement states who pays the transfer taxes, lot.transfer_tax_payer): the sale proceeds
# bear the seller's (debtor's) taxes; they bear the buyer's taxes only when the announcement put
# every tax on the debtor ("seller"). With "buyer" the buyer pays every tax outside the case account.
def tax_rows_for(transfer_tax_payer: str) -> list[str]:
    """A13: the tax rows the settlement form starts with, by who pays the transfer taxes: the seller's
    (and, when the announcement put every tax on the debtor, the buyer's too); none when the buyer pays all."""
    return [side for side in ("seller", "buyer") if tax_from_proceeds_allowed(transfer_tax_payer, side)]


def tax_from_proceeds_allowed(transfer_tax_payer: str, borne_by: str) -> bool:
    if transfer_tax_payer == "buyer":
        return False
    if transfer_tax_payer == "seller":
        return borne_by in {"buyer", "seller"}
    return borne_by == "seller"  # "each": each side bears its own; only the seller's from the proceeds


def check_distribution(available: int, payouts: list[Payout], *, applicants: list[str], amount_owed: int,
                       transfer_tax_payer: str, in_kind_price: int = 0) -> Refusal | None:
    """Validate a judge's allocation of `available` fen (the case account balance) to payees.

    With an in-kind settlement the creditor's claim is reduced by the price of the property taken.
    """
    amount_owed = max(amount_owed - in_kind_price, 0)
    if not payouts and (in_kind_price == 0 or available > 0 and amount_owed > 0):
        return Refusal(ErrorCode.NO_PAYOUTS, "须至少指定一名收款人 / at least one payee is required", "A25")
    total = 0
    rank_seen = -1
    creditor_short = False
    creditors_paid = 0
    for p in payouts:
        if isinstance(p.amount, bool) or not isinstance(p.amount, int) or p.amount <= 0:
            return Refusal(ErrorCode.INVALID_AMOUNT, "分配金额须为正整数(分) / each amount is a positive integer in fen", "A25")
        if p.kind not in PAYMENT_ORDER:
            return Refusal(ErrorCode.INVALID_KIND, f"未知的分配类别 {p.kind} / unknown payout kind", "A25")
        rank = PAYMENT_ORDER.index(p.kind)
        if rank < rank_seen:
            return Refusal(ErrorCode.PAYMENT_ORDER, "清偿顺序：执行及拍卖费用 → 税费 → 债权人 / order of payment: costs, then taxes, then creditors", "A25")
        rank_seen = rank
        if not p.payee.strip():
            return Refusal(ErrorCode.NO_PAYEE, "收款人名称不能为空 / a payee needs a name", "A25")
        if p.kind == "tax":
            if p.borne_by not in {"buyer", "seller"}:
                return Refusal(ErrorCode.TAX_BORNE_BY, "税费须注明由买受人或被执行人承担 / say who bears the tax (buyer or seller)", "A13")
            if not tax_from_proceeds_allowed(transfer_tax_payer, p.borne_by):
                return Refusal(ErrorCode.TAX_NOT_FROM_PROCEEDS, "依拍卖公告的税费承担方式，此项税费不得从案款中支付 / under the announced tax arrangement this tax is not paid from the proceeds", "A13")
        if p.kind == "creditor":
            if p.payee not in applicants:
                return Refusal(ErrorCode.NOT_A_CREDITOR, f"{p.payee} 不是本案申请执行人 / not an applicant of this case", "A25")
            if creditor_short:
                return Refusal(ErrorCode.CREDITOR_ORDER, "前一顺位债权人未足额受偿，后一顺位不得受偿 / a later creditor is paid only after the earlier ones in full", "A25")
            if p.claim is not None:
                if p.amount > p.claim:
                    return Refusal(ErrorCode.OVER_CLAIM, f"向 {p.payee} 分配超过其债权 / more than {p.payee}'s claim", "A25")
                creditor_short = p.amount < p.claim
            creditors_paid += p.amount
        total += p.amount
    if total > available:
        return Refusal(ErrorCode.OVER_DISTRIBUTION, f"分配总额 {total} 分超过案款余额 {available} 分 / distributing more than the case account holds", "A25")
    remainder = available - total
    if remainder > 0 and creditors_paid < amount_owed:
        return Refusal(ErrorCode.REMAINDER_BEFORE_DEBT, "执行债权未全部清偿前，余款不得退还被执行人 / the remainder returns to the debtor only after the debt is paid in full", "A25")
    return None


def debtor_remainder(available: int, payouts: list[Payout]) -> int:
    return available - sum(p.amount for p in payouts)


def proposed_payouts(available: int, applicants: list[str], amount_owed: int) -> list[Payout]:
    """A starting proposal for the judge: the applicants in order up to the enforced amount."""
    out: list[Payout] = []
    left = min(available, amount_owed)
    if applicants and left > 0:
        out.append(Payout("creditor", applicants[0], left, claim=amount_owed))
    return out


# A24 (application of a forfeited deposit: costs → re-auction shortfall → debt) lives in
# escrow.rules.apply_forfeited_deposit; settlement applies it, it does not restate it.


# ---------------------------------------------------------------------------------------------
# [C] A29 (2020 amendment; art. 32 of the 2004 text): the commission an auction house could charge
# the buyer: up to 5% of a price ≤ 2,000,000 yuan; of the part above 2M up to 10M, 3%; of the part
# above 10M up to 50M, 2%; of the part above 50M up to 100M, 1%; of the part above 100M, 0.5%.
# "超过…的部分" makes it progressive (each rate applies only to its slice). The rates are maxima,
# so "commission saved" is the most a traditional auction house could have charged. Online judicial
# auctions charge none (A8).
YUAN = 100
COMMISSION_BANDS: tuple[tuple[int | None, int], ...] = (
    # (upper bound of the band in fen or None, rate in permille)
    (2_000_000 * YUAN, 50),
    (10_000_000 * YUAN, 30),
    (50_000_000 * YUAN, 20),
    (100_000_000 * YUAN, 10),
    (None, 5),
)


def commission_saved(price: int) -> int:
    """Progressive [C] A29 commission on a sale price (fen), rounded half up to the fen."""
    if price <= 0:
        return 0
    milli = 0
    lower = 0
    for upper, permille in COMMISSION_BANDS:
        top = price if upper is None else min(price, upper)
        if top > lower:
            milli += (top - lower) * permille
        if upper is None or price <= upper:
            break
        lower = upper
    return (milli + 500) // 1000


def premium_rate_basis_points(price: int, start: int) -> int:
    """溢价率 = (price − start) / start, in basis points (1/100 of a percent), rounded half up."""
    if start <= 0:
        return 0
    num = (price - start) * 10000
    return (num + start // 2) // start if num >= 0 else -((-num + start // 2) // start)
