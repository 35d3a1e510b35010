"""The catalogue at national volume, functionally: each lot's catalogue entry kept by lots.rounds, search
through the two-character index (same answers as a plain icontains), paging with exact and estimated
counts, a page past the end, and the indexes the main queries use (EXPLAIN, a few thousand lots)."""

import importlib
import json
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, transaction

from auction_site import clock
from lots import rounds, selectors_catalogue
from lots.models import EnforcementCase, Lot, Round
from lots.selectors import catalogue_page, catalogue_rounds
from tests.lots.conftest import make_lot

pytestmark = pytest.mark.django_db
LOAD = Path(__file__).resolve().parents[1] / "load"


def new_round(lot, *, status, number=1, previous=None, start=100_000_00) -> Round:
    starts = clock.now() + timedelta(days=1)
    return rounds.create(actor=None, action="round.test_loaded", data={}, lot=lot, number=number, previous=previous, status=status,
                         starting_price=start, deposit=start // 10, increment=1_000_00, starts_at=starts,
                         ends_at=starts + timedelta(days=1), scheduled_ends_at=starts + timedelta(days=1), created_at=clock.now(),
                         published_at=None if status == "draft" else clock.now())


def move(rnd: Round, *statuses: str) -> Round:
    for status in statuses:
        with transaction.atomic():
            locked = rounds.lock(rnd.pk)
            rounds.change_status(locked, status)
    rnd.refresh_from_db()
    return rnd


def listed(lot) -> list[int]:
    return list(Round.objects.filter(lot=lot, listed=True).values_list("number", flat=True))


# ----------------------------------------------------------------------------------- the catalogue entry


def test_the_entry_follows_the_latest_public_round_of_the_lot(enforcement_case):
    lot = make_lot(enforcement_case)
    first = new_round(lot, status="draft")
    assert listed(lot) == [] and list(catalogue_rounds()) == []  # a draft is never listed
    move(first, "announced")
    assert listed(lot) == [1] and [r.pk for r in catalogue_rounds()] == [first.pk]
    move(first, "open", "failed")
    second = new_round(lot, status="draft", number=2, previous=first, start=80_000_00)
    assert listed(lot) == [1]  # the re-auction is still a draft: the failed round stays the entry
    move(second, "announced")
    assert listed(lot) == [2] and [r.pk for r in catalogue_rounds()] == [second.pk]
    move(second, "open", "failed")
    selloff = new_round(lot, status="open", number=3, previous=second, start=80_000_00)  # created public (a sell-off)
    assert listed(lot) == [3] and [r.pk for r in catalogue_rounds()] == [selloff.pk]
    assert Round.objects.get(pk=first.pk).listed is False and Round.objects.get(pk=second.pk).listed is False


