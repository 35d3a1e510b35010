"""Open data: the public statistics (by lot), the change feed (cursor pages, CSV), the public page."""

import csv
import io
from datetime import timedelta

import pytest

from auction_site import clock
from lots import services as lot_services
from lots.models import EnforcementCase, Lot
from settlement import opendata
from tests.settlement.conftest import make_lot, make_round

pytestmark = pytest.mark.django_db
Y = 100  # fen per yuan


def _closed(lot, number, *, start, status, price=None, days_after_seizure=None, **extra):
    closed = clock.now() - timedelta(days=5)
    r = make_round(lot, number=number, start=start * Y, deposit=start * Y // 10, increment=1000 * Y, status=status,
                   closed_at=closed, sold_price=price * Y if price else None, **extra)
    if days_after_seizure is not None:
        Lot.objects.filter(pk=lot.pk).update(seized_at=closed - timedelta(days=days_after_seizure))
    return r


@pytest.fixture
def known_data(enforcement_case, other_court):
    """Court 苏05: lot A failed once, sold in its 2nd round; lot B sold (paid) at its start; lot C failed;
    lot D has a draft and an open round. Court 浙01: one sold lot, not in 苏05's figures."""
    a, b, c, d = (make_lot(enforcement_case, title=t) for t in ("甲房", "乙房", "丙车", "丁股权"))
    rounds = {
        "a1": _closed(a, 1, start=1_000_000, status="failed"),
        "a2": _closed(a, 2, start=800_000, status="sold", price=1_200_000, days_after_seizure=100),
        "b1": _closed(b, 1, start=3_000_000, status="paid", price=3_000_000, days_after_seizure=50),
        "c1": _closed(c, 1, start=500_000, status="failed"),
        "d1": make_round(d, number=1, status="draft"),
        "d2": make_round(d, number=2, status="open", ends_at=clock.now() + timedelta(days=1)),
    }
    other = EnforcementCase.objects.create(court=other_court, case_number="(2024)浙01执9号", applicants=["甲"],
                                           respondents=["乙"], amount_owed=1, created_at=clock.now())
    rounds["o1"] = _closed(make_lot(other), 1, start=9_000_000, status="sold", price=9_000_000, days_after_seizure=10)
    return rounds


def test_court_statistics_count_lots_once(known_data, court):
    s = opendata.statistics(court)
    assert (s.lots_auctioned, s.lots_sold) == (3, 2)  # A counted once although auctioned twice; D not ended
    assert s.sale_rate_bp == 6667
    assert s.rounds_ended == 4
    # premium of the deals: (1.2M + 3M − 0.8M − 3M) / 3.8M = 10.53 %
    assert s.premium_rate_bp == 1053
    # [C] scale: 1.2M → 5 % = 60,000; 3M → 2M × 5 % + 1M × 3 % = 130,000 yuan
    assert s.commission_saved == 190_000 * Y
    assert (s.days_to_sale_mean, s.days_to_sale_median, s.days_to_sale_lots) == (75.0, 75.0, 2)
    assert sum(m["lots_sold"] for m in s.months) == 2


def test_platform_statistics_and_a_row_per_court(known_data, court, other_court):
    s = opendata.statistics(None)
    assert (s.lots_auctioned, s.lots_sold) == (4, 3)
    rows = {r["code"]: r for r in s.courts}
    assert rows["苏05"]["lots_sold"] == 2 and rows["浙01"]["lots_sold"] == 1
    assert rows["浙01"]["sale_rate_bp"] == 10000


def test_statistics_api(api_client, known_data, court):
    body = api_client.get("/api/v1/statistics/").json()
    assert body["lots_sold"] == 3 and body["court"] is None and len(body["courts"]) == 2
    one = api_client.get("/api/v1/statistics/苏05/").json()
    assert one["court"]["code"] == "苏05" and one["sale_rate_bp"] == 6667 and one["commission_saved"] == 190_000 * Y
    missing = api_client.get("/api/v1/statistics/京01/")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def _all_pages(api_client, size, cursor=None):
    seen, pages = [], 0
    while True:
        url = f"/api/v1/feed/rounds/?page_size={size}" + (f"&cursor={cursor}" if cursor else "")
        body = api_client.get(url).json()
        pages += 1
        seen += body["results"]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return seen, cursor, pages


def test_feed_pages_every_change_once(api_client, known_data, judge):
    items, cursor, pages = _all_pages(api_client, 2)
    ids = [i["round"] for i in items]
    published = {r.pk for k, r in known_data.items() if k != "d1"}
    assert len(ids) == len(set(ids)) and set(ids) == published  # no draft, nothing twice, nothing missing
    assert pages == 3
    a2 = next(i for i in items if i["round"] == known_data["a2"].pk)
    assert a2["result"] == "sold" and a2["sold_price"] == 1_200_000 * Y and a2["case_number"] == "(2024)苏05执123号"
    assert a2["court"]["code"] == "苏05" and a2["premium_rate_bp"] == 5000 and a2["commission_saved"] == 60_000 * Y
    assert next(i for i in items if i["round"] == known_data["a1"].pk)["sold_price"] is None
    # Nothing new: the last cursor gives an empty page.
    empty = api_client.get(f"/api/v1/feed/rounds/?cursor={cursor}").json()
    assert empty["results"] == [] and empty["next_cursor"] == cursor
    # A change after the reader's last page: exactly that round, once.
    clock.advance(60)
    lot_services.suspend_round(judge, round_id=known_data["d2"].pk, reason="案外人异议")
    more, _, _ = _all_pages(api_client, 2, cursor)
    assert [(i["round"], i["status"]) for i in more] == [(known_data["d2"].pk, "suspended")]


def test_feed_csv_parses(api_client, known_data):
    for url in ("/api/v1/feed/rounds/?format=csv&page_size=500", "/api/v1/feed/rounds.csv?page_size=500"):
        resp = api_client.get(url)
        assert resp.status_code == 200 and resp["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(resp.content.decode("utf-8"))))
        assert len(rows) == 6
        a2 = next(r for r in rows if r["round"] == str(known_data["a2"].pk))
        assert a2["sold_price_fen"] == str(1_200_000 * Y) and a2["court_code"] == "苏05" and a2["result"] == "sold"
        assert resp["X-Next-Cursor"]


def test_feed_court_filter_and_bad_input(api_client, known_data):
    body = api_client.get("/api/v1/feed/rounds/?court=浙01").json()
    assert [i["round"] for i in body["results"]] == [known_data["o1"].pk]
    for query in ("cursor=not-a-cursor", "cursor=WzEsMl0", "page_size=0", "page_size=abc"):
        resp = api_client.get(f"/api/v1/feed/rounds/?{query}")
        assert resp.status_code == 400, query
        assert resp.json()["error"]["code"] in {"invalid_cursor", "invalid"}


def test_feed_in_openapi_schema(api_client):
    schema = api_client.get("/api/schema/?format=json").json()
    for path in ("/api/v1/statistics/", "/api/v1/statistics/{court}/", "/api/v1/feed/rounds/", "/api/v1/feed/rounds.csv"):
        assert path in schema["paths"], path


def test_statistics_pages_render(client, known_data, court):
    page = client.get("/statistics/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "chart-sale-rate" in text and "vendor/chart.js/chart.umd.min.js" in text and "江苏省苏州市中级人民法院" in text
    one = client.get("/statistics/苏05/")
    assert one.status_code == 200 and "66.67%" in one.content.decode()
    assert client.get("/statistics/京01/").status_code == 404
