"""Negotiated (B4), directed (B5–6) and appraisal (B14–20), each driven through the API and the clock."""

from datetime import timedelta

from django.core.management import call_command

from auction_site import clock
from tests.valuation.conftest import inquiry_of
from valuation import clockwork
from valuation.models import Inquiry, LotteryDraw, Valuation


def tick():
    return clockwork.tick(clock.now())


def deadline(days=7):
    return (clock.now() + timedelta(days=days)).isoformat()


# ------------------------------------------------------------------------------------------ negotiated


def test_negotiated_same_price_is_the_reference_price(lot, parties, start, as_user, judge, mailoutbox):
    applicant, debtor = parties
    v = start(lot, "negotiated", deadline=deadline())
    assert as_user(applicant).post(f"/api/v1/valuations/{v['id']}/offers/", {"price": 350_000_000}, format="json").status_code == 201
    lot.refresh_from_db()
    assert lot.reference_price is None  # one side is not enough
    assert as_user(debtor).post(f"/api/v1/valuations/{v['id']}/offers/", {"price": 350_000_000}, format="json").status_code == 201
    lot.refresh_from_db()
    assert lot.reference_price == 350_000_000
    assert lot.reference_price_valid_until == Valuation.objects.get(pk=v["id"]).fixed_at + timedelta(days=365)
    # B21: the parties are told, in the site and by e-mail (the clock sends what was not sent on commit).
    tick()
    assert {m.to[0] for m in mailoutbox} >= {"bank@example.com", "zhangsan@example.com"}
    assert applicant.valuation_notifications.filter(kind="result").exists()


