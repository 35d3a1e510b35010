"""The public catalogue's reads: the query, its search, and pages that stay fast deep into millions of lots.

- ``catalogue_rounds(**filters) -> QuerySet[Round]``  (see lots.selectors for the filters)
  One entry per lot: the rounds whose ``listed`` flag is set (the lot's latest round that is not a
  draft; lots.rounds keeps the flag). Every sort and filter has a partial index over the listed rounds
  (lots.models.Round.Meta.indexes).
- ``catalogue_page(rounds, page, size) -> CataloguePage``  one page of a catalogue query:
  the page's ids by the narrow query alone (an index-only scan of the sort's index on PostgreSQL), then
  the page's rows by id; the total counted exactly up to COUNT_EXACT_UP_TO, above that the planner's
  estimate (``count_is_estimate``). A page past the end raises NotFound; a page starting past
  MAX_OFFSET raises DomainError(ErrorCode.PAGE_TOO_DEEP) (narrow the search instead).

Filters of the catalogue (docs/catalogue.md): region (province, city, district: Lot columns, indexed),
sub-type (Lot.subtype), round (一拍 / 二拍 / 变卖: the listed round's kind and number) and discount (the
round's stored `discount`, lots.discount); each reads an index, none a per-row subquery. The sort
"ending_soon" lists only the rounds still open (status open, end time still ahead).

A search word is expanded with its synonyms (lots.synonyms): any one of them matching is enough, in the
lot's text or as the name of its sub-type (汽车 → 轿车 → a lot of sub-type "car").

Search on PostgreSQL: every word of two characters or more must match in one of its ways (each synonym's
two-character pieces, each sub-type it names, the cases whose number contains it); the lots are looked up by
one containment of lots_search_keys (GIN-indexed, migration 0012) per combination of the words' ways, so the
index intersects the words; every word is then matched exactly (icontains), as on SQLite, where the exact
match alone is used.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.postgres.fields import ArrayField
from django.db import connections, transaction
from django.db.models import BooleanField, ExpressionWrapper, F, Func, Q, QuerySet, TextField, Value
from django.db.models.expressions import RawSQL

from accounts.models import Court
from auction_site import clock
from auction_site.errors import DomainError, ErrorCode, NotFound
from lots import synonyms
from lots.models import EnforcementCase, Lot, Round, Subtype, catalogue_active_end, catalogue_price, catalogue_rank

Status = Round.Status

CATALOGUE_SORTS = {
    "ending_soon": ("ends_at", "id"),  # the open rounds only (catalogue_rounds)
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
# Up to this many candidate lots of a search, the page is their rounds sorted; above, the sort's index is
# walked (the words are then common enough for a page to fill after a few thousand rounds).
SORTED_CANDIDATES_UP_TO = 5000
ESTIMATE_TRUSTED_ABOVE = 20_000
# The plan of a page of common words: the sort's index, then each round's lot by its key (no sort, no
# bitmap, no scan of every lot; no JIT compilation nor parallel workers, which cost more than such a query).
WALK_SETTINGS = {**{name: "off" for name in ("enable_sort", "enable_bitmapscan", "enable_seqscan", "enable_material", "enable_hashjoin",
                                              "enable_mergejoin", "jit")}, "max_parallel_workers_per_gather": "0"}
MAX_OFFSET = 50_000
# A word matching more cases than this is matched against case numbers without the index (a scan).
CASE_MATCHES_LOOKED_UP = 1000
LOT_SEARCH_FIELDS = ("title", "location", "city")
# The round filter: 一拍 (first auction), 二拍 (the re-auction), 变卖 (sell-off).
ROUND_KINDS = {
    "first": Q(kind=Round.Kind.AUCTION, number=1),
    "second": Q(kind=Round.Kind.AUCTION, number=2),
    "selloff": Q(kind=Round.Kind.SELLOFF),
}


def _as_list(value: str | Iterable[str] | None) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value if v]


def _grams(*fields: str) -> Func:
    return Func(*[F(f) for f in fields], function="lots_search_grams", output_field=ArrayField(TextField()))


def _grams_contain(fields: tuple[str, ...], word: str) -> Func:
    """fields' pieces ⊇ the word's pieces (the GIN-indexed expression of migration 0007: the case number)."""
    word_grams = Func(Value(word, output_field=TextField()), function="lots_search_grams", output_field=ArrayField(TextField()))
    return Func(_grams(*fields), word_grams, template="(%(expressions)s)", arg_joiner=" @> ", output_field=BooleanField())


def _keys_contain(prefix: str, texts: tuple[str, ...], subtypes: tuple[str, ...]) -> Func:
    """The lot's keys (lots_search_keys, GIN-indexed, migration 0012) ⊇ the pieces of every text and the key of every sub-type."""
    keys = Func(*[F(f"{prefix}{f}") for f in (*LOT_SEARCH_FIELDS, "subtype")], function="lots_search_keys",
                output_field=ArrayField(TextField()))
    wanted = [Func(Value(t, output_field=TextField()), function="lots_search_grams", output_field=ArrayField(TextField())) for t in texts]
    if subtypes:
        wanted.append(Func(*[Value(f"={s}", output_field=TextField()) for s in subtypes], template="ARRAY[%(expressions)s]::text[]",
                           output_field=ArrayField(TextField())))
    both = Func(*wanted, template="(%(expressions)s)", arg_joiner=" || ", output_field=ArrayField(TextField()))
    return Func(keys, both, template="(%(expressions)s)", arg_joiner=" @> ", output_field=BooleanField())


