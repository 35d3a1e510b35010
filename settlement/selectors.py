"""Reads of settlement: round results, case outcomes, the court's dashboard figures."""

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import BigIntegerField, Count, ExpressionWrapper, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Greatest, Least, TruncMonth

from accounts.models import Court
from auction_site import clock
from bidding.models import Bid
from escrow.models import LedgerAccount, LedgerEntry, Registration
from escrow.selectors import overdue_releases
from lots.models import EnforcementCase, Round
from settlement import rules
from settlement.models import OutboxMessage, SaleDocument, Settlement
from valuation import selectors as valuation_selectors

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


# ---------------------------------------------------------------------------------------------
# Public result of a round (A18, A22)


def round_documents(round: Round) -> list[SaleDocument]:
    return list(SaleDocument.objects.filter(round=round).order_by("kind"))


def bid_history(round: Round) -> list[dict]:
    """Every bid by bidder code (A18: codes, never names; A29: the whole history is kept)."""
    rows = (Bid.objects.filter(round=round).select_related("registration").order_by("seq")
            .values("seq", "amount", "placed_at", "is_priority", "is_proxy", "registration__code"))
    return [{"seq": r["seq"], "code": r["registration__code"], "amount": r["amount"], "at": _iso(r["placed_at"]),
             "priority": r["is_priority"], "proxy": r["is_proxy"]} for r in rows]


def round_result(round: Round) -> dict:
    ended = round.status in rules.ENDED_STATUSES
    deal = round.status in rules.DEAL_STATUSES
    leader_code = None
    buyer_name = None
    if ended and round.leader_id:
        reg = Registration.objects.select_related("bidder").get(pk=round.leader_id)
        leader_code = reg.code
        if rules.buyer_name_public(round.status):
            buyer_name = reg.bidder.display_name()
    price = round.sold_price if deal else None
    return {
        "round": round.pk,
        "lot": {"id": round.lot_id, "title": round.lot.title},
        "case_number": round.lot.case.case_number,
        "court": round.lot.case.court.name,
        "number": round.number,
        "kind": round.kind,
        "status": round.status,
        "ended": ended,
        "starting_price": round.starting_price,
        "sold_price": price,
        "premium_rate_bp": rules.premium_rate_basis_points(price, round.starting_price) if price else None,
        "closed_at": _iso(round.closed_at) if ended else None,
        "balance_due_at": _iso(round.balance_due_at) if deal else None,
        "bid_count": round.bid_count,
        "winner_code": leader_code if deal else None,
        "buyer_name": buyer_name,
        "bids": bid_history(round) if ended else [],
    }


# ---------------------------------------------------------------------------------------------
# The outcome reported to the enforcement case system


def case_outcome(case: EnforcementCase) -> dict:
    rounds = (Round.objects.filter(lot__case=case).select_related("lot").order_by("lot_id", "number"))
    settlements = {s.round_id: s for s in Settlement.objects.filter(case=case).prefetch_related("payouts")}
    out_rounds = []
    for r in rounds:
        s = settlements.get(r.pk)
        out_rounds.append({
            "round_id": r.pk, "lot_id": r.lot_id, "lot": r.lot.title, "number": r.number, "kind": r.kind,
            "status": r.status, "starting_price": r.starting_price,
            "sold_price": r.sold_price if r.status in rules.DEAL_STATUSES else None,
            "closed_at": _iso(r.closed_at), "balance_due_at": _iso(r.balance_due_at),
            "settled_at": _iso(s.created_at) if s else None,
            "payouts": [{"kind": p.kind, "payee": p.payee, "amount": p.amount} for p in s.payouts.all()] if s else [],
        })
    money = [p for r in out_rounds for p in r["payouts"] if p["kind"] != "in_kind"]
    paid_total = sum(p["amount"] for p in money)
    return {
        "case_number": case.case_number,
        "court": case.court.name,
        "court_code": case.court.code,
        "status": case.status,
        "amount_owed": case.amount_owed,
        "paid_to_creditors": sum(p["amount"] for p in money if p["kind"] == "creditor"),
        "satisfied_in_kind": sum(p["amount"] for r in out_rounds for p in r["payouts"] if p["kind"] == "in_kind"),
        "paid_total": paid_total,
        "rounds": out_rounds,
    }


def outbox_for_case(case: EnforcementCase) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(case=case).order_by("id"))


# ---------------------------------------------------------------------------------------------
# The court's dashboard


def rounds_in_scope(court: Court | None) -> QuerySet[Round]:
    qs = Round.objects.all()
    if court is not None:
        qs = qs.filter(lot__case__court=court)
    return qs


@dataclass
class Dashboard:
    court: Court | None
    auctioned: int = 0
    sold: int = 0
    sale_rate_bp: int | None = None  # basis points
    start_total: int = 0
    price_total: int = 0
    premium_rate_bp: int | None = None
    commission_saved: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    held_deposits: int = 0
    case_accounts: int = 0
    forfeits: int = 0
    provider_cash: int | None = None
    overdue_refunds: int = 0
    overdue_balances: int = 0
    overdue_inquiries: int | None = None
    months: list[dict] = field(default_factory=list)


