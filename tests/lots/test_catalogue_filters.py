"""The catalogue's filters of issue 15: region, sub-type, round (一拍 / 二拍 / 变卖), discount (X折), synonyms in the search,
"ending soon" (open rounds only); the selector and the API (GET /api/v1/rounds/), and the X折 rule."""

from datetime import timedelta

import pytest
from django.db import connection

from auction_site import clock
from lots import discount, rounds, services, synonyms
from lots.models import EnforcementCase, Round
from lots.selectors import catalogue_rounds
from tests.lots.conftest import make_lot

pytestmark = pytest.mark.django_db
YUAN = 100


# ---------------------------------------------------------------------------------------------- X折 rule


@pytest.mark.parametrize("price, reference, percent, label", [
    (700, 1000, 70, "7折"),        # 70% of the valuation: 7折
    (725, 1000, 73, "7.3折"),      # 72.5%: half up to 73
    (695, 1000, 70, "7折"),        # 69.5%: half up to 70
    (694, 1000, 69, "6.9折"),
    (3_309_250_00, 4_727_500_00, 70, "7折"),  # DOMAIN.md's real listing
    (1000, 1000, 100, ""),         # at the valuation: no discount shown
    (1200, 1000, 120, ""),
    (700, None, None, ""),         # no valuation yet
])
def test_discount_is_a_whole_percent_rounded_half_up(price, reference, percent, label):
    assert discount.percent(price, reference) == percent
    assert discount.label(percent) == label


def test_discount_typed_in_zhe_and_capped():
    assert [discount.tenths_of_zhe(v) for v in ("7", "7.5", "10", "0.5")] == [70, 75, 100, 5]
    for bad in ("7.25", "-1", "seven", "", "7."):
        with pytest.raises(ValueError):
            discount.tenths_of_zhe(bad)
    assert discount.percent(10**12, 1) == discount.CAP


# ------------------------------------------------------------------------------------------- fixtures


