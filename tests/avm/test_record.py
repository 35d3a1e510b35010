"""Sold rounds become past sales the model prices from: once per round, and not when the buyer defaulted."""

from datetime import timedelta
from decimal import Decimal

import pytest

from auction_site import clock
from auction_site.models import AuditRecord
from avm import clockwork
from avm.models import PastSale
from avm.service import record_platform_sale
from tests.concurrency import run_at_once


@pytest.fixture
def sold_round(enforcement_case):
    from lots.models import Lot, Round

    now = clock.now()
    lot = Lot.objects.create(case=enforcement_case, title="苏州市姑苏区某小区5幢302室住宅", category="real_estate", city="苏州",
                             location="苏州市姑苏区", size=Decimal("96.40"), year_built=2008, reference_price=4_727_500_00, created_at=now)
    return Round.objects.create(
        lot=lot, number=1, status=Round.Status.SOLD, starting_price=3_309_250_00, deposit=500_000_00, increment=5_000_00,
        starts_at=now - timedelta(days=1), ends_at=now - timedelta(minutes=1), scheduled_ends_at=now - timedelta(minutes=1),
        closed_at=now - timedelta(minutes=1), sold_price=3_409_250_00, created_at=now - timedelta(days=40),
    )


def test_record_platform_sale_creates_one_past_sale_per_round(sold_round):
    first = record_platform_sale(sold_round)
    again = record_platform_sale(sold_round)
    assert first.pk == again.pk
    assert PastSale.objects.count() == 1
    sale = PastSale.objects.get()
    assert (sale.price, sale.starting_price, sale.reference_price) == (3_409_250_00, 3_309_250_00, 4_727_500_00)
    assert (sale.city, sale.category, sale.kind, sale.size, sale.year_built) == ("苏州", "real_estate", "apartment", Decimal("96.40"), 2008)
    assert sale.lot_id == sold_round.lot_id and sale.source == "platform" and sale.sold_at == sold_round.closed_at
    assert AuditRecord.objects.filter(action="avm.sale_recorded", object_id=str(sale.pk)).count() == 1


def test_a_round_that_did_not_sell_is_not_recorded(sold_round):
    from lots.models import Round

    Round.objects.filter(pk=sold_round.pk).delete()  # the same lot, its round ended without a bid instead
    sold_round.pk, sold_round.status, sold_round.sold_price = None, "failed", None
    sold_round.save()
    assert record_platform_sale(sold_round) is None
    assert clockwork.tick(clock.now()) == {"recorded": 0, "voided": 0}
    assert not PastSale.objects.exists()


def test_tick_records_newly_sold_rounds_once(sold_round):
    assert clockwork.tick(clock.now())["recorded"] == 1
    assert clockwork.tick(clock.now())["recorded"] == 0
    record_platform_sale(sold_round)
    assert PastSale.objects.filter(round=sold_round).count() == 1


def test_the_clock_process_runs_the_avm_tick(sold_round):
    from auction_site.ticks import TICKS

    assert "avm.clockwork.tick" in TICKS


def test_a_defaulted_sale_is_voided_and_no_longer_priced_from(sold_round):
    clockwork.tick(clock.now())
    sold_round.status = "defaulted"
    sold_round.save()
    assert clockwork.tick(clock.now()) == {"recorded": 0, "voided": 1}
    assert clockwork.tick(clock.now()) == {"recorded": 0, "voided": 0}
    sale = PastSale.objects.get()
    assert sale.voided_at is not None and "A24" in sale.void_reason
    from avm.service import SaleTable

    assert len(SaleTable.load()) == 0


@pytest.mark.django_db(transaction=True)
def test_two_ticks_at_once_record_a_sale_once(enforcement_case):


    from lots.models import Lot, Round

    now = clock.now()
    lot = Lot.objects.create(case=enforcement_case, title="无锡市梁溪区某小区住宅", category="real_estate", city="无锡", size=Decimal("80"), created_at=now)
    rnd = Round.objects.create(lot=lot, number=1, status=Round.Status.SOLD, starting_price=1_000_000_00, deposit=100_000_00, increment=1_000_00,
                               starts_at=now - timedelta(days=1), ends_at=now - timedelta(minutes=1), scheduled_ends_at=now - timedelta(minutes=1),
                               closed_at=now - timedelta(minutes=1), sold_price=1_050_000_00, created_at=now - timedelta(days=40))
    results = run_at_once(lambda: record_platform_sale(rnd))
    assert PastSale.objects.filter(round=rnd).count() == 1
    assert {s.pk for s in results} == {PastSale.objects.get(round=rnd).pk}