def _lot_text(word: str, prefix: str) -> Q:
    return Q(**{f"{prefix}{f}__icontains": word for f in LOT_SEARCH_FIELDS}, _connector=Q.OR)


def _matching_cases(word: str, db: str) -> list[int] | None:
    """Ids of the cases whose number contains the word (by the index), or None when there are too many."""
    cases = list(EnforcementCase.objects.using(db).filter(_grams_contain(("case_number",), word), case_number__icontains=word)
                 .values_list("pk", flat=True)[:CASE_MATCHES_LOOKED_UP + 1])
    return None if len(cases) > CASE_MATCHES_LOOKED_UP else cases


class CatalogueQuerySet(QuerySet):
    """Rounds of the catalogue, with what catalogue_page needs to know about a search by common words:
    `walk_sort_index` (page by walking the sort's index, checking each lot) and `estimate_from` (the
    query whose planner estimate stands for the count)."""

    walk_sort_index = False
    count_exactly = False
    estimate_from: QuerySet | None = None

    def _clone(self):
        clone = super()._clone()
        clone.walk_sort_index, clone.estimate_from, clone.count_exactly = self.walk_sort_index, self.estimate_from, self.count_exactly
        return clone


def _subtypes_named(words: tuple[str, ...]) -> list[str]:
    """The sub-types whose name is one of the words ("轿车" → car): a lot of that sub-type matches them too."""
    return [value for value, name in Subtype.choices if name in words]


def _lot_in(qs: QuerySet[Round], lot_ids: list[int]) -> QuerySet[Round]:
    """The rounds of these lots: one array parameter rather than thousands (the query is compiled and planned three times)."""
    found = qs.filter(ExpressionWrapper(RawSQL(f"{Round._meta.db_table}.lot_id = ANY(%s)", [lot_ids]), output_field=BooleanField()))
    found.count_exactly = True  # at most SORTED_CANDIDATES_UP_TO rounds: counted, never estimated
    return found


# A lookup of a few thousand candidates by an index: no parallel workers nor JIT compilation, whose start costs
# more than such a query (the planner, misjudging the rows of a search's exact test, may plan them).
CANDIDATE_SETTINGS = {"max_parallel_workers_per_gather": "0", "jit": "off"}


def _with_settings(db: str, settings: dict[str, str], read):
    """read() with these planner settings for the current transaction only (SET LOCAL)."""
    with transaction.atomic(using=db), connections[db].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join("set_config(%s, %s, true)" for _ in settings), [x for pair in settings.items() for x in pair])
        return read()


def _candidates(lots: QuerySet[Lot]) -> list[int]:
    """Up to SORTED_CANDIDATES_UP_TO + 1 ids of these lots."""
    return _with_settings(lots.db, CANDIDATE_SETTINGS, lambda: list(lots.values_list("pk", flat=True)[:SORTED_CANDIDATES_UP_TO + 1]))


def _on_lots(lot_columns: dict[str, object], prefix: str = "") -> Q:
    return Q(**{f"{prefix}{k}": v for k, v in lot_columns.items()})