def put(lot, *, status, start, number=1, kind="auction", ends_in=timedelta(days=2), previous=None) -> Round:
    starts = clock.now() + ends_in - timedelta(days=1)
    return rounds.create(
        actor=None, action="round.test_loaded", data={}, lot=lot, number=number, kind=kind, previous=previous, status=status,
        starting_price=start, deposit=max(start // 10, 1), increment=100_00, starts_at=starts, ends_at=starts + timedelta(days=1),
        scheduled_ends_at=starts + timedelta(days=1), published_at=clock.now(), created_at=clock.now(), announcement="公告",
    )


@pytest.fixture
def shelf(enforcement_case, other_court):
    hz = EnforcementCase.objects.create(court=other_court, case_number="(2024)浙01执77号", applicants=["a"], respondents=["b"],
                                        amount_owed=1, created_at=clock.now())
    place = {"province": "江苏", "city": "苏州"}
    flat = make_lot(enforcement_case, title="平江路18号住宅", subtype="residential", district="姑苏区", reference_price=1_000_000 * YUAN, **place)
    truck = make_lot(enforcement_case, title="解放J6P厢式货车", category="vehicle", subtype="truck", district="相城区",
                     reference_price=300_000 * YUAN, **place)
    land = make_lot(enforcement_case, title="汾湖工业用地使用权", subtype="industrial_land", district="吴江区", reference_price=None, **place)
    hz_place = {"province": "浙江", "city": "杭州", "district": "西湖区"}
    shop = make_lot(hz, title="文三路商铺", subtype="shop", reference_price=2_000_000 * YUAN, **hz_place)
    car = make_lot(hz, title="奔驰E300L", category="vehicle", subtype="car", reference_price=200_000 * YUAN, **hz_place)
    shop1 = put(shop, status="failed", start=1_450_000 * YUAN, ends_in=timedelta(days=-10))
    return {
        "flat": put(flat, status="open", start=700_000 * YUAN, ends_in=timedelta(hours=5)),                  # 一拍, 7折
        "shop": put(shop, status="announced", number=2, previous=shop1, start=1_160_000 * YUAN, ends_in=timedelta(days=9)),  # 二拍 5.8折
        "car": put(car, status="open", start=150_000 * YUAN, ends_in=timedelta(hours=2)),                    # 7.5折
        "truck": put(truck, status="open", number=3, kind="selloff", start=192_000 * YUAN, ends_in=timedelta(days=30)),  # 变卖 6.4折
        # still "open" but its end has passed (the clock has not closed it yet): not ending soon
        "land": put(land, status="open", start=500_000 * YUAN, ends_in=timedelta(minutes=-5)),
        "shop1": shop1,
    }


def ids(qs) -> set[int]:
    return {r.pk for r in qs}


def of(shelf, *names) -> set[int]:
    return {shelf[n].pk for n in names}


# ------------------------------------------------------------------------------------------- selector


def test_rounds_store_their_discount_and_follow_the_reference_price(shelf):
    assert [shelf[n].discount for n in ("flat", "shop", "car", "truck", "land", "shop1")] == [70, 58, 75, 64, None, 73]
    flat_lot = shelf["flat"].lot
    services.set_reference_price(None, lot=flat_lot, amount=875_000 * YUAN, source="重新评估", fixed_at=clock.now(), valid_until=None)
    assert Round.objects.get(pk=shelf["flat"].pk).discount == 80
    assert ids(catalogue_rounds(min_discount=80, max_discount=80)) == of(shelf, "flat")


def test_region_subtype_round_and_discount_filters(shelf):
    assert ids(catalogue_rounds(province="江苏")) == of(shelf, "flat", "truck", "land")
    assert ids(catalogue_rounds(province="浙江省", city="杭州市")) == of(shelf, "shop", "car")
    assert ids(catalogue_rounds(city="苏州", district="相城区")) == of(shelf, "truck")
    assert ids(catalogue_rounds(district="西湖区", subtype="car")) == of(shelf, "car")
    assert ids(catalogue_rounds(subtype="residential,shop")) == of(shelf, "flat", "shop")
    assert ids(catalogue_rounds(round="first")) == of(shelf, "flat", "car", "land")
    assert ids(catalogue_rounds(round="second")) == of(shelf, "shop")  # the failed 一拍 is not the lot's entry any more
    assert ids(catalogue_rounds(round=["second", "selloff"])) == of(shelf, "shop", "truck")
    assert ids(catalogue_rounds(min_discount=60, max_discount=70)) == of(shelf, "flat", "truck")
    assert ids(catalogue_rounds(max_discount=59)) == of(shelf, "shop")
    assert ids(catalogue_rounds(min_discount=71)) == of(shelf, "car")  # no valuation, no discount: never matched by it
    assert ids(catalogue_rounds(province="江苏", round="selloff", max_discount=70)) == of(shelf, "truck")
    # A region or sub-type few lots have: the page is their rounds (found by the lots' indexes), counted exactly,
    # never a walk of every listed round looking for a rare combination.
    if connection.vendor == "postgresql":
        assert catalogue_rounds(district="西湖区", subtype="car").count_exactly is True


def test_search_expands_synonyms(shelf):
    assert {"轿车", "货车"} <= set(synonyms.expand("汽车")) and {"住宅", "商铺"} <= set(synonyms.expand("房产"))
    assert ids(catalogue_rounds(q="汽车")) == of(shelf, "car", "truck")  # 轿车 (its sub-type) and 货车 in the title
    assert ids(catalogue_rounds(q="房产")) == of(shelf, "flat", "shop")
    assert ids(catalogue_rounds(q="汽车 杭州")) == of(shelf, "car")
    assert ids(catalogue_rounds(q="货车")) == of(shelf, "truck")  # a word without synonyms is itself only


def _plainly(q: str, **lot_columns) -> list[int]:
    """The listed rounds matching every word as docs/catalogue.md says, found in Python, in the catalogue's order (ends_at, id)."""
    from lots.selectors_catalogue import _subtypes_named

    def word_in(word, lot):
        alts = synonyms.expand(word)
        texts = (lot.title, lot.location, lot.city)
        return (word.upper() in lot.case.case_number.upper() or lot.subtype in _subtypes_named(alts)
                or any(alt.upper() in t.upper() for alt in alts for t in texts))

    found = [r for r in Round.objects.filter(listed=True).select_related("lot__case").order_by("ends_at", "id")
             if all(word_in(w, r.lot) for w in q.split()) and all(getattr(r.lot, k) == v for k, v in lot_columns.items())]
    return [r.pk for r in found]


@pytest.mark.parametrize("path", ["candidates", "walk", "walk_by_estimate", "one_disjunction_per_word"])
def test_every_search_path_finds_what_a_plain_match_finds(shelf, monkeypatch, path):
    """The indexed search (each combination of the words' ways of matching: text, sub-type, case number) and each way
    of paging it give the rows, order and count of a plain match."""
    from lots import selectors_catalogue
    from lots.selectors import catalogue_page

    if path == "walk":
        monkeypatch.setattr(selectors_catalogue, "SORTED_CANDIDATES_UP_TO", 0)
    elif path == "walk_by_estimate":
        monkeypatch.setattr(selectors_catalogue, "ESTIMATE_TRUSTED_ABOVE", -1)
    elif path == "one_disjunction_per_word":
        monkeypatch.setattr(selectors_catalogue, "MAX_KEY_COMBINATIONS", 1)
    for q, columns in [("苏州 住宅", {}), ("汽车", {}), ("汽车 杭州", {}), ("房产 苏州", {}), ("房产", {"city": "杭州"}),
                       ("轿车 西湖", {}), ("浙01执77 汽车", {}), ("执 商铺", {}), ("住宅 货车", {}), ("平江路18号住宅", {}),
                       ("汽车", {"subtype": "truck"}), ("不存在", {})]:
        expected = _plainly(q, **columns)
        assert [r.pk for r in catalogue_rounds(q=q, sort="ends_at", **columns)] == expected, (q, columns)
        rounds_found = catalogue_rounds(q=q, sort="ends_at", **columns)
        pages = [catalogue_page(rounds_found, n, 1) for n in range(1, len(expected) + 1)]
        assert [p.rows[0].pk for p in pages] == expected, (q, columns)
        if path != "walk_by_estimate":  # there every count is the planner's estimate (ESTIMATE_TRUSTED_ABOVE is -1)
            assert all(p.count == len(expected) and not p.count_is_estimate for p in pages), (q, columns)


def test_ending_soon_lists_only_rounds_still_open(shelf):
    soon = [r.pk for r in catalogue_rounds(sort="ending_soon")]
    assert soon == [shelf["car"].pk, shelf["flat"].pk, shelf["truck"].pk]  # not the announced shop, not the land whose end passed
    assert [r.pk for r in catalogue_rounds(sort="ending_soon", province="浙江")] == [shelf["car"].pk]


# ------------------------------------------------------------------------------------------------- API


def test_api_takes_the_new_filters_and_shows_the_discount(api_client, shelf):
    body = api_client.get("/api/v1/rounds/", {"province": "江苏", "subtype": "truck,residential", "round": "first,selloff",
                                              "min_discount": 60, "max_discount": 70, "sort": "ending_soon"}).json()
    assert [r["id"] for r in body["results"]] == [shelf["flat"].pk, shelf["truck"].pk]
    assert [r["discount"] for r in body["results"]] == [70, 64]
    assert body["results"][0]["lot"]["district"] == "姑苏区" and body["results"][0]["lot"]["subtype"] == "residential"
    assert {r["id"] for r in api_client.get("/api/v1/rounds/", {"q": "汽车"}).json()["results"]} == of(shelf, "car", "truck")
    # sort=ends_at keeps its meaning (the contract): every listed round by end time
    assert len(api_client.get("/api/v1/rounds/", {"sort": "ends_at"}).json()["results"]) == 5


@pytest.mark.parametrize("params", [{"round": "third"}, {"subtype": "boat"}, {"min_discount": "-1"}, {"max_discount": "7.5"},
                                    {"min_discount": "abc"}, {"sort": "soon"}])
def test_api_refuses_bad_new_filters(api_client, shelf, params):
    resp = api_client.get("/api/v1/rounds/", params)
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "invalid"


def test_api_page_past_the_end_of_a_filtered_catalogue_is_a_404_in_the_error_shape(api_client, shelf):
    assert api_client.get("/api/v1/rounds/", {"province": "浙江", "page": 1}).status_code == 200
    resp = api_client.get("/api/v1/rounds/", {"province": "浙江", "page": 2})
    assert resp.status_code == 404 and set(resp.json()["error"]) >= {"code", "message"}


def test_the_migration_backfills_province_subtype_and_discount(shelf):
    import importlib
    from types import SimpleNamespace

    from django.apps import apps

    from lots.models import Lot

    Lot.objects.update(province="", subtype="")
    Round.objects.update(discount=None)
    importlib.import_module("lots.migrations.0011_catalogue_filters").backfill(apps, SimpleNamespace(connection=connection))
    by_title = {lot.title: (lot.province, lot.subtype) for lot in Lot.objects.all()}
    assert by_title["平江路18号住宅"] == ("江苏", "residential") and by_title["奔驰E300L"] == ("浙江", "")  # no word of its sub-type
    assert by_title["解放J6P厢式货车"] == ("江苏", "truck") and by_title["汾湖工业用地使用权"] == ("江苏", "industrial_land")
    assert [Round.objects.get(pk=shelf[n].pk).discount for n in ("flat", "shop", "car", "truck", "land", "shop1")] == [70, 58, 75, 64, None, 73]
