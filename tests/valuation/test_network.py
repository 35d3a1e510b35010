"""Network inquiry (B7–B13), driven through the API and the clock."""

import pytest

from auction_site import clock
from tests.valuation.conftest import inquiry_of
from valuation import clockwork
from valuation.models import Inquiry, Valuation


def tick():
    return clockwork.tick(clock.now())


@pytest.fixture
def network(lot, platforms, parties, start):
    return start(lot, "network")


def test_sent_to_all_platforms_with_a_three_day_deadline(network, platforms):
    # B10: all registered platforms at once; B11: 3 days.
    assert {i["organisation"] for i in network["inquiries"]} == {"P1", "P2", "P3"}
    v = Valuation.objects.get(pk=network["id"])
    for inq in v.inquiries.all():
        assert inq.status == "pending"
        assert (inq.deadline - v.started_at).total_seconds() == 3 * 86400


def test_average_of_on_time_results_becomes_the_reference_price(network, platforms, quote, lot, as_user, judge):
    prices = [472_750_001, 472_750_002, 472_750_004]
    for (org, user), price in zip(platforms, prices):
        r = quote(user, inquiry_of(network, org.code), price)
        assert r.status_code == 201, r.json()
    lot.refresh_from_db()
    assert lot.reference_price == 472_750_002  # (1+2+4)/3 = 2.33 -> 2, exact fen, half up
    body = as_user(judge).get(f"/api/v1/valuations/{network['id']}/").json()
    assert body["status"] == "concluded" and body["reference_price"] == 472_750_002
    assert sorted(q["price"] for q in body["quotes"] if q["used"]) == prices


def test_late_platform_is_left_out_once_the_deadline_passes(network, platforms, quote, lot, advance_clock):
    (o1, u1), (o2, u2), (o3, u3) = platforms
    assert quote(u1, inquiry_of(network, "P1"), 300_000_00).status_code == 201
    assert quote(u2, inquiry_of(network, "P2"), 300_000_01).status_code == 201
    advance_clock(days=3, seconds=1)
    r = quote(u3, inquiry_of(network, "P3"), 900_000_00)
    assert r.status_code == 409 and r.json()["error"]["code"] == "deadline_passed"
    tick()
    lot.refresh_from_db()
    assert lot.reference_price == 300_000_01  # 300,000.005 yuan rounds half up
    assert Inquiry.objects.get(pk=inquiry_of(network, "P3")).status == "missed"
    assert tick()["concluded"] == 0  # a second tick changes nothing