def test_a_withdrawn_draft_becomes_the_entry_and_one_entry_per_lot_is_enforced(enforcement_case):
    from django.db import IntegrityError

    lot = make_lot(enforcement_case)
    rnd = move(new_round(lot, status="draft"), "withdrawn")
    assert listed(lot) == [1] and rnd.listed
    other = new_round(make_lot(enforcement_case, title="另一标的"), status="announced", number=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Round.objects.filter(pk=other.pk).update(lot=lot)  # two listed rounds of one lot: refused by the database


def test_the_migration_backfills_the_entry(enforcement_case):
    house, car = make_lot(enforcement_case), make_lot(enforcement_case, title="宝马轿车")
    first = move(new_round(house, status="draft"), "announced", "open", "failed")
    second = move(new_round(house, status="draft", number=2, previous=first), "announced")
    new_round(house, status="draft", number=3, previous=second)
    new_round(car, status="draft")
    Round.objects.update(listed=False)
    backfill = importlib.import_module("lots.migrations.0007_catalogue_at_scale").BACKFILL
    with connection.cursor() as cursor:
        cursor.execute(backfill)
    assert listed(house) == [2] and listed(car) == []


# ---------------------------------------------------------------------------------------------- search


@pytest.fixture
def shelf(enforcement_case, other_court):
    other_case = EnforcementCase.objects.create(court=other_court, case_number="(2024)浙01执9号", applicants=["a"], respondents=["b"],
                                                amount_owed=1, created_at=clock.now())
    specs = [
        (enforcement_case, "苏州市姑苏区平江路18号住宅", "real_estate", "苏州市姑苏区平江路18号", "苏州"),
        (enforcement_case, "梅赛德斯-奔驰E300L轿车", "vehicle", "苏州市吴中区", "苏州"),
        (other_case, "西湖区文三路商铺", "real_estate", "杭州市西湖区文三路", "杭州"),
        (other_case, "翡翠手镯一只", "movable", "杭州市上城区", "杭州"),
        (other_case, "苏州街车位使用权", "other", "北京市海淀区苏州街", "北京"),
    ]
    out = {}
    for case, title, category, location, city in specs:
        lot = make_lot(case, title=title, category=category, location=location, city=city)
        out[title] = new_round(lot, status="announced")
    return out


WORDS = ["苏州", "苏州 住宅", "姑苏区平江路", "e300l", "E300L 苏州", "浙01执9", "(2024)浙01执9号", "执", "镯", "州", "车位 北京",
         "苏州 杭州", "不存在", "文三路 商铺", "B2-136"]


@pytest.mark.parametrize("q", WORDS)
def test_search_finds_what_a_plain_icontains_finds(shelf, q):
    expected = sorted(
        rnd.pk for rnd in Round.objects.filter(listed=True).select_related("lot__case")
        if all(any(w.upper() in text.upper() for text in (rnd.lot.title, rnd.lot.location, rnd.lot.city, rnd.lot.case.case_number))
               for w in q.split()))
    assert sorted(r.pk for r in catalogue_rounds(q=q)) == expected


def test_search_by_common_words_walks_the_sort_and_counts_by_estimate(shelf, monkeypatch):
    monkeypatch.setattr(selectors_catalogue, "COUNT_EXACT_UP_TO", 1)  # 2 matches are "many" here
    monkeypatch.setattr(selectors_catalogue, "SORTED_CANDIDATES_UP_TO", 1)
    found = catalogue_rounds(q="苏州", sort="ends_at")
    assert found.walk_sort_index
    page = catalogue_page(found, 1, 1)
    assert len(page.rows) == 1 and page.has_next and page.count_is_estimate and page.count >= 2
    names = {r.lot.title for p in (1, 2, 3) for r in catalogue_page(catalogue_rounds(q="苏州"), p, 1).rows}
    assert names == {"苏州市姑苏区平江路18号住宅", "梅赛德斯-奔驰E300L轿车", "苏州街车位使用权"}


# ---------------------------------------------------------------------------------------------- paging


def test_api_pages_keep_the_contract_and_a_page_past_the_end_is_404(api_client, shelf):
    body = api_client.get("/api/v1/rounds/", {"page_size": 2}).json()
    assert {"count", "next", "previous", "results"} <= set(body) and body["count"] == 5 and body["count_is_estimate"] is False
    assert body["previous"] is None and "page=2" in body["next"]
    seen = [r["id"] for r in body["results"]]
    page3 = api_client.get("/api/v1/rounds/", {"page_size": 2, "page": 3}).json()
    assert page3["next"] is None and "page=2" in page3["previous"]
    seen += [r["id"] for r in api_client.get("/api/v1/rounds/", {"page_size": 2, "page": 2}).json()["results"]]
    seen += [r["id"] for r in page3["results"]]
    assert sorted(seen) == sorted(r.pk for r in shelf.values())
    for page in (4, 0, "abc"):
        resp = api_client.get("/api/v1/rounds/", {"page_size": 2, "page": page})
        assert resp.status_code == 404 and "error" in resp.json()
    deep = api_client.get("/api/v1/rounds/", {"page": 10_000})
    assert deep.status_code == 400 and deep.json()["error"]["code"] == "page_too_deep"


def test_api_count_is_an_estimate_above_the_exact_limit(api_client, shelf, monkeypatch):
    monkeypatch.setattr(selectors_catalogue, "COUNT_EXACT_UP_TO", 2)
    body = api_client.get("/api/v1/rounds/", {"page_size": 2}).json()
    assert body["count_is_estimate"] is True and body["count"] >= 3 and body["next"]
    assert len(api_client.get("/api/v1/rounds/", {"page_size": 2, "page": 3}).json()["results"]) == 1


def test_page_shows_an_estimated_total_and_a_page_past_the_end_is_404(client, shelf, monkeypatch):
    from lots import views

    assert "共 5 件拍品" in client.get("/").content.decode()
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    monkeypatch.setattr(selectors_catalogue, "COUNT_EXACT_UP_TO", 2)
    body = client.get("/").content.decode()
    assert "约 " in body and "件拍品" in body
    assert 'class="lot-card' in client.get("/", {"page": "3"}).content.decode()
    assert client.get("/", {"page": "99"}).status_code == 404
    too_deep = client.get("/", {"page": "30000"})  # 2 a page: deeper than 50,000 rows
    assert too_deep.status_code == 200 and "页码过深" in too_deep.content.decode()


# ------------------------------------------------------------------------------------ indexes (EXPLAIN)


@pytest.fixture
def many_lots(db):
    """4,000 lots with one listed round each, generated by the benchmark's own SQL, then analysed."""
    sys.path.insert(0, str(LOAD))
    import bench_catalogue

    with connection.cursor() as cursor:
        for statement in bench_catalogue.generate_sql(4000):
            cursor.execute(statement)
        for table in ("lots_round", "lots_lot", "lots_enforcementcase", "lots_court"):
            cursor.execute(f"ANALYZE {table}")
    return bench_catalogue


def plan(qs) -> str:
    return json.dumps(json.loads(qs.explain(format="json")))


@pytest.mark.parametrize("sort, index", [("ends_at", "round_listed_ends"), ("-ends_at", "round_listed_ends"),
                                         ("starts_at", "round_listed_starts"), ("price", "round_listed_price"),
                                         ("-price", "round_listed_price"), ("-published_at", "round_listed_published"),
                                         ("-bid_count", "round_listed_bids"), ("recommended", "round_listed_recommended")])
def test_each_sort_reads_its_index(many_lots, sort, index):
    assert index in plan(catalogue_rounds(sort=sort).values_list("pk", flat=True)[:21])


def test_search_filters_and_deep_pages_use_the_indexes(many_lots):
    if connection.vendor != "postgresql":
        pytest.skip("the indexes of the search are PostgreSQL's")
    for subtypes in ((), ("residential",)):
        lots_plan = plan(Lot.objects.filter(selectors_catalogue._keys_contain("", ("苏州",), subtypes)).values_list("pk", flat=True)[:1001])
        assert "lots_lot_search_keys" in lots_plan
    cases_plan = plan(EnforcementCase.objects.filter(selectors_catalogue._grams_contain(("case_number",), "B001")).values("pk")[:10])
    assert "lots_case_search_grams" in cases_plan
    assert "round_listed_status_ends" in plan(catalogue_rounds(status="open").values_list("pk", flat=True)[:21])
    deep = plan(catalogue_rounds().values_list("pk", flat=True)[400:421])
    assert "Index Only Scan" in deep and "round_listed_ends" in deep
    # The generated catalogue answers the benchmark's queries.
    rare = list(catalogue_rounds(q=many_lots.RARE_WORD))
    assert all(many_lots.RARE_WORD in r.lot.title for r in rare)
    city = catalogue_page(catalogue_rounds(q="苏州"), 1, 20)
    assert city.rows and all("苏州" in (r.lot.title + r.lot.location + r.lot.city + r.lot.case.case_number) for r in city.rows)
