"""Thresholds of the built-in valuation model (AVM), each with the reason it has that value.

These are platform policy, not law: [B] 7–13 only require that an inquiry platform answers with a
price and a report. What the law does ask (B13: the reference price is the average of the results
delivered on time) is why the model must ABSTAIN rather than guess: an unfounded figure would drag
that average, so with too little evidence it returns no result at all.
"""

from datetime import timedelta
from decimal import Decimal

from lots.models import Category

# Fewest comparables the model prices from: same category and same city (and the same kind, e.g.
# apartment vs shop, when that pool alone is big enough). With fewer than 8 the fitted slope on size
# and age and the residual quantiles that make the range rest on a handful of points: the held-out
# evaluation (docs/avm.md) shows the range then stops covering its nominal share.
MIN_COMPARABLES = 8

# Categories whose price per unit hardly depends on the city (a car by new price and age, gold by
# weight) may fall back to the same category in all cities, with a larger minimum because the pool is
# more mixed. Real estate and equity never fall back: a square metre in 上海 says nothing about 无锡.
LOCATION_FREE_CATEGORIES = frozenset({Category.VEHICLE, Category.MOVABLE})
MIN_COMPARABLES_ANY_CITY = 15

# Only sales of the last 5 years are used: older prices say more about the market then than now,
# and the time index (a straight line in log price) is not trusted to extrapolate further.
LOOKBACK = timedelta(days=5 * 365)

# The per-category price index (log price per unit regressed on time, with city, kind, size and age
# held fixed) needs enough sales spread over enough time, else no time adjustment is made (trend 0).
MIN_INDEX_SALES = 30
MIN_INDEX_SPAN = timedelta(days=180)
# At most this many recent sales of the category (besides all of the lot's city) are read for the index:
# enough for a stable trend, and a quote stays fast however many sales the platform accumulates.
MAX_INDEX_SALES = 20000
# A fitted trend beyond ±40 % a year is noise in this market, not a market: it is clipped.
MAX_ANNUAL_TREND = 0.40

# Nominal coverage of the range: the true price should fall inside [low, high] in 80 % of sales.
CONFIDENCE = 0.8

# Similarity kernel (weights of comparables): a comparable half as big (or twice as big) weighs
# e^-1.4 ≈ 0.25 of an identical one; ten years of age difference e^-1; a sale three years ago e^-1.
SIZE_SCALE = 0.5  # in |log(size ratio)|
AGE_SCALE_YEARS = 10.0
RECENCY_SCALE_YEARS = 3.0

# A lot more than 3 times bigger than the biggest comparable (or 3 times smaller than the smallest) is
# not like any of them: the size slope would be extrapolated far beyond the data, so the model abstains.
SIZE_EXTRAPOLATION = 3.0

# How many of the comparables used are listed in the quote (the heaviest first).
COMPARABLES_SHOWN = 10

# Kind of a lot inferred from its title when the lot itself does not say (first match wins).
KIND_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("land", ("土地", "地块", "宅基地", "建设用地")),
    ("shop", ("商铺", "店铺", "商业用房", "门面", "商服", "写字楼", "办公")),
    ("apartment", ("住宅", "住房", "房产", "公寓", "别墅", "单元", "室")),
    ("car", ("汽车", "轿车", "车辆", "机动车", "越野车")),
    ("gold", ("黄金", "金条", "金饰")),
)

MAX_SIZE = Decimal("1000000000")
MIN_YEAR_BUILT = 1800


def infer_kind(category: str, title: str) -> str:
    """The kind (apartment, shop, land, car, gold …) a lot's title names, or "" when it names none."""
    for kind, words in KIND_KEYWORDS:
        if any(w in (title or "") for w in words):
            return kind
    return ""


def may_fall_back_to_any_city(category: str) -> bool:
    return category in LOCATION_FREE_CATEGORIES
