"""The built-in automated valuation model (AVM): prices a lot from comparable past sales.

How a quote is made (thresholds and their reasons: avm/rules.py; figures on the demo data: docs/avm.md):

1. Candidates: past sales of the same category (and size unit), sold before `at` and within the
   look-back window, not voided. A sale sold at or after `at` is never used (no look-ahead).
2. Price index per category: a least-squares regression (scikit-learn) of log price per unit of size on
   time, with the city, the kind (apartment/shop/land …), log size and age held fixed. Its time slope is
   the annual trend; its city and kind effects let a comparable of another kind or city count.
   Every comparable is moved to the date of the quote (and to the lot's kind/city) by those effects.
3. Comparables: the same city (the same kind too when there are enough of those), else — only for
   categories whose price hardly depends on place — the same category anywhere. Too few → abstain.
4. Local model: a weighted ridge regression of the adjusted log price per unit on log size and age,
   both centred on the lot, so the intercept is the lot's predicted log price per unit. Weights: the
   similarity of size, age and recency of each comparable.
5. Range: the weighted quantiles of out-of-fold (5-fold) residuals of that same regression at
   (1 − c)/2 and (1 + c)/2 for the nominal coverage c, widened for small effective samples.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import Q

from auction_site import audit, clock
from auction_site.errors import DomainError, ErrorCode
from avm import rules
from avm.models import PastSale
from lots.models import Category, Lot, Round

logger = logging.getLogger("avm")

METHOD = "avm-hedonic-wls/1"
YEAR_SECONDS = 365.25 * 24 * 3600
SOLD_STATUSES = (Round.Status.SOLD, Round.Status.PAID, Round.Status.SETTLED)
# The range is widened by sqrt(1 + WIDEN_K / n_eff): the prediction-interval factor 1 + p/n for the p = 3
# fitted parameters (intercept, size and age slopes); on held-out demo data it brings the 80 % range to
# ~80 % coverage (docs/avm.md), where 1 + 1/n_eff left it at ~77 %.
WIDEN_K = 3.0
RIDGE_ALPHA = 3.0  # prior weight (in comparables) pulling the size/age slopes toward zero on small pools


@dataclass(frozen=True)
class AvmQuote:
    """A priced estimate: `price` and the range [`low`, `high`] in fen; `confidence` = nominal coverage."""

    price: int
    low: int
    high: int
    comparables: list[dict]
    n: int
    method: str
    confidence: float
    trend_per_year: float = 0.0  # fitted annual change of the category's price index (0.05 = +5 %/yr)
    pool: str = "city"  # "city+kind", "city" or "any_city": where the comparables came from
    at: str = ""  # ISO time the quote prices at
    category: str = ""
    city: str = ""
    size: str = ""
    size_unit: str = ""
    year_built: int | None = None
    details: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "price": self.price, "low": self.low, "high": self.high, "confidence": self.confidence,
            "n": self.n, "method": self.method, "trend_per_year": round(self.trend_per_year, 4), "pool": self.pool,
            "at": self.at, "category": self.category, "city": self.city, "size": self.size, "size_unit": self.size_unit,
            "year_built": self.year_built, "comparables": self.comparables,
        }

    def report_text(self) -> str:
        """A short report (询价报告) in the court's terms, for an inquiry answered by this model."""
        yuan = lambda fen: f"{fen / 100:,.0f}"  # noqa: E731
        lines = [
            "平台自动估价模型询价报告 / Automated valuation report",
            f"估价对象: {Category(self.category).label if self.category else ''} {self.city} {self.size}{self.size_unit}"
            + (f" {self.year_built}年建成/出厂" if self.year_built else ""),
            f"估价时点: {self.at}",
            f"估价结果: {yuan(self.price)} 元; {self.confidence:.0%} 区间 {yuan(self.low)} – {yuan(self.high)} 元",
            f"方法: {self.method}; 可比成交 {self.n} 宗 ({self.pool}); 价格指数年变动 {self.trend_per_year:+.1%}",
            "主要可比成交 / main comparables:",
        ]
        for c in self.comparables:
            lines.append(f"  #{c['id']} {c['city']} {c.get('location', '')} {c['size']}{c.get('size_unit', '')} "
                         f"{c['sold_at'][:10]} 成交 {yuan(c['price'])} 元 (调整后 {yuan(c['adjusted_price'])} 元, 权重 {c['weight']:.2f})")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------
