"""Demo past sales for the built-in valuation model: a deterministic, seeded, realistic market.

Real estate (apartments, shops, land) in 苏州, 杭州, 南京, 上海 and 无锡, each city with its own price
level per ㎡ and districts a little above or below it, prices falling about 6 % a year over the three
years covered; used cars priced by new price (the size, in 万元) and age; gold by weight (rising); a
handful of equity sales (too few: the model abstains on equity). Court sales go below market value and
never below the starting price (70 % of the reference price, A10).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np

from auction_site import clock
from avm.models import PastSale
from lots.models import Category

SEED = 20261121
YEARS = 3.0

# yuan per ㎡ of an apartment today, and district multipliers.
CITIES: dict[str, tuple[float, dict[str, float]]] = {
    "上海": (62000, {"浦东新区": 1.08, "徐汇区": 1.15, "闵行区": 0.95, "宝山区": 0.88, "松江区": 0.85}),
    "杭州": (33000, {"西湖区": 1.1, "上城区": 1.12, "拱墅区": 1.0, "余杭区": 0.92, "萧山区": 0.88}),
    "南京": (30000, {"鼓楼区": 1.12, "建邺区": 1.1, "江宁区": 0.9, "栖霞区": 0.93, "浦口区": 0.85}),
    "苏州": (24000, {"姑苏区": 1.05, "工业园区": 1.15, "吴中区": 0.95, "相城区": 0.9, "吴江区": 0.87}),
    "无锡": (16000, {"梁溪区": 1.05, "滨湖区": 1.08, "新吴区": 1.0, "锡山区": 0.9, "惠山区": 0.92}),
}
REAL_ESTATE_COUNTS = {"上海": 140, "杭州": 130, "南京": 120, "苏州": 150, "无锡": 100}
# kind: (share, price multiplier on the apartment level, size range ㎡)
KINDS = {"apartment": (0.74, 1.0, (40, 300)), "shop": (0.16, 1.35, (20, 1500)), "land": (0.10, 0.45, (300, 40000))}
KIND_TITLES = {"apartment": "住宅", "shop": "商铺", "land": "国有建设用地使用权"}
REAL_ESTATE_TREND = -0.06  # log change a year
CAR_MODELS = [("大众帕萨特", 22), ("丰田凯美瑞", 20), ("本田雅阁", 19), ("宝马5系", 48), ("奥迪A6L", 45), ("别克GL8", 30),
              ("比亚迪汉", 25), ("日产轩逸", 12), ("吉利博越", 11), ("奔驰E级", 55), ("大众朗逸", 11), ("特斯拉Model 3", 27)]


def _at_ten_shanghai(now: datetime, years_ago: float) -> datetime:
    d = now - timedelta(days=years_ago * 365.25)
    # Auctions end at 10:00 Asia/Shanghai (02:00 UTC) the day after they open.
    d = d.replace(hour=2, minute=0, second=0, microsecond=0)
    return d if d < now else d - timedelta(days=1)  # never a sale in the future


def _court_sale(rng: np.random.Generator, value_yuan: float, increment_yuan: int) -> tuple[int, int, int]:
    """(reference, starting, sold) prices in fen for a property worth `value_yuan` on the market."""
    reference = round(value_yuan * math.exp(rng.normal(0.0, 0.05)), -2)
    starting = round(reference * 0.7, -2)  # A10: at least 70 % of the reference price in round 1
    sold = value_yuan * math.exp(rng.normal(-0.10, 0.09))
    steps = max(0, math.ceil((sold - starting) / increment_yuan))
    sold = starting + steps * increment_yuan
    return int(reference * 100), int(starting * 100), int(sold * 100)


def generate(now: datetime | None = None, seed: int = SEED) -> list[PastSale]:
    """The demo past sales (unsaved), the same for the same seed and `now`."""
    now = now or clock.now()
    rng = np.random.default_rng(seed)
    sales: list[PastSale] = []

    def add(**kw) -> None:
        sales.append(PastSale(source=PastSale.Source.DEMO, created_at=now, **kw))

    kinds = list(KINDS)
    shares = [KINDS[k][0] for k in kinds]
    for city, count in REAL_ESTATE_COUNTS.items():
        level, districts = CITIES[city]
        names = list(districts)
        for _ in range(count):
            kind = kinds[rng.choice(len(kinds), p=shares)]
            _, mult, (lo, hi) = KINDS[kind]
            district = names[rng.integers(len(names))]
            size = float(np.clip(math.exp(rng.normal(math.log(math.sqrt(lo * hi)), 0.45 if kind == "apartment" else 0.9)), lo, hi))
            years_ago = float(rng.uniform(0.0, YEARS))
            sold_at = _at_ten_shanghai(now, years_ago)
            year_built = None if kind == "land" else int(rng.integers(1992, sold_at.year))
            age = 0 if year_built is None else sold_at.year - year_built
            ppu = (level * mult * districts[district] * (size / 100.0) ** -0.06 * math.exp(-0.01 * age)
                   * math.exp(REAL_ESTATE_TREND * -years_ago) * math.exp(rng.normal(0.0, 0.08)))
            reference, starting, sold = _court_sale(rng, ppu * size, 5000 if ppu * size > 2_000_000 else 1000)
            building = int(rng.integers(1, 30))
            add(category=Category.REAL_ESTATE, kind=kind, city=city, location=f"{city}市{district}",
                title=f"{city}市{district}{building}幢{int(rng.integers(1, 30))}0{int(rng.integers(1, 4))}室{KIND_TITLES[kind]}"
                if kind != "land" else f"{city}市{district}{KIND_TITLES[kind]}",
                size=Decimal(f"{size:.2f}"), size_unit="㎡", year_built=year_built, sold_at=sold_at,
                price=sold, starting_price=starting, reference_price=reference)

    cities = list(CITIES)
    for _ in range(160):
        model, new_wan = CAR_MODELS[rng.integers(len(CAR_MODELS))]
        new_wan = round(new_wan * math.exp(rng.normal(0.0, 0.1)), 1)
        years_ago = float(rng.uniform(0.0, YEARS))
        sold_at = _at_ten_shanghai(now, years_ago)
        age = int(rng.integers(1, 13))
        value = new_wan * 10000 * math.exp(-0.13 * age) * math.exp(-0.03 * -years_ago) * math.exp(rng.normal(0.0, 0.10))
        reference, starting, sold = _court_sale(rng, value, 500)
        city = cities[rng.integers(len(cities))]
        add(category=Category.VEHICLE, kind="car", city=city, location=f"{city}市", title=f"{model} {sold_at.year - age}年 小型轿车",
            size=Decimal(f"{new_wan:.2f}"), size_unit="万元", year_built=sold_at.year - age, sold_at=sold_at,
            price=sold, starting_price=starting, reference_price=reference)

    for _ in range(60):
        grams = float(np.clip(math.exp(rng.normal(math.log(150), 0.8)), 10, 2000))
        years_ago = float(rng.uniform(0.0, YEARS))
        sold_at = _at_ten_shanghai(now, years_ago)
        value = grams * 560 * math.exp(0.18 * -years_ago) * math.exp(rng.normal(0.0, 0.05))
        reference, starting, sold = _court_sale(rng, value, 100)
        city = cities[rng.integers(len(cities))]
        add(category=Category.MOVABLE, kind="gold", city=city, location=f"{city}市", title=f"足金饰品一批 {grams:.1f}克",
            size=Decimal(f"{grams:.2f}"), size_unit="克", year_built=None, sold_at=sold_at,
            price=sold, starting_price=starting, reference_price=reference)

    for i in range(5):
        capital = float(rng.choice([100, 500, 1000, 3000]))
        years_ago = float(rng.uniform(0.0, YEARS))
        sold_at = _at_ten_shanghai(now, years_ago)
        value = capital * 10000 * float(rng.uniform(0.3, 1.5))
        reference, starting, sold = _court_sale(rng, value, 10000)
        city = cities[i % len(cities)]
        add(category=Category.EQUITY, kind="equity", city=city, location=f"{city}市", title=f"{city}某有限公司股权",
            size=Decimal(f"{capital:.2f}"), size_unit="万元", year_built=None, sold_at=sold_at,
            price=sold, starting_price=starting, reference_price=reference)
    return sales


def load(stdout=None) -> None:
    if PastSale.objects.filter(source=PastSale.Source.DEMO).exists():
        return
    created = PastSale.objects.bulk_create(generate(), batch_size=500)
    # Rounds the other demo modules sold so far are platform sales too (later ones: the clock's tick).
    from avm.clockwork import tick

    recorded = tick(clock.now())["recorded"]
    if stdout is not None:
        stdout.write(f"avm: {len(created)} past sales (+{recorded} from platform rounds)")
