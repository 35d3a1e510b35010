"""Delivery and objections (B21–B24), driven through the API and the clock."""

import pytest

from tests.valuation.conftest import inquiry_of
from valuation.models import Inquiry, Objection, Valuation


@pytest.fixture
def concluded(lot, platforms, parties, start, quote):
    v = start(lot, "network")
    for (org, user), price in zip(platforms, [100_000_00, 200_000_00, 600_000_00]):
        assert quote(user, inquiry_of(v, org.code), price).status_code == 201
    lot.refresh_from_db()
    assert lot.reference_price == 300_000_00
    return v


def test_result_delivered_to_parties_in_site(concluded, parties):
    for user in parties:
        assert user.valuation_notifications.filter(kind="result", valuation_id=concluded["id"]).exists()
    assert Valuation.objects.get(pk=concluded["id"]).delivered_at is not None


def test_objection_after_five_days_is_refused(concluded, parties, as_user, advance_clock):
    advance_clock(days=5, seconds=1)
    r = as_user(parties[1]).post(f"/api/v1/valuations/{concluded['id']}/objections/",
                                 {"ground": "wrong_facts", "reason": "面积错误", "inquiry": inquiry_of(concluded, "P3")}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "objection_too_late"
    assert not Objection.objects.exists()


def test_objection_on_other_grounds_is_refused(concluded, parties, as_user):
    r = as_user(parties[1]).post(f"/api/v1/valuations/{concluded['id']}/objections/",
                                 {"ground": "price_too_low", "reason": "太低", "inquiry": inquiry_of(concluded, "P3")}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "objection_ground_invalid"


def test_outsider_cannot_object(concluded, bidder, as_user):
    r = as_user(bidder).post(f"/api/v1/valuations/{concluded['id']}/objections/",
                             {"ground": "wrong_facts", "reason": "x", "inquiry": inquiry_of(concluded, "P3")}, format="json")
    assert r.status_code == 403


def test_upheld_objection_leaves_that_result_out_of_the_average(concluded, parties, as_user, judge, lot, advance_clock):
    advance_clock(days=4)
    r = as_user(parties[1]).post(f"/api/v1/valuations/{concluded['id']}/objections/",
                                 {"ground": "wrong_facts", "reason": "平台3把面积算成了198平方米", "inquiry": inquiry_of(concluded, "P3")}, format="json")
    assert r.status_code == 201, r.json()
    oid = r.json()["id"]
    assert as_user(parties[1]).post(f"/api/v1/objections/{oid}/decide/", {"decision": "upheld"}, format="json").status_code == 403
    r = as_user(judge).post(f"/api/v1/objections/{oid}/decide/", {"decision": "upheld", "note": "面积错误属实"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "upheld"
    lot.refresh_from_db()
    assert lot.reference_price == 150_000_00  # B13: average of the unchallenged two
    assert Inquiry.objects.get(pk=inquiry_of(concluded, "P3")).status == "excluded"
    # decided once only
    assert as_user(judge).post(f"/api/v1/objections/{oid}/decide/", {"decision": "dismissed"}, format="json").status_code == 409


def test_dismissed_objection_changes_nothing(concluded, parties, as_user, judge, lot):
    r = as_user(parties[0]).post(f"/api/v1/valuations/{concluded['id']}/objections/",
                                 {"ground": "unlawful_procedure", "reason": "程序违法", "inquiry": inquiry_of(concluded, "P1")}, format="json")
    as_user(judge).post(f"/api/v1/objections/{r.json()['id']}/decide/", {"decision": "dismissed"}, format="json")
    lot.refresh_from_db()
    assert lot.reference_price == 300_000_00


def test_upheld_objection_restarts_appraisal_with_the_next_institution(lot, parties, institutions, start, quote, as_user, judge):
    v = start(lot, "appraisal", institutions=["I02", "I04", "I01"])
    by = {o.code: u for o, u in institutions}
    assert quote(by["I02"], inquiry_of(v, "I02"), 500_000_000).status_code == 201
    lot.refresh_from_db()
    assert lot.reference_price == 500_000_000
    r = as_user(parties[1]).post(f"/api/v1/valuations/{v['id']}/objections/", {"ground": "unqualified", "reason": "评估师无资质"}, format="json")
    assert r.status_code == 201
    as_user(judge).post(f"/api/v1/objections/{r.json()['id']}/decide/", {"decision": "upheld"}, format="json")
    lot.refresh_from_db()
    assert lot.reference_price is None
    val = Valuation.objects.get(pk=v["id"])
    assert val.status == "open"
    assert Inquiry.objects.get(pk=inquiry_of(v, "I04")).status == "pending"
    assert quote(by["I04"], inquiry_of(v, "I04"), 480_000_000).status_code == 201
    lot.refresh_from_db()
    assert lot.reference_price == 480_000_000


def test_other_judge_and_outsiders_cannot_see_a_valuation(concluded, other_judge, bidder, as_user, parties, api_client):
    url = f"/api/v1/valuations/{concluded['id']}/"
    assert as_user(other_judge).get(url).status_code == 403
    assert as_user(bidder).get(url).status_code == 403
    assert api_client.get(url).status_code in (401, 403)
    body = as_user(parties[0]).get(url).json()
    assert body["reference_price"] == 300_000_00 and len(body["quotes"]) == 3


def test_upheld_objection_to_an_appraisal_does_not_reopen_it_beside_a_newer_valuation(lot, parties, institutions, platforms, start, quote,
                                                                                    as_user, judge):
    v = start(lot, "appraisal", institutions=["I02", "I04", "I01"])
    by = {o.code: u for o, u in institutions}
    assert quote(by["I02"], inquiry_of(v, "I02"), 500_000_000).status_code == 201
    r = as_user(parties[1]).post(f"/api/v1/valuations/{v['id']}/objections/", {"ground": "unqualified", "reason": "评估师无资质"}, format="json")
    newer = start(lot, "network")  # the judge has the lot valued again meanwhile (one open valuation per lot)
    assert as_user(judge).post(f"/api/v1/objections/{r.json()['id']}/decide/", {"decision": "upheld"}, format="json").status_code == 200
    old = Valuation.objects.get(pk=v["id"])
    assert old.status == "failed" and old.reference_price is None and "another valuation" in old.failure_reason
    assert Inquiry.objects.get(pk=inquiry_of(v, "I04")).status == "cancelled"
    assert list(Valuation.objects.filter(lot=lot, status="open").values_list("pk", flat=True)) == [newer["id"]]
    lot.refresh_from_db()
    assert lot.reference_price is None  # the set-aside report no longer prices the lot
