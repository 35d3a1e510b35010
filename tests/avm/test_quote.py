"""The built-in valuation model prices from comparable past sales, and abstains without enough of them."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from auction_site import clock
from auction_site.errors import DomainError
from avm import rules
from avm.service import AvmQuote, quote, quote_facts


def test_prices_a_typical_apartment_within_a_sensible_range(demo_sales):
    # 苏州 apartments in the demo market: about 24,000 yuan/㎡ new, less for age and the court-sale discount.
    q = quote_facts(category="real_estate", city="苏州", size=Decimal("90"), year_built=2012, kind="apartment")
    assert isinstance(q, AvmQuote)
    assert 1_300_000_00 <= q.price <= 2_600_000_00
    assert q.low < q.price < q.high
    assert q.high / q.low < 2  # a range a court can use, not "anything between 1 and 10 million"
    assert q.confidence == rules.CONFIDENCE
    assert q.n >= rules.MIN_COMPARABLES
    assert q.method


def test_a_city_with_higher_prices_quotes_higher(demo_sales):
    facts = dict(category="real_estate", size=Decimal("90"), year_built=2012, kind="apartment")
    assert quote_facts(city="上海", **facts).price > 2 * quote_facts(city="无锡", **facts).price


def test_returns_the_comparables_it_used_same_category_and_city(demo_sales):
    from avm.models import PastSale

    q = quote_facts(category="real_estate", city="南京", size=Decimal("120"), year_built=2005, kind="apartment")
    assert 0 < len(q.comparables) <= rules.COMPARABLES_SHOWN
    ids = [c["id"] for c in q.comparables]
    for sale in PastSale.objects.filter(id__in=ids):
        assert sale.category == "real_estate" and sale.city == "南京"
        assert sale.sold_at < clock.now()
    first = q.comparables[0]
    assert set(first) >= {"id", "price", "size", "city", "sold_at", "year_built", "weight", "adjusted_price", "time_adjusted_price"}
    assert first["weight"] == 1.0  # the heaviest first
    assert all(0 < c["weight"] <= 1 for c in q.comparables)


def test_abstains_with_fewer_than_the_minimum_comparables(make_sales):
    # The documented minimum (avm/rules.py, docs/avm.md): 8 sales of the category in the city.
    make_sales(7)
    assert quote_facts(category="real_estate", city="无锡", size=100, year_built=2010) is None
    make_sales(1)
    q = quote_facts(category="real_estate", city="无锡", size=100, year_built=2010)
    assert q is not None and q.n == 8


def test_real_estate_never_borrows_another_citys_sales(make_sales):
    make_sales(40, city="上海")
    assert quote_facts(category="real_estate", city="无锡", size=100, year_built=2010) is None


def test_vehicles_fall_back_to_all_cities_when_the_city_has_too_few(make_sales):
    make_sales(14, city="上海", category="vehicle", kind="car", price_per_m2=1000, size=Decimal("20"), size_unit="万元")
    assert quote_facts(category="vehicle", city="无锡", size=20, year_built=2010, size_unit="万元") is None
    make_sales(1, city="南京", category="vehicle", kind="car", price_per_m2=1000, size=Decimal("20"), size_unit="万元")
    q = quote_facts(category="vehicle", city="无锡", size=20, year_built=2010, size_unit="万元")
    assert q is not None and q.pool == "any_city" and q.n == 15


def test_sales_after_the_quote_time_are_never_used(make_sales):
    make_sales(20)  # 30, 60, … 600 days ago
    at = clock.now() - timedelta(days=30 * 15 + 15)  # only the 5 oldest sales are before it
    assert quote_facts(category="real_estate", city="无锡", size=100, year_built=2010, at=at) is None
    at = clock.now() - timedelta(days=30 * 9 + 15)  # the 11 oldest
    q = quote_facts(category="real_estate", city="无锡", size=100, year_built=2010, at=at)
    assert q is not None and q.n == 11
    assert all(c["sold_at"] < at.isoformat() for c in q.comparables)


def test_rising_market_adjusts_older_sales_up(make_sales):
    make_sales(36, annual_trend=0.10)  # one sale a month for three years, +10 %/yr
    q = quote_facts(category="real_estate", city="无锡", size=100, year_built=2010)
    raw = sorted(c["price"] for c in q.comparables)
    assert 0.07 < q.trend_per_year < 0.13
    assert all(c["time_adjusted_price"] > c["price"] for c in q.comparables)
    assert q.price > raw[len(raw) // 2]  # above the median raw price: the market has risen since
    assert q.price == pytest.approx(1_500_000_00, rel=0.06)  # today's level


def test_falling_market_adjusts_older_sales_down_and_later_quotes_are_lower(demo_sales):
    # The demo real-estate market falls about 6 % a year.
    facts = dict(category="real_estate", city="杭州", size=Decimal("100"), year_built=2010, kind="apartment")
    q = quote_facts(**facts)
    assert -0.12 < q.trend_per_year < -0.02
    assert all(c["time_adjusted_price"] < c["price"] for c in q.comparables)
    earlier = quote_facts(at=clock.now() - timedelta(days=365), **facts)
    assert earlier.price > q.price


def test_equity_has_too_few_sales_in_the_demo_market(demo_sales):
    assert quote_facts(category="equity", city="苏州", size=1000, year_built=None) is None


@pytest.mark.parametrize("bad", [
    dict(size=-5), dict(size=0), dict(size="abc"), dict(size=None), dict(size=float("nan")),
    dict(category="spaceship"), dict(city=""), dict(year_built=3000), dict(year_built="2010"), dict(at=datetime(2026, 1, 1)),
])
def test_bad_input_is_refused_with_a_clear_error(db, bad):
    facts = dict(category="real_estate", city="苏州", size=Decimal("90"), year_built=2012) | bad
    with pytest.raises(DomainError) as err:
        quote_facts(**facts)
    assert err.value.code == "invalid" and "/" in err.value.message


def test_quote_of_a_lot(demo_sales, enforcement_case):
    from lots.models import Lot

    lot = Lot.objects.create(case=enforcement_case, title="苏州市工业园区某小区3幢1201室住宅", category="real_estate", city="苏州",
                             location="苏州市工业园区", size=Decimal("88.50"), year_built=2015, created_at=clock.now())
    q = quote(lot)
    assert q is not None and q.pool == "city+kind" and q.city == "苏州"
    assert "自动估价" in q.report_text() and str(q.n) in q.report_text()
    lot.size = None
    assert quote(lot) is None  # nothing to price per ㎡ from


def test_abstains_rather_than_extrapolate_far_beyond_the_comparables_sizes(make_sales):
    make_sales(20)  # all 100 ㎡
    assert quote_facts(category="real_estate", city="无锡", size=250, year_built=2010) is not None
    assert quote_facts(category="real_estate", city="无锡", size=100 * rules.SIZE_EXTRAPOLATION + 1, year_built=2010) is None
    assert quote_facts(category="real_estate", city="无锡", size=100 / rules.SIZE_EXTRAPOLATION - 1, year_built=2010) is None


def test_abstains_on_a_kind_it_has_never_seen_sold(make_sales):
    make_sales(20)  # apartments only
    assert quote_facts(category="real_estate", city="无锡", size=100, year_built=2010, kind="land") is None
    assert quote_facts(category="real_estate", city="无锡", size=100, year_built=2010, kind="apartment") is not None


def test_the_lots_city_is_read_whole_however_many_sales_the_category_has(make_sales, monkeypatch):
    monkeypatch.setattr(rules, "MAX_INDEX_SALES", 5)
    make_sales(10, city="无锡")
    make_sales(30, city="上海", price_per_m2=60000)
    q = quote_facts(category="real_estate", city="无锡", size=100, year_built=2010)
    assert q.n == 10 and q.details["index_sales"] <= 15
