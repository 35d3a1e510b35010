"""Reads of the open data: public statistics per court and for the platform, and the change feed.

Only public facts: published rounds (never drafts), prices, dates and outcomes; no bidder, no buyer.
The figures follow docs/rules.md ("Figures shown to the public"):

- sale rate (成交率) by LOT, the way the courts' statistics count it: lots sold / lots auctioned, where a
  lot is auctioned once one of its rounds has ended and sold once one of its rounds ended in a deal; a lot
  that failed once and sold in its second round counts once in both;
- premium rate (溢价率) of the deals: (Σ price − Σ starting price of the deal rounds) / Σ starting price;
- days from seizure (查封) to sale: from the lot's seizure to the close of its deal round (lots with a
  recorded seizure only), mean and median;
- commission saved: the [C] scale of settlement.rules on each deal price, summed in SQL through
  selectors.commission_expression (the same bands, the same rounding).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from statistics import median

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils.dateparse import parse_datetime

from accounts.models import Court
from auction_site.errors import DomainError, ErrorCode
from lots.models import Round
from settlement import rules
from settlement.selectors import SHANGHAI, _ratio_bp, commission_expression

DEAL = Q(status__in=rules.DEAL_STATUSES, sold_price__isnull=False)


@dataclass
class Statistics:
    court: dict | None
    lots_auctioned: int = 0
    lots_sold: int = 0
    sale_rate_bp: int | None = None
    rounds_ended: int = 0
    deal_starting_total: int = 0
    deal_price_total: int = 0
    premium_rate_bp: int | None = None
    days_to_sale_mean: float | None = None
    days_to_sale_median: float | None = None
    days_to_sale_lots: int = 0
    commission_saved: int = 0
    months: list[dict] = field(default_factory=list)
    courts: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        return asdict(self)


def court_by_key(key: str) -> Court | None:
    """A court by its code (e.g. 苏05) or its id."""
    court = Court.objects.filter(code=key).first()
    if court is None and key.isdigit():
        court = Court.objects.filter(pk=int(key)).first()
    return court


def _rounds(court: Court | None) -> QuerySet[Round]:
    qs = Round.objects.exclude(status=Round.Status.DRAFT)
    return qs if court is None else qs.filter(lot__case__court=court)


def _court_json(court: Court) -> dict:
    return {"id": court.pk, "code": court.code, "name": court.name}


def statistics(court: Court | None, *, per_court: bool = True) -> Statistics:
    rounds = _rounds(court)
    ended = rounds.filter(status__in=rules.ENDED_STATUSES)
    deals = ended.filter(DEAL)
    s = Statistics(court=_court_json(court) if court else None)
    s.rounds_ended = ended.count()
    s.lots_auctioned = ended.values("lot_id").distinct().count()
    s.lots_sold = deals.values("lot_id").distinct().count()
    s.sale_rate_bp = _ratio_bp(s.lots_sold, s.lots_auctioned)
    totals = deals.aggregate(start=Sum("starting_price"), price=Sum("sold_price"), commission=Sum(commission_expression()))
    s.deal_starting_total, s.deal_price_total = int(totals["start"] or 0), int(totals["price"] or 0)
    s.commission_saved = int(totals["commission"] or 0)
    if s.deal_starting_total:
        s.premium_rate_bp = rules.premium_rate_basis_points(s.deal_price_total, s.deal_starting_total)
    days = _days_to_sale(deals)
    if days:
        s.days_to_sale_lots = len(days)
        s.days_to_sale_mean = round(sum(days) / len(days), 1)
        s.days_to_sale_median = round(float(median(days)), 1)
    s.months = _months(ended)
    if court is None and per_court:
        s.courts = [_court_row(c) for c in Court.objects.order_by("code")]
    return s


def _days_to_sale(deals: QuerySet[Round]) -> list[float]:
    """Per sold lot: days from its seizure to the close of its (first) deal round."""
    first_close: dict[int, tuple[datetime, datetime]] = {}
    rows = (deals.filter(lot__seized_at__isnull=False, closed_at__isnull=False)
            .values_list("lot_id", "lot__seized_at", "closed_at").order_by("lot_id", "closed_at"))
    for lot_id, seized, closed in rows:
        first_close.setdefault(lot_id, (seized, closed))
    return [max((closed - seized).total_seconds(), 0) / 86400 for seized, closed in first_close.values()]


def _months(ended: QuerySet[Round]) -> list[dict]:
    """By month of the close (Beijing time): lots auctioned and sold that month, amounts, commission."""
    month = TruncMonth(Coalesce("closed_at", "ends_at"), tzinfo=SHANGHAI)
    rows = (ended.annotate(month=month).values("month")
            .annotate(auctioned=Count("lot_id", distinct=True), sold=Count("lot_id", distinct=True, filter=DEAL),
                      amount=Sum("sold_price", filter=DEAL), commission=Sum(commission_expression(), filter=DEAL))
            .order_by("month"))
    return [{"month": r["month"].strftime("%Y-%m"), "lots_auctioned": r["auctioned"], "lots_sold": r["sold"],
             "sale_rate_bp": _ratio_bp(r["sold"], r["auctioned"]), "amount": int(r["amount"] or 0),
             "commission_saved": int(r["commission"] or 0)} for r in rows]


def _court_row(court: Court) -> dict:
    s = statistics(court, per_court=False)
    return {**_court_json(court), "lots_auctioned": s.lots_auctioned, "lots_sold": s.lots_sold,
            "sale_rate_bp": s.sale_rate_bp, "premium_rate_bp": s.premium_rate_bp,
            "commission_saved": s.commission_saved, "days_to_sale_median": s.days_to_sale_median}


# ---------------------------------------------------------------------------------------------
# The change feed: published rounds and their results, in the order they last changed.

FEED_PAGE_SIZE = 100
FEED_MAX_PAGE_SIZE = 500


def encode_cursor(changed_at: datetime, round_id: int) -> str:
    raw = json.dumps([changed_at.isoformat(), round_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    bad = DomainError(ErrorCode.INVALID_CURSOR, "游标无效 / the cursor is not one this feed issued", field="cursor")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, round_id = json.loads(raw)
        when = parse_datetime(at) if isinstance(at, str) else None
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise bad from None
    if when is None or when.tzinfo is None or isinstance(round_id, bool) or not isinstance(round_id, int):
        raise bad
    return when, round_id


def feed_rounds(court: Court | None = None) -> QuerySet[Round]:
    return (_rounds(court).annotate(changed_at=Coalesce("status_changed_at", "created_at"))
            .select_related("lot__case__court").order_by("changed_at", "id"))


def feed_page(cursor: str | None, *, size: int = FEED_PAGE_SIZE, court: Court | None = None) -> tuple[list[dict], str | None, bool]:
    """One page of the feed after `cursor` (None: from the start), the cursor of the next page, and
    whether more changes follow already.

    The next cursor is returned even on the last page (a reader polls with it for later changes);
    an empty page answers the same cursor back."""
    qs = feed_rounds(court)
    if cursor:
        at, round_id = decode_cursor(cursor)
        qs = qs.filter(Q(changed_at__gt=at) | Q(changed_at=at, id__gt=round_id))
    rows = list(qs[:size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    items = [feed_item(r) for r in rows]
    next_cursor = encode_cursor(rows[-1].changed_at, rows[-1].pk) if rows else cursor
    return items, next_cursor, has_more


def _result(status: str) -> str | None:
    if status in rules.DEAL_STATUSES:
        return "sold"
    if status in {"failed", "withdrawn", "defaulted"}:
        return status
    return None


def _iso(dt: datetime | None) -> str | None:
    return dt.astimezone(SHANGHAI).isoformat() if dt else None


def feed_item(r: Round) -> dict:
    deal = r.status in rules.DEAL_STATUSES and r.sold_price is not None
    case = r.lot.case
    return {
        "round": r.pk, "lot": {"id": r.lot_id, "title": r.lot.title, "category": r.lot.category},
        "court": {"code": case.court.code, "name": case.court.name}, "case_number": case.case_number,
        "number": r.number, "kind": r.kind, "status": r.status, "result": _result(r.status),
        "starting_price": r.starting_price, "deposit": r.deposit, "increment": r.increment,
        "sold_price": r.sold_price if deal else None,
        "premium_rate_bp": rules.premium_rate_basis_points(r.sold_price, r.starting_price) if deal else None,
        "commission_saved": rules.commission_saved(r.sold_price) if deal else None,
        "starts_at": _iso(r.starts_at), "ends_at": _iso(r.ends_at), "closed_at": _iso(r.closed_at),
        "bid_count": r.bid_count, "changed_at": _iso(getattr(r, "changed_at", None) or r.status_changed_at or r.created_at),
    }


FEED_CSV_HEADER = ["round", "lot", "lot_title", "court_code", "court", "case_number", "number", "kind", "status", "result",
                   "starting_price_fen", "sold_price_fen", "premium_rate_bp", "commission_saved_fen", "starts_at", "ends_at",
                   "closed_at", "bid_count", "changed_at"]


def feed_csv_row(item: dict) -> list:
    blank = lambda v: "" if v is None else v  # noqa: E731
    return [item["round"], item["lot"]["id"], item["lot"]["title"], item["court"]["code"], item["court"]["name"],
            item["case_number"], item["number"], item["kind"], item["status"], blank(item["result"]),
            item["starting_price"], blank(item["sold_price"]), blank(item["premium_rate_bp"]),
            blank(item["commission_saved"]), item["starts_at"], item["ends_at"], blank(item["closed_at"]),
            item["bid_count"], item["changed_at"]]