# Input checks


@dataclass(frozen=True)
class Facts:
    category: str
    city: str
    size: float
    size_text: str
    year_built: int | None
    at: datetime
    kind: str = ""
    size_unit: str | None = None


def check_facts(*, category, city, size, year_built, at: datetime | None, kind: str = "", size_unit: str | None = None) -> Facts:
    """Validate the facts of a property to price; raise DomainError(code=ErrorCode.INVALID) with a clear message."""
    if category not in Category.values:
        raise DomainError(ErrorCode.INVALID, f"未知类别 / unknown category {category!r} (one of {', '.join(Category.values)})", field="category")
    if not isinstance(city, str) or not city.strip() or len(city) > 50:
        raise DomainError(ErrorCode.INVALID, "城市不能为空 / city is required", field="city")
    if isinstance(size, bool) or size is None:
        raise DomainError(ErrorCode.INVALID, "面积/数量必须为正数 / size must be a positive number", field="size")
    try:
        dsize = size if isinstance(size, Decimal) else Decimal(str(size))
    except (InvalidOperation, ValueError, TypeError):
        raise DomainError(ErrorCode.INVALID, "面积/数量必须为正数 / size must be a positive number", field="size")
    if not dsize.is_finite() or dsize <= 0 or dsize > rules.MAX_SIZE:
        raise DomainError(ErrorCode.INVALID, "面积/数量必须为正数 / size must be a positive number", field="size")
    at = at or clock.now()
    if at.tzinfo is None:
        raise DomainError(ErrorCode.INVALID, "估价时点须带时区 / at must be a timezone-aware datetime", field="at")
    if year_built is not None:
        if isinstance(year_built, bool) or not isinstance(year_built, int) or not rules.MIN_YEAR_BUILT <= year_built <= at.year + 1:
            raise DomainError(ErrorCode.INVALID, f"建成/出厂年份无效 / year_built must be a year between {rules.MIN_YEAR_BUILT} and {at.year + 1}", field="year_built")
    return Facts(category=str(category), city=city.strip(), size=float(dsize), size_text=format(dsize.normalize(), "f"),
                 year_built=year_built, at=at, kind=kind or "", size_unit=size_unit)


# ---------------------------------------------------------------------------------------------------
# The sales table (numpy arrays) the model works on


@dataclass
class SaleTable:
    ids: np.ndarray
    category: np.ndarray
    kind: np.ndarray
    city: np.ndarray
    location: np.ndarray
    size_unit: np.ndarray
    size: np.ndarray
    year_built: np.ndarray  # float, NaN when unknown
    sold_ts: np.ndarray  # POSIX seconds
    sold_iso: np.ndarray
    price: np.ndarray  # fen, float

    FIELDS = ("id", "category", "kind", "city", "location", "size_unit", "size", "year_built", "sold_at", "price")

    @classmethod
    def from_rows(cls, rows: list[tuple]) -> SaleTable:
        cols = list(zip(*rows)) if rows else [()] * len(cls.FIELDS)
        return cls(
            ids=np.array(cols[0], dtype=np.int64),
            category=np.array(cols[1], dtype=object), kind=np.array(cols[2], dtype=object),
            city=np.array(cols[3], dtype=object), location=np.array(cols[4], dtype=object),
            size_unit=np.array(cols[5], dtype=object),
            size=np.array([float(s) for s in cols[6]], dtype=float),
            year_built=np.array([np.nan if y is None else float(y) for y in cols[7]], dtype=float),
            sold_ts=np.array([d.timestamp() for d in cols[8]], dtype=float),
            sold_iso=np.array([d.isoformat() for d in cols[8]], dtype=object),
            price=np.array(cols[9], dtype=float),
        )

    @classmethod
    def load(cls, *conditions, **filters) -> SaleTable:
        qs = PastSale.objects.filter(*conditions, voided_at__isnull=True, size__isnull=False, **filters).order_by("sold_at", "id")
        return cls.from_rows(list(qs.values_list(*cls.FIELDS)))

    def take(self, mask: np.ndarray) -> SaleTable:
        return SaleTable(**{k: getattr(self, k)[mask] for k in self.__dataclass_fields__})

    def __len__(self) -> int:
        return len(self.ids)