def _among_few_lots(qs: QuerySet[Round], lot_columns: dict[str, object]) -> QuerySet[Round]:
    """Region / sub-type filters (PostgreSQL): when few lots match (by their indexes, lot_city_district and
    lot_province_subtype an index-only scan), the page is those lots' rounds, sorted, as for a rare search word;
    when many do, the sort's index is walked and each lot checked (a page fills quickly). The planner, which
    cannot know how two columns of a lot go together (a district and a sub-type), would otherwise walk every
    listed round looking for a combination that is rare or absent."""
    if connections[qs.db].vendor != "postgresql":
        return qs.filter(_on_lots(lot_columns, "lot__"))
    candidates = _candidates(Lot.objects.using(qs.db).filter(_on_lots(lot_columns)))
    if len(candidates) <= SORTED_CANDIDATES_UP_TO:
        return _lot_in(qs, candidates)  # the lots' own filters are the candidates' (no join of lots_lot)
    return qs.filter(_on_lots(lot_columns, "lot__"))


# A search of several words, each with several ways of matching, is looked up by one containment per
# combination of ways (苏州 住宅: {苏州, 住宅} or {苏州, =residential}); above this many, by one disjunction
# per word (the planner then combines them).
MAX_KEY_COMBINATIONS = 32


@dataclass(frozen=True)
class _Way:
    """One way for a lot to match words (a conjunction): its keys contain the pieces of `texts` and the keys of
    `subtypes`, and its case is one of `cases` (None: any case)."""

    texts: tuple[str, ...] = ()
    subtypes: tuple[str, ...] = ()
    cases: frozenset[int] | None = None

    def __and__(self, other: _Way) -> _Way | None:
        cases = self.cases if other.cases is None else other.cases if self.cases is None else self.cases & other.cases
        if cases is not None and not cases:
            return None
        return _Way(self.texts + other.texts, tuple(dict.fromkeys(self.subtypes + other.subtypes)), cases)

    def q(self, prefix: str) -> Q:
        found = Q()
        if self.texts or self.subtypes:
            found &= Q(_keys_contain(prefix, self.texts, self.subtypes))
        if self.cases is not None:
            found &= Q(**{f"{prefix}case_id__in": sorted(self.cases)})
        return found


def _ways(word: str, cases: list[int] | None) -> list[_Way] | None:
    """Every way the word matches a lot, each answerable by an index (None: one is not, e.g. a one-character synonym)."""
    alternatives = synonyms.expand(word)
    if cases is None or any(len(alt) < 2 for alt in alternatives):
        return None
    ways = [_Way(texts=(alt,)) for alt in alternatives]
    ways += [_Way(subtypes=(s,)) for s in _subtypes_named(alternatives)]
    if cases:
        ways.append(_Way(cases=frozenset(cases)))
    return ways


def _by_keys(per_word: list[list[_Way]], prefix: str) -> Q:
    """Lots having every word in one of its ways, as index conditions: one containment per combination of the
    words' ways when they are few, else a conjunction of each word's ways."""
    combined: list[_Way] = [_Way()]
    for ways in per_word:
        combined = [c for c in (a & b for a in combined for b in ways) if c is not None]
        if len(combined) > MAX_KEY_COMBINATIONS:
            return Q(*[Q(*[w.q(prefix) for w in ways], _connector=Q.OR) for ways in per_word])
    if not combined:
        return Q(pk__in=[])
    return Q(*[c.q(prefix) for c in combined], _connector=Q.OR)