def test_negotiation_goes_in_rounds_until_one_side_takes_the_others_price(lot, parties, start, as_user):
    """B4: different prices do not end the negotiation; the sides answer each other until they offer the same price."""
    applicant, debtor = parties
    v = start(lot, "negotiated", deadline=deadline())
    url = f"/api/v1/valuations/{v['id']}/offers/"
    assert as_user(applicant).post(url, {"price": 350_000_000}, format="json").status_code == 201
    r = as_user(applicant).post(url, {"price": 340_000_000}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_your_turn"  # wait for the other side's answer
    assert as_user(debtor).post(url, {"price": 300_000_000}, format="json").status_code == 201
    body = as_user(applicant).post(url, {"price": 320_000_000}, format="json").json()
    assert body["status"] == "open" and [o["price"] for o in body["offers"]] == [350_000_000, 300_000_000, 320_000_000]
    lot.refresh_from_db()
    assert lot.reference_price is None
    body = as_user(debtor).post(url, {"price": 320_000_000}, format="json").json()  # the debtor accepts round 3's price
    assert body["status"] == "concluded" and body["reference_price"] == 320_000_000 and len(body["offers"]) == 4
    lot.refresh_from_db()
    assert lot.reference_price == 320_000_000 and "议价" in lot.reference_price_source
    # the other side heard of each offer in its notices
    assert debtor.valuation_notifications.filter(kind="negotiation_offer").count() == 2


def test_negotiation_deadline_passes_then_directed_inquiry(lot, parties, agency, start, as_user, advance_clock):
    applicant, _ = parties
    v = start(lot, "negotiated", deadline=deadline(5), fallback_agency="AG1", fallback_basis="tax_base")
    as_user(applicant).post(f"/api/v1/valuations/{v['id']}/offers/", {"price": 350_000_000}, format="json")
    advance_clock(days=5, seconds=1)
    assert tick()["failed"] == 1
    nxt = Valuation.objects.get(pk=v["id"]).next_valuation
    assert nxt.method == "directed" and nxt.inquiries.get().organisation.code == "AG1"
    r = as_user(parties[1]).post(f"/api/v1/valuations/{v['id']}/offers/", {"price": 350_000_000}, format="json")
    assert r.status_code == 409


def test_only_parties_may_negotiate(lot, parties, start, as_user, bidder):
    v = start(lot, "negotiated", deadline=deadline())
    r = as_user(bidder).post(f"/api/v1/valuations/{v['id']}/offers/", {"price": 1_000_00}, format="json")
    assert r.status_code == 403
    assert not Valuation.objects.get(pk=v["id"]).offers.exists()


# -------------------------------------------------------------------------------------------- directed


def test_directed_needs_a_price_basis(lot, agency, judge, as_user):
    r = as_user(judge).post(f"/api/v1/lots/{lot.pk}/valuations/", {"method": "directed", "agency": "AG1", "deadline": deadline()}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "price_basis_required"
    assert not Valuation.objects.exists()


def test_directed_answer_before_the_deadline(lot, parties, agency, start, quote, as_user):
    v = start(lot, "directed", agency="AG1", price_basis="tax_base", deadline=deadline(10))
    assert quote(agency[1], inquiry_of(v, "AG1"), 280_000_000).status_code == 201
    lot.refresh_from_db()
    assert lot.reference_price == 280_000_000
    # B24: no objection against a directed price.
    r = as_user(parties[1]).post(f"/api/v1/valuations/{v['id']}/objections/", {"ground": "wrong_facts", "reason": "面积错误"}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "objection_not_allowed"


def test_directed_deadline_missed_goes_to_network(lot, agency, platforms, start, quote, advance_clock):
    v = start(lot, "directed", agency="AG1", price_basis="government", deadline=deadline(10))
    advance_clock(days=10, seconds=1)
    assert quote(agency[1], inquiry_of(v, "AG1"), 280_000_000).status_code == 409
    tick()
    val = Valuation.objects.get(pk=v["id"])
    assert val.status == "failed" and val.next_valuation.method == "network"
    assert val.next_valuation.inquiries.count() == 3


# ------------------------------------------------------------------------------------------- appraisal


def test_lottery_replayed_with_its_seed_picks_the_same_institutions(lot, institutions, start, api_client, advance_clock):
    v = start(lot, "appraisal")
    lottery = LotteryDraw.objects.get(valuation_id=v["id"])
    assert lottery.candidates == ["I01", "I02", "I03", "I04", "I05"] and v["inquiries"] == []
    advance_clock(days=1, seconds=1)
    assert tick()["drawn"] == 1
    lottery.refresh_from_db()
    body = api_client.get(f"/api/v1/valuations/{v['id']}/lottery/").json()  # anyone may replay
    assert body["matches"] is True and body["replayed"] == lottery.picks
    ordered = list(Inquiry.objects.filter(valuation_id=v["id"]).order_by("position").values_list("organisation__code", flat=True))
    assert ordered == lottery.picks
    call_command("replay_lottery", str(v["id"]))  # raises CommandError on a mismatch


def test_agreed_institutions_in_their_order(lot, institutions, start):
    v = start(lot, "appraisal", institutions=["I03", "I01", "I05"])
    assert [i["organisation"] for i in v["inquiries"]] == ["I03", "I01", "I05"]
    assert [i["status"] for i in v["inquiries"]] == ["pending", "queued", "queued"]
    assert v["lottery"] is None


def test_late_institution_is_replaced_by_the_next(lot, institutions, start, quote, advance_clock):
    v = start(lot, "appraisal", institutions=["I03", "I01", "I05"])
    by = {o.code: u for o, u in institutions}
    advance_clock(days=30, seconds=1)
    assert quote(by["I03"], inquiry_of(v, "I03"), 400_000_000).status_code == 409
    assert tick()["replaced"] == 1
    second = Inquiry.objects.get(pk=inquiry_of(v, "I01"))
    assert second.status == "pending" and second.deadline == second.sent_at + timedelta(days=30)
    assert quote(by["I01"], inquiry_of(v, "I01"), 410_000_000).status_code == 201
    lot.refresh_from_db()
    assert lot.reference_price == 410_000_000


def test_appraisal_extensions_b19(lot, institutions, start, as_user, advance_clock):
    v = start(lot, "appraisal", institutions=["I01", "I02", "I03"])
    u = institutions[0][1]
    url = f"/api/v1/valuer/inquiries/{inquiry_of(v, 'I01')}/extension/"
    assert as_user(u).post(url, {"days": 16}, format="json").status_code == 400
    assert as_user(u).post(url, {"days": 15}, format="json").status_code == 200
    assert as_user(u).post(url, {"days": 15}, format="json").status_code == 200
    r = as_user(u).post(url, {"days": 1}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "too_many_extensions"
    inq = Inquiry.objects.get(pk=inquiry_of(v, "I01"))
    assert inq.deadline == inq.sent_at + timedelta(days=60)


def test_extension_asked_less_than_five_days_before_is_refused(lot, institutions, start, as_user, advance_clock):
    v = start(lot, "appraisal", institutions=["I01", "I02", "I03"])
    advance_clock(days=25, seconds=1)
    r = as_user(institutions[0][1]).post(f"/api/v1/valuer/inquiries/{inquiry_of(v, 'I01')}/extension/", {"days": 10}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "extension_too_late"


def test_all_three_institutions_late_fails(lot, institutions, start, advance_clock):
    v = start(lot, "appraisal", institutions=["I01", "I02", "I03"])
    for _ in range(3):
        advance_clock(days=30, seconds=1)
        tick()
    val = Valuation.objects.get(pk=v["id"])
    assert val.status == "failed"
    assert [i.status for i in val.inquiries.order_by("position")] == ["missed", "missed", "missed"]
