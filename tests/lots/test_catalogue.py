"""The public catalogue (selector and API): filters, one entry per lot, live state without identities."""

import json
from datetime import timedelta

import pytest

from accounts.models import Court
from auction_site import clock
from escrow.models import Registration
from lots import rounds
from lots.models import EnforcementCase, Round
from lots.selectors import catalogue_rounds
from tests.lots.conftest import add_photo, make_lot

pytestmark = pytest.mark.django_db


def put_round(lot, *, status, number=1, start=100_000_00, current=None, ends_in=timedelta(days=2), previous=None) -> Round:
    starts = clock.now() + ends_in - timedelta(days=1)
    return rounds.create(
        actor=None, action="round.test_loaded", data={}, lot=lot, number=number, previous=previous, status=status, starting_price=start, deposit=start // 10, increment=1_000_00,
        starts_at=starts, ends_at=starts + timedelta(days=1), scheduled_ends_at=starts + timedelta(days=1),
        current_price=current, published_at=None if status == "draft" else clock.now(), created_at=clock.now(), announcement="公告",
    )


@pytest.fixture
def listing(enforcement_case, other_court):
    house = make_lot(enforcement_case, title="平江路住宅", location="苏州市姑苏区平江路18号")
    car = make_lot(enforcement_case, title="宝马轿车", category="vehicle", location="苏州市吴中区", city="苏州")
    draft = make_lot(enforcement_case, title="草稿标的")
    other_case = EnforcementCase.objects.create(court=other_court, case_number="(2024)浙01执9号", applicants=["a"], respondents=["b"],
                                                amount_owed=1, created_at=clock.now())
    shop = make_lot(other_case, title="西湖区商铺", location="杭州市西湖区文三路", city="杭州")
    add_photo(house)
    rounds = {
        "house1": put_round(house, status="failed", start=300_000_00, ends_in=timedelta(days=-20)),
        "car": put_round(car, status="open", start=50_000_00, current=80_000_00, ends_in=timedelta(hours=5)),
        "draft": put_round(draft, status="draft"),
        "shop": put_round(shop, status="announced", start=200_000_00, ends_in=timedelta(days=40)),
    }
    rounds["house2"] = put_round(house, status="announced", number=2, start=240_000_00, previous=rounds["house1"], ends_in=timedelta(days=20))
    return rounds


def ids(qs) -> list[int]:
    return [r.pk for r in qs]


def test_latest_round_per_lot_and_no_drafts(listing):
    assert ids(catalogue_rounds()) == [listing["car"].pk, listing["house2"].pk, listing["shop"].pk]


def test_filters(listing, court):
    assert ids(catalogue_rounds(q="平江路")) == [listing["house2"].pk]
    assert ids(catalogue_rounds(q="浙01执9")) == [listing["shop"].pk]
    assert ids(catalogue_rounds(q="杭州 文三路")) == [listing["shop"].pk]
    assert ids(catalogue_rounds(category="vehicle")) == [listing["car"].pk]
    assert ids(catalogue_rounds(status="announced")) == [listing["house2"].pk, listing["shop"].pk]
    assert ids(catalogue_rounds(status=["open", "announced"], court="苏05")) == [listing["car"].pk, listing["house2"].pk]
    assert ids(catalogue_rounds(court=Court.objects.get(code="浙01").pk)) == [listing["shop"].pk]
    # Price: the current price when bid on, else the starting price.
    assert ids(catalogue_rounds(min_price=80_000_00, max_price=80_000_00)) == [listing["car"].pk]
    assert ids(catalogue_rounds(min_price=200_000_00, sort="-price")) == [listing["house2"].pk, listing["shop"].pk]
    assert ids(catalogue_rounds(sort="-ends_at")) == [listing["shop"].pk, listing["house2"].pk, listing["car"].pk]


def test_catalogue_api_pages_and_filters(api_client, listing):
    resp = api_client.get("/api/v1/rounds/", {"page_size": 2})
    assert resp.status_code == 200
    body = resp.json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    resp = api_client.get("/api/v1/rounds/", {"q": "宝马", "status": "open,announced", "category": "vehicle,real_estate"})
    assert [r["id"] for r in resp.json()["results"]] == [listing["car"].pk]
    row = resp.json()["results"][0]
    assert row["current_price"] == 80_000_00 and row["lot"]["court"] == "苏05" and row["lot"]["title"] == "宝马轿车"


@pytest.mark.parametrize("params", [{"status": "draft"}, {"category": "boat"}, {"min_price": "cheap"}, {"sort": "random"}, {"max_price": -1}])
def test_catalogue_api_refuses_bad_filters(api_client, listing, params):
    resp = api_client.get("/api/v1/rounds/", params)
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "invalid"


def test_round_detail_shows_live_state_and_only_the_leaders_code(api_client, listing, bidder):
    car = listing["car"]
    reg = Registration.objects.create(round=car, bidder=bidder, status="held", code="A1234", created_at=clock.now(), held_at=clock.now())
    car.leader_id, car.leader_code = reg.pk, reg.code or ""
    car.seq, car.bid_count = 7, 3
    car.save()
    resp = api_client.get(f"/api/v1/rounds/{car.pk}/")
    assert resp.status_code == 200
    body = resp.json()
    for key, value in {"id": car.pk, "status": "open", "current_price": 80_000_00, "seq": 7, "bid_count": 3, "leader_code": "A1234",
                       "starting_price": 50_000_00, "deposit": 5_000_00, "increment": 1_000_00}.items():
        assert body[key] == value
    assert {"ends_at", "starts_at", "lot"} <= set(body)
    text = json.dumps(resp.json(), ensure_ascii=False) + json.dumps(api_client.get("/api/v1/rounds/").json(), ensure_ascii=False)
    for secret in (bidder.real_name, bidder.username, bidder.id_number, bidder.phone):
        assert secret not in text


def test_draft_round_is_hidden_from_the_public(api_client, as_user, judge, other_judge, listing):
    draft = listing["draft"]
    assert api_client.get(f"/api/v1/rounds/{draft.pk}/").status_code == 404
    assert as_user(other_judge).get(f"/api/v1/rounds/{draft.pk}/").status_code == 404
    assert as_user(judge).get(f"/api/v1/rounds/{draft.pk}/").status_code == 200
    assert api_client.get(f"/api/v1/lots/{draft.lot_id}/rounds/").status_code == 404
    public = api_client.get(f"/api/v1/lots/{listing['house2'].lot_id}/rounds/").json()
    assert [r["number"] for r in public] == [1, 2]
    # A published lot's particulars are public, priority holders without ID numbers.
    lot = api_client.get(f"/api/v1/lots/{listing['house2'].lot_id}/").json()
    assert lot["title"] == "平江路住宅" and "case" not in lot