def _estimate_lots(lots: QuerySet[Lot]) -> int:
    """The planner's estimate of the lots of a query (PostgreSQL), without running it."""
    plan = json.loads(lots.values("pk").explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


def _search(qs: QuerySet[Round], words: list[str], lot_columns: dict[str, object]) -> QuerySet[Round]:
    """Every word (or one of its synonyms, lots.synonyms) matched (icontains) in the lot's title, location or city,
    or naming the lot's sub-type, or the word in its case number; and the lot's own filters (region, sub-type, category)."""
    db = qs.db
    indexed = connections[db].vendor == "postgresql"
    exact, exact_lots = Q(), Q()  # on the rounds, on the lots
    per_word: list[list[_Way]] = []
    for word in words:
        cases = _matching_cases(word, db) if indexed and len(word) >= 2 else None
        if cases is None:
            word_exact, word_lots = Q(lot__case__case_number__icontains=word), Q(case__case_number__icontains=word)
        else:
            word_exact, word_lots = (Q(lot__case_id__in=cases), Q(case_id__in=cases)) if cases else (Q(pk__in=[]), Q(pk__in=[]))
        subtypes = _subtypes_named(synonyms.expand(word))
        if subtypes:  # lot_subtype
            word_exact |= Q(lot__subtype__in=subtypes)
            word_lots |= Q(subtype__in=subtypes)
        for alt in synonyms.expand(word):
            word_exact |= _lot_text(alt, "lot__")
            word_lots |= _lot_text(alt, "")
        exact &= word_exact
        exact_lots &= word_lots
        ways = _ways(word, cases) if indexed and len(word) >= 2 else None
        if ways is not None:
            per_word.append(ways)
    on_lots, on_rounds = _on_lots(lot_columns), _on_lots(lot_columns, "lot__")
    if not indexed or all(len(w) < 2 for w in words):
        return qs.filter(exact & on_rounds)
    # The candidate lots by the GIN index (each word in one of its ways, lots_search_keys): when they are few
    # (SORTED_CANDIDATES_UP_TO), the page is those lots' rounds, sorted; when they are many, the page walks the
    # sort's index and checks each lot (the words are common, so a page fills quickly), and the count is estimated.
    # When the planner already expects far more candidates than that (ESTIMATE_TRUSTED_ABOVE, as for counts), they
    # are not fetched at all. The lot filters (region, sub-type, category) narrow the candidates too.
    by_keys = _by_keys(per_word, "") if per_word else Q()
    lots = Lot.objects.using(db).filter(by_keys & on_lots)
    if not per_word or _estimate_lots(lots) <= ESTIMATE_TRUSTED_ABOVE:
        candidates = _candidates(lots.filter(exact_lots))
        if len(candidates) <= SORTED_CANDIDATES_UP_TO:
            return _lot_in(qs, candidates)  # the candidates passed every word and lot filter: no join of lots_lot
    keys_on_rounds = _by_keys(per_word, "lot__") if per_word else Q()
    found = qs.filter(exact & keys_on_rounds & on_rounds)  # the exact test first (cheaper), the keys let the count use the index
    found.walk_sort_index = True
    found.estimate_from = qs.filter(keys_on_rounds & on_rounds)
    return found


def _place(value: str | None, *suffixes: str) -> str:
    """A place as the lots store it: "苏州市" → "苏州", "江苏省" → "江苏" (districts keep their 区/县)."""
    text = (value or "").strip()
    for suffix in suffixes:
        if len(text) > len(suffix) + 1 and text.endswith(suffix):
            return text[: -len(suffix)]
    return text


def catalogue_rounds(*, q: str | None = None, category: str | Iterable[str] | None = None, status: str | Iterable[str] | None = None,
                     court: Court | int | str | None = None, min_price: int | None = None, max_price: int | None = None,
                     province: str | None = None, city: str | None = None, district: str | None = None,
                     subtype: str | Iterable[str] | None = None, round: str | Iterable[str] | None = None,
                     min_discount: int | None = None, max_discount: int | None = None,
                     sort: str = "ends_at", db: str | None = None) -> QuerySet[Round]:
    if sort not in CATALOGUE_SORTS and sort != "recommended":
        raise DomainError(ErrorCode.INVALID_SORT, f"排序方式无效，可选 / sort must be one of: {', '.join(CATALOGUE_SORTS)}", field="sort")
    qs = CatalogueQuerySet(model=Round)
    qs = qs if db is None else qs.using(db)
    # `listed` implies "not a draft" (lots.rounds): no test of the status, so that a page's ids come from
    # the sort's index alone (an index-only scan).
    qs = (qs.filter(listed=True)
          .select_related("lot", "lot__case", "lot__case__court").annotate(price=catalogue_price()))
    # The lot's own columns (each indexed on lots_lot): region, sub-type, category.
    lot_columns: dict[str, object] = {}
    for name, value in (("province", _place(province, "省", "市")), ("city", _place(city, "市")), ("district", _place(district))):
        if value:
            lot_columns[name] = value  # lot_region / lots_lot_city / lot_district
    subtypes = _as_list(subtype)
    if subtypes:
        lot_columns["subtype__in"] = subtypes  # lot_subtype
    narrow = bool(lot_columns)  # a region or a sub-type may be rare; a category never is
    categories = _as_list(category)
    if categories:
        lot_columns["category__in"] = categories
    words = (q or "").split()
    if words:
        qs = _search(qs, words, lot_columns)
    elif narrow:
        qs = _among_few_lots(qs, lot_columns)
    elif lot_columns:
        qs = qs.filter(_on_lots(lot_columns, "lot__"))
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
    kinds = _as_list(round)
    if kinds:
        unknown = [k for k in kinds if k not in ROUND_KINDS]
        if unknown:
            raise DomainError(ErrorCode.INVALID, f"未知拍次 / round must be one of: {', '.join(ROUND_KINDS)}", field="round")
        qs = qs.filter(Q(*[ROUND_KINDS[k] for k in kinds], _connector=Q.OR))
    if min_discount is not None:
        qs = qs.filter(discount__gte=min_discount)
    if max_discount is not None:
        qs = qs.filter(discount__lte=max_discount)
    if sort == "ending_soon":
        # Only what a visitor can still bid on: open, and the end still ahead (round_listed_status_ends).
        qs = qs.filter(status=Status.OPEN, ends_at__gt=clock.now())
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
    """(count, is_estimate): exact up to COUNT_EXACT_UP_TO, else the planner's estimate (never below that).
    An estimate above ESTIMATE_TRUSTED_ABOVE is taken without counting at all."""
    narrow = rounds.order_by().values("pk")
    if connections[rounds.db].vendor != "postgresql" or getattr(rounds, "count_exactly", False):
        return narrow.count(), False
    source = getattr(rounds, "estimate_from", None)
    estimate = _estimate(rounds if source is None else source) or 0
    if estimate > ESTIMATE_TRUSTED_ABOVE:
        return estimate, True
    n = narrow[:COUNT_EXACT_UP_TO + 1].count()
    if n <= COUNT_EXACT_UP_TO:
        return n, False
    return max(estimate, COUNT_EXACT_UP_TO + 1), True


def _page_ids(rounds: QuerySet[Round], offset: int, size: int) -> list[int]:
    narrow = rounds.values_list("pk", flat=True)[offset:offset + size]
    if not getattr(rounds, "walk_sort_index", False):
        return list(narrow)
    # Common words: walk the sort's index and check each lot; no sort of every match (the planner,
    # which cannot know how often the words occur, would otherwise sort them all).
    return _with_settings(rounds.db, WALK_SETTINGS, lambda: list(narrow))


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


def catalogue_page(rounds: QuerySet[Round], page: str | int | None, size: int, *, prefetch: tuple[str, ...] = ()) -> CataloguePage:
    number = parse_page(page)
    offset = (number - 1) * size
    if offset > MAX_OFFSET:
        raise DomainError(ErrorCode.PAGE_TOO_DEEP, f"页码过深，请缩小搜索范围 / pages start at most {MAX_OFFSET} rows deep: narrow the search",
                          field="page")
    every: list[int] | None = None
    if getattr(rounds, "count_exactly", False) and connections[rounds.db].vendor == "postgresql":
        # A few thousand rounds at most (_lot_in): all their ids in order, once, give the page and the count.
        every = list(rounds.values_list("pk", flat=True))
        ids = every[offset:offset + size + 1]
    else:
        ids = _page_ids(rounds, offset, size + 1)
    if not ids and number > 1:
        raise NotFound("页码超出范围 / no such page")
    has_next = len(ids) > size
    ids = ids[:size]
    # The page's rows by primary key alone (the filters were the narrow query's work).
    by_id = {}
    if ids:
        fetched = (Round.objects.using(rounds.db).filter(pk__in=ids).select_related("lot", "lot__case", "lot__case__court")
                   .annotate(price=catalogue_price()).prefetch_related(*prefetch))
        by_id = {r.pk: r for r in fetched}
    rows = [by_id[i] for i in ids if i in by_id]
    if number == 1 and not has_next:
        total, estimated = len(rows), False
    elif every is not None:
        total, estimated = len(every), False
    else:
        total, estimated = count(rounds)
        total = max(total, offset + len(rows))
    return CataloguePage(rows=rows, number=number, size=size, count=total, count_is_estimate=estimated, has_next=has_next)
