from datetime import timedelta
from decimal import Decimal

import pytest

from auction_site import clock


@pytest.fixture
def demo_sales(db):
    """The demo market (865 past sales over the last three years), generated from its fixed seed."""
    from avm.demo import generate
    from avm.models import PastSale

    return PastSale.objects.bulk_create(generate(clock.now()))


@pytest.fixture
def make_sales(db):
    """make_sales(n, city=..., ...) -> n plain past sales of 100 ㎡ apartments, one every 30 days back from now."""
    from avm.models import PastSale

    def make(n: int, *, city: str = "无锡", category: str = "real_estate", kind: str = "apartment", price_per_m2: int = 15000,
             annual_trend: float = 0.0, size: Decimal = Decimal("100"), year_built: int | None = 2010, size_unit: str = "㎡"):
        now = clock.now()
        sales = []
        for i in range(n):
            sold_at = now - timedelta(days=30 * (i + 1))
            years_ago = (now - sold_at).days / 365.25
            # Alternate ±2 % so the sales are not identical.
            price = int(price_per_m2 * float(size) * 100 * (1 + annual_trend) ** (-years_ago) * (1.02 if i % 2 else 0.98))
            # Built in different years (age effect nil here), else age at sale and time of sale coincide.
            sales.append(PastSale(category=category, kind=kind, city=city, location=f"{city}市", size=size, size_unit=size_unit,
                                  year_built=None if year_built is None else year_built - i % 7, sold_at=sold_at, price=price, source=PastSale.Source.IMPORT, created_at=now))
        return PastSale.objects.bulk_create(sales)

    return make