# ---------------------------------------------------------------------------------------------------
# The model


def _one_hot(values: np.ndarray) -> tuple[np.ndarray, list]:
    levels = sorted(set(values.tolist()))
    if len(levels) <= 1:
        return np.zeros((len(values), 0)), levels
    return np.column_stack([(values == lv).astype(float) for lv in levels[1:]]), levels


def _ages(t: SaleTable) -> np.ndarray:
    sold_years = np.array([1970 + ts / YEAR_SECONDS for ts in t.sold_ts])
    return sold_years - t.year_built  # NaN where unknown


@dataclass
class PriceIndex:
    """Per-category hedonic index: annual trend, and city and kind effects (log price per unit)."""

    trend: float
    city_effect: dict
    kind_effect: dict
    n: int
    size_coef: float = 0.0  # elasticity of price per unit to size
    age_coef: float = 0.0  # log change of price per unit per year of age

    def adjustment(self, t: SaleTable, years_before: np.ndarray, to_city: str, to_kind: str,
                   to_size: float, to_age: float | None) -> np.ndarray:
        """Log change that moves each sale to the quote's date, and to the lot's city, kind, size and age."""
        adj = self.trend * years_before + self.size_coef * (math.log(to_size) - np.log(t.size))
        if to_age is not None:
            ages = _ages(t)
            adj = adj + np.where(np.isnan(ages), 0.0, self.age_coef * (to_age - np.nan_to_num(ages)))
        if to_kind:
            adj = adj + self.kind_effect.get(to_kind, 0.0) - np.array([self.kind_effect.get(k, 0.0) for k in t.kind])
        adj = adj + self.city_effect.get(to_city, 0.0) - np.array([self.city_effect.get(c, 0.0) for c in t.city])
        return adj


