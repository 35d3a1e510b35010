"""The bidding parts of the HTTP API: same engine as the websocket, contract error shape, proxy bids."""

from datetime import timedelta

import pytest

from bidding.models import Bid, ProxyBid
from lots.models import Round
from tests.bidding.conftest import INCREMENT, START, hold, make_round

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_throttle(no_throttle):
    return None


def test_http_bid_uses_the_engine_and_answers_in_the_contract_shape(open_round, bidders, as_user, api_client):
    (u1, _), (u2, _), _ = bidders
    resp = as_user(u1).post(f"/api/v1/rounds/{open_round.pk}/bids/", {"amount": START, "request_id": "h1"}, format="json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["seq"] == 1 and body["code"] == "A0001" and body["current_price"] == START and body["request_id"] == "h1"
    resp = as_user(u2).post(f"/api/v1/rounds/{open_round.pk}/bids/", {"amount": START}, format="json")
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "too_low"
    resp = as_user(u2).post(f"/api/v1/rounds/{open_round.pk}/bids/", {"amount": START + INCREMENT + 1}, format="json")
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "not_on_increment"
    history = api_client.get(f"/api/v1/rounds/{open_round.pk}/bids/").json()
    assert [b["code"] for b in history["bids"]] == ["A0001"] and "real_name" not in str(history)


@pytest.mark.parametrize("payload", [{"amount": 1.5}, {"amount": "330925000"}, {"amount": -1}, {"amount": None}, {}, {"amount": 10**20}])
def test_http_bad_amounts_are_400_and_change_nothing(open_round, bidders, as_user, payload):
    (u1, _), _, _ = bidders
    resp = as_user(u1).post(f"/api/v1/rounds/{open_round.pk}/bids/", payload, format="json")
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "invalid"
    assert Round.objects.get(pk=open_round.pk).seq == 0


def test_http_malformed_json_unknown_round_and_anonymous(open_round, bidders, as_user, api_client):
    (u1, _), _, _ = bidders
    resp = as_user(u1).post(f"/api/v1/rounds/{open_round.pk}/bids/", "{nope", content_type="application/json")
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "malformed"
    resp = as_user(u1).post("/api/v1/rounds/999999/bids/", {"amount": START}, format="json")
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found"
    resp = api_client.post(f"/api/v1/rounds/{open_round.pk}/bids/", {"amount": START}, format="json")
    assert resp.status_code in (401, 403)
    assert Bid.objects.count() == 0


def test_http_snapshot_matches_the_websocket_contract(open_round, bidders, as_user, api_client):
    (u1, _), _, _ = bidders
    as_user(u1).post(f"/api/v1/rounds/{open_round.pk}/bids/", {"amount": START}, format="json")
    snap = api_client.get(f"/api/v1/rounds/{open_round.pk}/live/").json()
    assert snap["type"] == "snapshot" and snap["you"] is None
    assert {"id", "status", "current_price", "ends_at", "seq", "bid_count", "leader_code"} <= set(snap["round"])
    assert snap["round"]["leader_code"] == "A0001" and snap["bids"][0]["code"] == "A0001"
    mine = as_user(u1).get(f"/api/v1/rounds/{open_round.pk}/live/").json()
    assert mine["you"]["code"] == "A0001" and mine["you"]["leading"]


def test_proxy_bid_answers_an_outbid_inside_the_same_transaction(lot, bidder_factory, as_user):
    rnd = make_round(lot, proxy=True)
    a, b = bidder_factory(), bidder_factory()
    hold(rnd, a, "A0801")
    hold(rnd, b, "A0802")
    resp = as_user(a).post(f"/api/v1/rounds/{rnd.pk}/proxy/", {"ceiling": START + 5 * INCREMENT}, format="json")
    assert resp.status_code == 200, resp.content
    assert resp.json()["placed"] == [{"seq": 1, "amount": START, "code": "A0801"}]  # not leading: bids at once
    resp = as_user(b).post(f"/api/v1/rounds/{rnd.pk}/bids/", {"amount": START + 2 * INCREMENT}, format="json")
    assert resp.status_code == 201
    assert resp.json()["seq"] == 2
    r = Round.objects.get(pk=rnd.pk)
    assert r.current_price == START + 3 * INCREMENT and r.leader_code == "A0801"  # the proxy answered with the minimum
    last = Bid.objects.get(round=rnd, seq=3)
    assert last.is_proxy and last.amount == START + 3 * INCREMENT
    # outbid beyond the ceiling: the proxy stays silent
    as_user(b).post(f"/api/v1/rounds/{rnd.pk}/bids/", {"amount": START + 6 * INCREMENT}, format="json")
    r = Round.objects.get(pk=rnd.pk)
    assert r.leader_code == "A0802" and r.bid_count == 4


def test_two_proxies_resolve_deterministically_higher_ceiling_wins(lot, bidder_factory, as_user):
    rnd = make_round(lot, proxy=True)
    a, b, c = bidder_factory(), bidder_factory(), bidder_factory()
    hold(rnd, a, "A0901")
    hold(rnd, b, "A0902")
    hold(rnd, c, "A0903")
    assert as_user(c).post(f"/api/v1/rounds/{rnd.pk}/bids/", {"amount": START}, format="json").status_code == 201
    as_user(a).post(f"/api/v1/rounds/{rnd.pk}/proxy/", {"ceiling": START + 4 * INCREMENT}, format="json")
    as_user(b).post(f"/api/v1/rounds/{rnd.pk}/proxy/", {"ceiling": START + 9 * INCREMENT}, format="json")
    r = Round.objects.get(pk=rnd.pk)
    # the stronger proxy bids the least amount the weaker one (ceiling START + 4 increments) cannot top
    assert r.leader_code == "A0902" and r.current_price == START + 4 * INCREMENT
    amounts = list(Bid.objects.filter(round=rnd).order_by("seq").values_list("amount", flat=True))
    assert all(x < y for x, y in zip(amounts, amounts[1:]))


def test_proxy_refused_where_not_enabled_or_not_registered(open_round, bidders, bidder_factory, as_user):
    (u1, _), _, _ = bidders
    resp = as_user(u1).post(f"/api/v1/rounds/{open_round.pk}/proxy/", {"ceiling": START}, format="json")
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "invalid"
    Round.objects.filter(pk=open_round.pk).update(proxy_bidding_enabled=True)
    resp = as_user(bidder_factory()).post(f"/api/v1/rounds/{open_round.pk}/proxy/", {"ceiling": START}, format="json")
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "not_registered"
    resp = as_user(u1).post(f"/api/v1/rounds/{open_round.pk}/proxy/", {"ceiling": 2.5}, format="json")
    assert resp.status_code == 400
    assert ProxyBid.objects.count() == 0


def test_proxies_set_before_the_opening_bid_when_the_round_opens(lot, bidder_factory, as_user):
    from auction_site import clock
    from bidding import clockwork

    rnd = make_round(lot, status="announced", proxy=True, starts_in=timedelta(hours=1))
    a, b = bidder_factory(), bidder_factory()
    hold(rnd, a, "A0951")
    hold(rnd, b, "A0952")
    assert as_user(a).post(f"/api/v1/rounds/{rnd.pk}/proxy/", {"ceiling": START + 3 * INCREMENT}, format="json").status_code == 200
    assert as_user(b).post(f"/api/v1/rounds/{rnd.pk}/proxy/", {"ceiling": START + 1 * INCREMENT}, format="json").status_code == 200
    assert Bid.objects.count() == 0  # nothing before the opening
    clock.advance(2 * 3600)
    Round.objects.filter(pk=rnd.pk).update(status="open")  # lots' clock opens it
    report = clockwork.tick(clock.now())
    assert report["proxy_opening_bids"] == [rnd.pk]
    r = Round.objects.get(pk=rnd.pk)
    assert r.leader_code == "A0951" and r.current_price == START + 2 * INCREMENT  # one increment over the other ceiling
    assert "proxy_opening_bids" not in clockwork.tick(clock.now())  # idempotent
