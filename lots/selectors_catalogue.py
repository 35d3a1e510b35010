"""The public catalogue's reads: the query, its search, and pages that stay fast deep into millions of lots.

- ``catalogue_rounds(**filters) -> QuerySet[Round]``  (see lots.selectors for the filters)
  One entry per lot: the rounds whose ``listed`` flag is set (the lot's latest round that is not a
  draft; lots.rounds keeps the flag). Every sort and filter has a partial index over the listed rounds
  (lots.models.Round.Meta.indexes).
- ``catalogue_page(rounds, page, size) -> CataloguePage``  one page of a catalogue query:
  the page's ids by the narrow query alone (an index-only scan of the sort's index on PostgreSQL), then
  the page's rows by id; the total counted exactly up to COUNT_EXACT_UP_TO, above that the planner's
  estimate (``count_is_estimate``). A page past the end raises NotFound; a page starting past
  MAX_OFFSET raises DomainError("page_too_deep") (narrow the search instead).

Search on PostgreSQL: every word of two characters or more must contain all its two-character pieces
(lots_search_grams, GIN-indexed, migration 0007) in the lot's title, location or city, or belong to a
case whose number contains them; every word is then matched exactly (icontains), as on SQLite, where
the exact match alone is used.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.postgres.fields import ArrayField
from django.db import connections
from django.db.models import BooleanField, F, Func, Q, QuerySet, TextField, Value

from accounts.models import Court
from auction_site.errors import DomainError, NotFound
from lots.models import EnforcementCase, Round, catalogue_active_end, catalogue_price, catalogue_rank

Status = Round.Status

CATALOGUE_SORTS = {
    "ends_at": ("ends_at", "id"),
    "-ends_at": ("-ends_at", "-id"),
    "starts_at": ("starts_at", "id"),
    "-starts_at": ("-starts_at", "-id"),
    "price": ("price", "id"),
    "-price": ("-price", "-id"),
    "-published_at": ("-published_at", "-id"),
    "-bid_count": ("-bid_count", "ends_at", "id"),
}
COUNT_EXACT_UP_TO = 1000
MAX_OFFSET = 50_000
# A word matching more cases than this is matched against case numbers without the index (a scan).
CASE_MATCHES_LOOKED_UP = 1000
LOT_SEARCH_FIELDS = ("title", "location", "city")


def _as_list(value: str | Iterable[str] | None) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value if v]


def _grams(*fields: str) -> Func:
    return Func(*[F(f) for f in fields], function="lots_search_grams", output_field=ArrayField(TextField()))


def _grams_contain(fields: tuple[str, ...], word: str) -> Func:
    """fields' pieces ⊇ the word's pieces (the GIN-indexed expression of migration 0007)."""
    word_grams = Func(Value(word, output_field=TextField()), function="lots_search_grams", output_field=ArrayField(TextField()))
    return Func(_grams(*fields), word_grams, template="(%(expressions)s)", arg_joiner=" @> ", output_field=BooleanField())


def _exact(word: str) -> Q:
    return (Q(lot__title__icontains=word) | Q(lot__case__case_number__icontains=word)
            | Q(lot__location__icontains=word) | Q(lot__city__icontains=word))


def _word_filter(word: str, db: str) -> Q:
    exact = _exact(word)
    if connections[db].vendor != "postgresql" or len(word) < 2:
        return exact
    cases = list(EnforcementCase.objects.using(db).filter(_grams_contain(("case_number",), word), case_number__icontains=word)
                 .values_list("pk", flat=True)[:CASE_MATCHES_LOOKED_UP + 1])
    if len(cases) > CASE_MATCHES_LOOKED_UP:
        return exact
    lot_side = _grams_contain(tuple(f"lot__{f}" for f in LOT_SEARCH_FIELDS), word)
    by_index = Q(lot_side) | Q(lot__case_id__in=cases) if cases else Q(lot_side)
    return by_index & exact


def catalogue_rounds(*, q: str | None = None, category: str | Iterable[str] | None = None, status: str | Iterable[str] | None = None,
                     court: Court | int | str | None = None, min_price: int | None = None, max_price: int | None = None,
                     sort: str = "ends_at", db: str | None = None) -> QuerySet[Round]:
    if sort not in CATALOGUE_SORTS and sort != "recommended":
        raise DomainError("invalid_sort", f"排序方式无效，可选 / sort must be one of: {', '.join(CATALOGUE_SORTS)}", field="sort")
    qs = Round.objects.all() if db is None else Round.objects.using(db)
    qs = (qs.filter(listed=True).exclude(status=Status.DRAFT)
          .select_related("lot", "lot__case", "lot__case__court").annotate(price=catalogue_price()))
    for word in (q or "").split():
        qs = qs.filter(_word_filter(word, qs.db))
    categories = _as_list(category)
    if categories:
        qs = qs.filter(lot__category__in=categories)
    statuses = _as_list(status)
    if statuses:
        qs = qs.filter(status__in=statuses)
    if court not in (None, ""):
        if isinstance(court, Court):
            qs = qs.filter(lot__case__court=court)
        elif isinstance(court, int) or str(court).isdigit():
            qs = qs.filter(lot__case__court_id=int(court))
        else:
            qs = qs.filter(lot__case__court__code=str(court))
    if min_price is not None:
        qs = qs.filter(price__gte=min_price)
    if max_price is not None:
        qs = qs.filter(price__lte=max_price)
    if sort == "recommended":
        return qs.order_by(catalogue_rank().asc(), catalogue_active_end().asc(nulls_last=True), F("ends_at").desc(), F("id").desc())
    return qs.order_by(*CATALOGUE_SORTS[sort])


# ------------------------------------------------------------------------------------------------ pages


@dataclass
class CataloguePage:
    """One page of the catalogue (the attributes the page template and the API read)."""

    rows: list[Round]
    number: int
    size: int
    count: int
    count_is_estimate: bool
    has_next: bool
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max(1, math.ceil(self.count / self.size)) if self.count else 1
        if self.has_next:
            self.pages = max(self.pages, self.number + 1)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def _estimate(rounds: QuerySet[Round]) -> int | None:
    """The planner's estimate of the rows of a query (PostgreSQL), without running it."""
    if connections[rounds.db].vendor != "postgresql":
        return None
    plan = json.loads(rounds.order_by().values("pk").explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


def count(rounds: QuerySet[Round]) -> tuple[int, bool]:
    """(count, is_estimate): exact up to COUNT_EXACT_UP_TO, else the planner's estimate (never below that)."""
    narrow = rounds.order_by().values("pk")
    if connections[rounds.db].vendor != "postgresql":
        return narrow.count(), False
    n = narrow[:COUNT_EXACT_UP_TO + 1].count()
    if n <= COUNT_EXACT_UP_TO:
        return n, False
    return max(_estimate(rounds) or 0, COUNT_EXACT_UP_TO + 1), True


def parse_page(value: str | int | None) -> int:
    if value in (None, ""):
        return 1
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise NotFound("页码无效 / invalid page") from None
    if number < 1:
        raise NotFound("页码无效 / invalid page")
    return number


def catalogue_page(rounds: QuerySet[Round], page: str | int | None, size: int) -> CataloguePage:
    number = parse_page(page)
    offset = (number - 1) * size
    if offset > MAX_OFFSET:
        raise DomainError("page_too_deep", f"页码过深，请缩小搜索范围 / pages start at most {MAX_OFFSET} rows deep: narrow the search",
                          field="page")
    ids = list(rounds.values_list("pk", flat=True)[offset:offset + size + 1])
    if not ids and number > 1:
        raise NotFound("页码超出范围 / no such page")
    has_next = len(ids) > size
    ids = ids[:size]
    by_id = {r.pk: r for r in rounds.order_by().filter(pk__in=ids)} if ids else {}
    rows = [by_id[i] for i in ids if i in by_id]
    if number == 1 and not has_next:
        total, estimated = len(rows), False
    else:
        total, estimated = count(rounds)
        total = max(total, offset + len(rows))
    return CataloguePage(rows=rows, number=number, size=size, count=total, count_is_estimate=estimated, has_next=has_next)