def _ratio_bp(num: int, den: int) -> int | None:
    if den <= 0:
        return None
    return (num * 10000 + den // 2) // den


def _ledger_sum(kind: str, court: Court | None) -> int:
    qs = LedgerEntry.objects.filter(account__kind=kind)
    if court is not None:
        if kind == LedgerAccount.Kind.BIDDER_DEPOSIT:
            qs = qs.filter(account__registration__round__lot__case__court=court)
        else:
            qs = qs.filter(account__case__court=court)
    total = qs.aggregate(s=Sum("amount"))["s"] or 0
    return -total  # liabilities are credit-normal


def overdue_inquiries(court: Court | None, now: datetime) -> int:
    """Inquiries answered late or not at all: valuation's one rule (the valuer's inbox flags the same rows)."""
    return valuation_selectors.overdue_inquiries(now, court=court).count()


def commission_expression(price_field: str = "sold_price") -> ExpressionWrapper:
    """rules.commission_saved as a SQL expression (same bands, same half-up rounding per round), so the
    dashboard sums it in the database instead of loading every round."""
    price = F(price_field)
    milli = None
    lower = 0
    for upper, permille in rules.COMMISSION_BANDS:
        top = price if upper is None else Least(price, Value(upper))
        term = Greatest(top - Value(lower), Value(0)) * Value(permille)
        milli = term if milli is None else milli + term
        if upper is None:
            break
        lower = upper
    return ExpressionWrapper((milli + Value(500)) / Value(1000), output_field=BigIntegerField())


def _figures(qs) -> dict:
    deal = Q(status__in=rules.DEAL_STATUSES, sold_price__isnull=False)
    return dict(
        auctioned=Count("id"),
        sold=Count("id", filter=deal),
        start_total=Sum("starting_price", filter=deal),
        price_total=Sum("sold_price", filter=deal),
        commission=Sum(commission_expression(), filter=deal),
    )


def _int(value) -> int:
    return int(value or 0)


def dashboard(court: Court | None, now: datetime | None = None) -> Dashboard:
    now = now or clock.now()
    rounds = rounds_in_scope(court)
    d = Dashboard(court=court)
    for row in rounds.values("status").order_by("status").annotate(n=Count("id")):
        d.by_status[row["status"]] = row["n"]
    ended = rounds.filter(status__in=rules.ENDED_STATUSES)
    total = ended.aggregate(**_figures(ended))
    d.auctioned, d.sold = _int(total["auctioned"]), _int(total["sold"])
    d.start_total, d.price_total = _int(total["start_total"]), _int(total["price_total"])
    d.commission_saved = _int(total["commission"])
    d.sale_rate_bp = _ratio_bp(d.sold, d.auctioned)
    d.premium_rate_bp = rules.premium_rate_basis_points(d.price_total, d.start_total) if d.start_total else None
    monthly = (ended.annotate(month=TruncMonth(Coalesce("closed_at", "ends_at"), tzinfo=SHANGHAI))
               .values("month").annotate(**_figures(ended)).order_by("month"))
    for row in monthly:
        sold, auctioned = _int(row["sold"]), _int(row["auctioned"])
        d.months.append({"month": row["month"].strftime("%Y-%m"), "auctioned": auctioned, "sold": sold,
                         "amount": _int(row["price_total"]), "commission_saved": _int(row["commission"]),
                         "sale_rate_bp": _ratio_bp(sold, auctioned)})
    d.held_deposits = _ledger_sum(LedgerAccount.Kind.BIDDER_DEPOSIT, court)
    d.case_accounts = _ledger_sum(LedgerAccount.Kind.CASE, court)
    d.forfeits = _ledger_sum(LedgerAccount.Kind.FORFEIT, court)
    if court is None:
        d.provider_cash = LedgerEntry.objects.filter(account__kind=LedgerAccount.Kind.PROVIDER_CASH).aggregate(s=Sum("amount"))["s"] or 0
    d.overdue_refunds = overdue_refunds(court, now)
    d.overdue_balances = overdue_balance_rounds(court, now).count()
    d.overdue_inquiries = overdue_inquiries(court, now)
    return d


def overdue_refunds(court: Court | None, now: datetime) -> int:
    """A23: deposits still held past their release deadline (escrow owns the rule and the query)."""
    return sum(1 for o in overdue_releases(now) if court is None or o.round.lot.case.court_id == court.pk)


def overdue_balance_rounds(court: Court | None, now: datetime) -> QuerySet[Round]:
    """A25: a sold round whose balance deadline has passed without payment."""
    qs = Round.objects.filter(status=Round.Status.SOLD, balance_due_at__lt=now)
    if court is not None:
        qs = qs.filter(lot__case__court=court)
    return qs


def sold_rounds_for_csv(court: Court | None) -> QuerySet[Round]:
    return (rounds_in_scope(court).filter(status__in=rules.ENDED_STATUSES)
            .select_related("lot__case__court").order_by("closed_at", "id"))


def csv_rows(court: Court | None) -> list[list]:
    header = ["round_id", "court", "case_number", "lot", "round_number", "kind", "status", "closed_at",
              "starting_price_fen", "sold_price_fen", "premium_rate_bp", "commission_saved_fen"]
    rows: list[list] = [header]
    for r in sold_rounds_for_csv(court):
        deal = r.status in rules.DEAL_STATUSES and r.sold_price
        rows.append([
            r.pk, r.lot.case.court.name, r.lot.case.case_number, r.lot.title, r.number, r.kind, r.status,
            (r.closed_at or r.ends_at).astimezone(SHANGHAI).isoformat(),
            r.starting_price, r.sold_price if deal else "",
            rules.premium_rate_basis_points(r.sold_price, r.starting_price) if deal else "",
            rules.commission_saved(r.sold_price) if deal else "",
        ])
    return rows


def buyer_of(round: Round) -> Registration | None:
    """The buyer's registration (with the bidder) of a sold round, for the court's pages."""
    if round.leader_id is None or round.sold_price is None:
        return None
    return Registration.objects.select_related("bidder").filter(pk=round.leader_id).first()