def test_extension_refused_when_another_platform_delivered(network, platforms, quote, as_user):
    (o1, u1), (o2, u2), _ = platforms
    quote(u1, inquiry_of(network, "P1"), 100_000_00)
    r = as_user(u2).post(f"/api/v1/valuer/inquiries/{inquiry_of(network, 'P2')}/extension/", {}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "others_delivered"
    assert Inquiry.objects.get(pk=inquiry_of(network, "P2")).extension_requested_at is None


def test_extension_granted_only_when_all_platforms_missed(network, platforms, quote, as_user, advance_clock, lot):
    (o1, u1), (o2, u2), (o3, u3) = platforms
    r = as_user(u2).post(f"/api/v1/valuer/inquiries/{inquiry_of(network, 'P2')}/extension/", {}, format="json")
    assert r.status_code == 200
    advance_clock(days=3, seconds=1)
    assert tick()["extended"] == 1
    p2 = Inquiry.objects.get(pk=inquiry_of(network, "P2"))
    assert p2.status == "pending" and p2.extensions_granted == 1
    assert Inquiry.objects.get(pk=inquiry_of(network, "P1")).status == "missed"  # did not ask
    assert quote(u1, inquiry_of(network, "P1"), 1_000_00).status_code == 409
    assert quote(u2, inquiry_of(network, "P2"), 555_555_55).status_code == 201
    lot.refresh_from_db()
    assert lot.reference_price == 555_555_55
    assert Valuation.objects.get(pk=network["id"]).status == "concluded"


def test_all_missed_without_asking_goes_to_appraisal(network, institutions, advance_clock, lot):
    advance_clock(days=3, seconds=1)
    assert tick()["failed"] == 1
    v = Valuation.objects.get(pk=network["id"])
    assert v.status == "failed"
    nxt = v.next_valuation
    assert nxt.method == "appraisal" and nxt.status == "open"
    assert nxt.lottery.picks == [] and not nxt.inquiries.exists()  # B16: published, drawn at its time
    advance_clock(days=1, seconds=1)
    assert tick()["drawn"] == 1
    nxt.lottery.refresh_from_db()
    assert len(nxt.lottery.picks) == 3
    assert [i.organisation.code for i in nxt.inquiries.order_by("position")] == nxt.lottery.picks
    lot.refresh_from_db()
    assert lot.reference_price is None


def test_before_the_deadline_nothing_happens(network, advance_clock):
    advance_clock(days=2, hours=23)
    assert tick()["failed"] == 0
    assert Valuation.objects.get(pk=network["id"]).status == "open"


def test_correction_within_three_days_replaces_the_result(network, platforms, quote, as_user, judge, lot, advance_clock):
    (o1, u1), (o2, u2), (o3, u3) = platforms
    for (org, user), price in zip(platforms, [100_00, 200_00, 300_00]):
        quote(user, inquiry_of(network, org.code), price)
    lot.refresh_from_db()
    assert lot.reference_price == 200_00
    r = as_user(judge).post(f"/api/v1/inquiries/{inquiry_of(network, 'P3')}/correction/", {"reason": "面积有误"}, format="json")
    assert r.status_code == 200
    advance_clock(days=2)
    assert quote(u3, inquiry_of(network, "P3"), 600_00).status_code == 201
    lot.refresh_from_db()
    assert lot.reference_price == 300_00  # (100+200+600)/3
    p3 = Inquiry.objects.get(pk=inquiry_of(network, "P3"))
    assert p3.quotes.count() == 2  # the first answer is kept, never edited
    assert p3.quotes.order_by("id").first().price == 300_00


def test_correction_not_delivered_in_three_days_sets_the_result_aside(network, platforms, quote, as_user, judge, lot, advance_clock):
    for (org, user), price in zip(platforms, [100_00, 200_00, 300_00]):
        quote(user, inquiry_of(network, org.code), price)
    as_user(judge).post(f"/api/v1/inquiries/{inquiry_of(network, 'P3')}/correction/", {"reason": "面积有误"}, format="json")
    advance_clock(days=3, seconds=1)
    assert tick()["corrections_missed"] == 1
    lot.refresh_from_db()
    assert lot.reference_price == 150_00
    assert quote(platforms[2][1], inquiry_of(network, "P3"), 600_00).status_code == 409


def test_parties_see_no_platform_result_until_the_price_is_fixed(network, platforms, quote, parties, as_user, judge, client):
    """Other platforms' quotes are hidden from the parties while the inquiry is open; the judge sees them all along."""
    applicant, debtor = parties
    (org1, user1), (org2, user2), (org3, user3) = platforms
    assert quote(user1, inquiry_of(network, org1.code), 472_750_000).status_code == 201
    url = f"/api/v1/valuations/{network['id']}/"
    seen = as_user(debtor).get(url).json()
    assert seen["status"] == "open" and seen["quotes"] == [] and seen["quotes_hidden"] is True
    assert [q["price"] for q in as_user(judge).get(url).json()["quotes"]] == [472_750_000]
    client.force_login(applicant)
    assert "4,727,500" not in client.get("/party/").content.decode()
    quote(user2, inquiry_of(network, org2.code), 472_750_002)
    quote(user3, inquiry_of(network, org3.code), 472_750_004)
    fixed = as_user(debtor).get(url).json()
    assert fixed["status"] == "concluded" and len(fixed["quotes"]) == 3 and fixed["quotes_hidden"] is False
    assert "4,727,500.00" in client.get("/party/").content.decode()
