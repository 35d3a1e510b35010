"""Valuers' record: each inquiry platform's (and the built-in model's) mean absolute percentage error against the final
sale prices of the lots that sold (B31's data), public by API and page, and beside each quote on the valuation page."""

from datetime import timedelta

from auction_site import clock
from tests.valuation.conftest import inquiry_of
from valuation import selectors, services


def sell(lot, price):
    from lots.models import Round

    now = clock.now()
    rnd = Round.objects.create(lot=lot, number=lot.rounds.count() + 1, status="sold", starting_price=100_00, deposit=10_00, increment=1_00,
                               starts_at=now - timedelta(days=1), ends_at=now, scheduled_ends_at=now, sold_price=price, created_at=now)
    assert services.award_network_fee(rnd) is not None


def network_quoted(lot, platforms, start, quote, prices):
    v = start(lot, "network")
    for (org, user), price in zip(platforms, prices):
        assert quote(user, inquiry_of(v, org.code), price).status_code == 201
    return v


def test_mean_absolute_percentage_error_per_platform(lot, platforms, start, quote, api_client, client, judge, as_user):
    from lots.models import Lot

    v = network_quoted(lot, platforms, start, quote, [100_00, 200_00, 300_00])
    sell(lot, 250_00)  # errors 60 %, 20 %, 20 %
    other = Lot.objects.create(case=lot.case, title="苏州市姑苏区干将西路1号1202室", category="real_estate", created_at=clock.now(),
                               seized_at=clock.now())
    network_quoted(other, platforms, start, quote, [180_00, 200_00, 260_00])
    sell(other, 200_00)  # errors 10 %, 0 %, 30 %
    unsold = Lot.objects.create(case=lot.case, title="苏州市姑苏区干将西路1号1203室", category="real_estate", created_at=clock.now(),
                                seized_at=clock.now())
    network_quoted(unsold, platforms, start, quote, [1_00, 1_00, 1_00])  # not sold: not counted

    expected = {"P1": (2, 35.0), "P2": (2, 10.0), "P3": (2, 25.0)}
    assert {r["code"]: (r["count"], r["mape_percent"]) for r in selectors.scorecards()} == expected
    body = api_client.get("/api/v1/valuers/record/").json()  # public
    assert {r["code"]: (r["count"], r["mape_percent"]) for r in body["results"]} == expected

    page = client.get("/valuers/record/").content.decode()
    assert "35.0%" in page and "10.0%" in page and "25.0%" in page
    detail = as_user(judge).get(f"/api/v1/valuations/{v['id']}/").json()
    assert {q["organisation"]: q["record"]["mape_percent"] for q in detail["quotes"]} == {"P1": 35.0, "P2": 10.0, "P3": 25.0}
    client.force_login(judge)
    court = client.get(f"/court/valuations/{v['id']}/").content.decode()
    assert court.count("历史误差") == 3 and "35.0%" in court


def test_a_platform_without_a_sale_has_no_error_yet(platforms):
    rows = selectors.scorecards()
    assert [(r["code"], r["count"], r["mape_percent"]) for r in rows] == [("P1", 0, None), ("P2", 0, None), ("P3", 0, None)]