def fit_index(t: SaleTable, at_ts: float) -> PriceIndex:
    """Regress log price per unit on time with city, kind, log size and age held fixed (see module doc)."""
    n = len(t)
    if n < rules.MIN_INDEX_SALES or (t.sold_ts.max() - t.sold_ts.min()) < rules.MIN_INDEX_SPAN.total_seconds():
        return PriceIndex(trend=0.0, city_effect={}, kind_effect={}, n=n)
    y = np.log(t.price / t.size)
    years = (t.sold_ts - at_ts) / YEAR_SECONDS
    ages = _ages(t)
    has_age = ~np.isnan(ages)
    age_filled = np.where(has_age, ages, np.nanmedian(ages) if has_age.any() else 0.0)
    city_x, city_levels = _one_hot(t.city)
    kind_x, kind_levels = _one_hot(t.kind)
    x = np.column_stack([years, np.log(t.size), age_filled, has_age.astype(float), city_x, kind_x])
    from sklearn.linear_model import LinearRegression  # imported when a model is fitted: seconds off every process start

    reg = LinearRegression().fit(x, y)
    coef = reg.coef_
    trend = float(np.clip(coef[0], -rules.MAX_ANNUAL_TREND, rules.MAX_ANNUAL_TREND))
    base = 4
    city_effect = {lv: 0.0 for lv in city_levels}
    for i, lv in enumerate(city_levels[1:]):
        city_effect[lv] = float(coef[base + i])
    base += city_x.shape[1]
    kind_effect = {lv: 0.0 for lv in kind_levels}
    for i, lv in enumerate(kind_levels[1:]):
        kind_effect[lv] = float(coef[base + i])
    # log price per unit grows by `trend` a year; stored as the per-year log slope.
    return PriceIndex(trend=trend, city_effect=city_effect, kind_effect=kind_effect, n=n,
                      size_coef=float(coef[1]), age_coef=float(coef[2]) if has_age.any() else 0.0)


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    order = np.argsort(values)
    v, w = values[order], weights[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return float(np.interp(q, cdf, v))


def _round_fen(x: float) -> int:
    return int(round(x / 100.0)) * 100  # to the yuan


def price_from(table: SaleTable, facts: Facts) -> tuple[AvmQuote | None, str]:
    """The model itself, on an in-memory table of sales: (quote, "") or (None, reason it abstained)."""
    at_ts = facts.at.timestamp()
    mask = (table.category == facts.category) & (table.sold_ts < at_ts) & (table.sold_ts >= at_ts - rules.LOOKBACK.total_seconds())
    mask &= table.size > 0
    if facts.size_unit is not None:
        mask &= table.size_unit == facts.size_unit
    cat = table.take(mask)
    if len(cat) == 0:
        return None, "no past sales of this category"
    if facts.kind and facts.kind not in set(cat.kind.tolist()):
        return None, f"no past sales of kind {facts.kind!r} in this category"
    index = fit_index(cat, at_ts)

    same_city = cat.city == facts.city
    pool_name = "city"
    pool_mask = same_city
    if facts.kind and np.count_nonzero(same_city & (cat.kind == facts.kind)) >= rules.MIN_COMPARABLES:
        pool_mask, pool_name = same_city & (cat.kind == facts.kind), "city+kind"
    elif np.count_nonzero(same_city) < rules.MIN_COMPARABLES:
        if rules.may_fall_back_to_any_city(facts.category) and len(cat) >= rules.MIN_COMPARABLES_ANY_CITY:
            pool_mask, pool_name = np.ones(len(cat), dtype=bool), "any_city"
            if facts.kind and np.count_nonzero(cat.kind == facts.kind) >= rules.MIN_COMPARABLES_ANY_CITY:
                pool_mask = cat.kind == facts.kind
        else:
            reason = (f"only {np.count_nonzero(same_city)} comparable sales of this category in {facts.city} "
                      f"(at least {rules.MIN_COMPARABLES} needed)")
            if rules.may_fall_back_to_any_city(facts.category):
                reason += f" and {len(cat)} in all cities (at least {rules.MIN_COMPARABLES_ANY_CITY} needed)"
            return None, reason
    pool = cat.take(pool_mask)
    n = len(pool)
    if facts.size > pool.size.max() * rules.SIZE_EXTRAPOLATION or facts.size < pool.size.min() / rules.SIZE_EXTRAPOLATION:
        return None, (f"size {facts.size_text} is far outside the comparables' sizes "
                      f"({pool.size.min():g}–{pool.size.max():g}); the model does not extrapolate")

    years_before = (at_ts - pool.sold_ts) / YEAR_SECONDS
    ages = _ages(pool)
    target_age = None if facts.year_built is None else (1970 + at_ts / YEAR_SECONDS) - facts.year_built
    adj = index.adjustment(pool, years_before, facts.city, facts.kind, facts.size, target_age)
    y = np.log(pool.price / pool.size) + adj

    # Features centred on the lot: the intercept is the lot's own predicted log price per unit; the
    # slopes are what this local market differs from the category-wide size and age effects.
    features = [np.log(pool.size / facts.size)]
    age_known = ~np.isnan(ages)
    w_age = np.ones(n)
    if age_known.sum() >= rules.MIN_COMPARABLES:
        fill = float(np.median(ages[age_known]))
        target = fill if target_age is None else target_age
        ages_f = np.where(age_known, ages, fill)
        features.append((ages_f - target) / rules.AGE_SCALE_YEARS)
        w_age = np.exp(-np.abs(ages_f - target) / rules.AGE_SCALE_YEARS)
    x = np.column_stack(features)
    w = np.exp(-np.abs(features[0]) / rules.SIZE_SCALE) * w_age * np.exp(-years_before / rules.RECENCY_SCALE_YEARS)
    w = w / w.mean()

    from sklearn.linear_model import Ridge  # imported when a model is fitted: seconds off every process start
    from sklearn.model_selection import KFold

    model = Ridge(alpha=RIDGE_ALPHA).fit(x, y, sample_weight=w)
    log_ppu = float(model.intercept_)

    # Out-of-fold residuals of the same model: honest errors for the range.
    resid = np.empty(n)
    folds = KFold(n_splits=min(5, n), shuffle=True, random_state=0)
    for train, test in folds.split(x):
        m = Ridge(alpha=RIDGE_ALPHA).fit(x[train], y[train], sample_weight=w[train])
        resid[test] = y[test] - m.predict(x[test])
    c = rules.CONFIDENCE
    n_eff = float(w.sum() ** 2 / (w ** 2).sum())
    widen = math.sqrt(1.0 + WIDEN_K / n_eff)
    q_lo = min(_weighted_quantile(resid, w, (1 - c) / 2), 0.0) * widen
    q_hi = max(_weighted_quantile(resid, w, (1 + c) / 2), 0.0) * widen

    price = _round_fen(math.exp(log_ppu) * facts.size)
    low = min(_round_fen(math.exp(log_ppu + q_lo) * facts.size), price)
    high = max(_round_fen(math.exp(log_ppu + q_hi) * facts.size), price)

    order = np.argsort(-w, kind="stable")[: rules.COMPARABLES_SHOWN]
    wmax = float(w.max())
    comparables = [
        {
            "id": int(pool.ids[i]), "price": int(pool.price[i]),
            "adjusted_price": _round_fen(float(pool.price[i]) * math.exp(adj[i])),
            "time_adjusted_price": _round_fen(float(pool.price[i]) * math.exp(index.trend * years_before[i])),
            "size": f"{pool.size[i]:g}", "size_unit": pool.size_unit[i], "city": pool.city[i], "location": pool.location[i],
            "kind": pool.kind[i], "sold_at": pool.sold_iso[i],
            "year_built": None if np.isnan(pool.year_built[i]) else int(pool.year_built[i]),
            "weight": round(float(w[i]) / wmax, 3),
        }
        for i in order
    ]
    quote = AvmQuote(
        price=price, low=low, high=high, comparables=comparables, n=n, method=METHOD, confidence=c,
        trend_per_year=math.expm1(index.trend), pool=pool_name, at=facts.at.isoformat(), category=facts.category,
        city=facts.city, size=facts.size_text, size_unit=facts.size_unit or (pool.size_unit[0] if n else ""),
        year_built=facts.year_built,
        details={"index_sales": index.n, "log_trend": index.trend, "n_eff": round(n_eff, 1),
                 "slopes": [round(float(s), 4) for s in model.coef_], "residual_quantiles": [round(q_lo, 4), round(q_hi, 4)]},
    )
    return quote, ""


# ---------------------------------------------------------------------------------------------------
# Public interface


def _candidates(facts: Facts) -> SaleTable:
    """Every sale of the lot's city, plus the most recent sales of the category for the index (rules.MAX_INDEX_SALES)."""
    base = PastSale.objects.filter(category=facts.category, sold_at__lt=facts.at, sold_at__gte=facts.at - rules.LOOKBACK,
                                   voided_at__isnull=True, size__isnull=False)
    if facts.size_unit is not None:
        base = base.filter(size_unit=facts.size_unit)
    recent = base.order_by("-sold_at", "-id").values("pk")[: rules.MAX_INDEX_SALES]
    return SaleTable.load(Q(city=facts.city) | Q(pk__in=recent), category=facts.category, sold_at__lt=facts.at,
                          sold_at__gte=facts.at - rules.LOOKBACK)


def quote_facts(*, category: str, city: str, size, year_built: int | None, at: datetime | None = None,
                kind: str = "", size_unit: str | None = None) -> AvmQuote | None:
    """Price a property from its facts; None when the model abstains (too few comparables, avm/rules.py).

    Raises DomainError(code=ErrorCode.INVALID) on bad input (unknown category, size not positive, bad year).
    """
    facts = check_facts(category=category, city=city, size=size, year_built=year_built, at=at, kind=kind, size_unit=size_unit)
    quote, reason = price_from(_candidates(facts), facts)
    if quote is None:
        logger.info("avm abstains on %s %s %s: %s", facts.category, facts.city, facts.size_text, reason)
    return quote


def abstention_reason(*, category: str, city: str, size, year_built: int | None, at: datetime | None = None,
                      kind: str = "", size_unit: str | None = None) -> str:
    """Why `quote_facts` with these facts abstains ("" when it prices)."""
    facts = check_facts(category=category, city=city, size=size, year_built=year_built, at=at, kind=kind, size_unit=size_unit)
    return price_from(_candidates(facts), facts)[1]


def lot_facts(lot: Lot) -> dict | None:
    """The facts of a lot the model prices from, or None when the lot lacks its size."""
    if lot.size is None or lot.size <= 0:
        return None
    city = lot.city or (lot.case.court.city if lot.case_id else "")
    if not city:
        return None
    return {"category": lot.category, "city": city, "size": lot.size, "year_built": lot.year_built,
            "kind": rules.infer_kind(lot.category, lot.title), "size_unit": lot.size_unit or None}


def quote(lot: Lot, *, at: datetime | None = None) -> AvmQuote | None:
    """Price a lot as the built-in network inquiry platform; None when the model abstains."""
    facts = lot_facts(lot)
    if facts is None:
        logger.info("avm abstains on lot %s: no size or city", lot.pk)
        return None
    year = facts["year_built"]
    now = at or clock.now()
    if year is not None and year > now.year + 1:
        facts["year_built"] = None  # a data-entry slip on the lot is not a reason to refuse the inquiry
    return quote_facts(at=now, **facts)


# ---------------------------------------------------------------------------------------------------
# Recording platform sales


def record_platform_sale(round: Round) -> PastSale | None:  # noqa: A002 - the court's term
    """Record a sold round as a past sale (idempotent: one PastSale per round). None if not sold."""
    rnd = Round.objects.select_related("lot", "lot__case__court").get(pk=round.pk)
    if rnd.status not in SOLD_STATUSES or not rnd.sold_price:
        return None
    existing = PastSale.objects.filter(round=rnd).first()
    if existing is not None:
        return existing
    lot = rnd.lot
    sale = PastSale(
        category=lot.category, kind=rules.infer_kind(lot.category, lot.title), title=lot.title[:300],
        city=lot.city or lot.case.court.city or "", location=lot.location[:300],
        size=lot.size if lot.size and lot.size > 0 else None, size_unit=lot.size_unit or "",
        year_built=lot.year_built, sold_at=rnd.closed_at or rnd.ends_at, price=rnd.sold_price,
        starting_price=rnd.starting_price, reference_price=lot.reference_price, lot=lot, round=rnd,
        source=PastSale.Source.PLATFORM, created_at=clock.now(),
    )
    try:
        with transaction.atomic():
            sale.save()
            audit.record("avm.sale_recorded", sale, data={"round": rnd.pk, "lot": lot.pk, "price": rnd.sold_price})
    except IntegrityError:
        # Another process recorded it at the same moment (unique round): that record stands.
        return PastSale.objects.filter(round=rnd).first()
    return sale


def void_defaulted_sales(now: datetime) -> int:
    """A round whose buyer defaulted (悔拍, A24) did not sell: its past sale no longer counts."""
    voided = 0
    for sale in PastSale.objects.filter(voided_at__isnull=True, round__status=Round.Status.DEFAULTED):
        with transaction.atomic():
            updated = PastSale.objects.filter(pk=sale.pk, voided_at__isnull=True).update(voided_at=now, void_reason="buyer defaulted (悔拍, A24)")
            if updated:
                audit.record("avm.sale_voided", sale, data={"round": sale.round_id, "reason": "defaulted"})
                voided += 1
    return voided
