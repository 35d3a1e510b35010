"""Each publication rule refuses a round that breaks it (and publishes one that keeps it)."""

from datetime import timedelta

import pytest

from auction_site import clock
from auction_site.models import AuditRecord
from lots.models import Media, Round
from lots.rules import PARTY_NOTICE_BEFORE_ANNOUNCEMENT
from tests.conftest import arrange_status
from tests.lots.conftest import DEPOSIT, INCREMENT, REFERENCE, START, add_photo, make_lot, round_payload

pytestmark = pytest.mark.django_db


def raw_round(lot, *, number=1, notice=timedelta(days=31), period=timedelta(hours=24), starting_price=START, deposit=DEPOSIT,
              increment=INCREMENT, announcement="拍卖公告全文", previous=None, notified=PARTY_NOTICE_BEFORE_ANNOUNCEMENT) -> Round:
    """A draft written straight to the table, so publication is the only check it meets.

    `notified`: how long ago the parties were notified (A16; by default exactly the 3 days publication needs,
    so the other rules are tested alone); None: not notified. The A16 tests below use the judge's service.
    """
    now = clock.now()
    starts = now + notice
    return Round.objects.create(lot=lot, number=number, previous=previous, starting_price=starting_price, deposit=deposit, increment=increment,
                                starts_at=starts, ends_at=starts + period, scheduled_ends_at=starts + period, announcement=announcement,
                                parties_notified_at=None if notified is None else now - notified, created_at=now)


def publish(client, rnd):
    return client.post(f"/api/v1/rounds/{rnd.pk}/publish/", {}, format="json")


def refused(resp, code: str, article: str) -> dict:
    assert resp.status_code == 400, resp.content
    error = resp.json()["error"]
    codes = {d["code"]: d["article"] for d in error["details"]}
    assert codes.get(code) == article, error
    assert f"[{article}]" in error["message"]
    return error


def assert_still_draft(rnd):
    rnd.refresh_from_db()
    assert rnd.status == "draft" and rnd.seq == 0 and rnd.published_at is None


def test_a_compliant_round_is_published(judge_client, lot):
    rnd = raw_round(lot)
    resp = publish(judge_client, rnd)
    assert resp.status_code == 200, resp.content
    rnd.refresh_from_db()
    assert rnd.status == "announced" and rnd.seq == 1 and rnd.published_at is not None
    assert AuditRecord.objects.filter(action="round.announced", object_id=str(rnd.pk)).exists()


# A10 -------------------------------------------------------------------------------------------------


def test_a10_round_one_below_70_percent_of_reference_is_refused(judge_client, lot):
    just_below = REFERENCE * 70 // 100 - 1
    rnd = raw_round(lot, starting_price=just_below, deposit=just_below // 10, increment=INCREMENT)
    refused(publish(judge_client, rnd), "starting_price_too_low", "A10")
    assert_still_draft(rnd)


def test_a10_exactly_70_percent_is_accepted(judge_client, lot):
    start = REFERENCE * 70 // 100
    assert start * 100 == REFERENCE * 70
    rnd = raw_round(lot, starting_price=start, deposit=start // 10)
    assert publish(judge_client, rnd).status_code == 200


def test_a10_round_one_without_reference_price_is_refused(judge_client, enforcement_case):
    lot = make_lot(enforcement_case, reference_price=None, reference_price_source="")
    add_photo(lot)
    Media.objects.create(lot=lot, kind="document", key="doc-a10", content_type="application/pdf", size=10, status="ready", created_at=clock.now())
    rnd = raw_round(lot)
    refused(publish(judge_client, rnd), "no_reference_price", "A10")
    assert_still_draft(rnd)


def test_a10_checked_when_the_draft_is_created(judge_client, lot):
    resp = judge_client.post(f"/api/v1/lots/{lot.pk}/rounds/", round_payload(starting_price=REFERENCE // 2, deposit=REFERENCE // 20), format="json")
    refused(resp, "starting_price_too_low", "A10")
    assert not lot.rounds.exists()


def test_b27_expired_reference_price_is_refused_for_round_one(judge_client, lot):
    lot.reference_price_valid_until = clock.now() - timedelta(days=1)
    lot.save()
    rnd = raw_round(lot)
    refused(publish(judge_client, rnd), "reference_price_expired", "B27")
    assert_still_draft(rnd)


# A12 / A26 notice ------------------------------------------------------------------------------------


def test_a12_real_estate_needs_30_days_notice(judge_client, lot):
    short = raw_round(lot, notice=timedelta(days=29, hours=23))
    refused(publish(judge_client, short), "notice_too_short", "A12")
    assert_still_draft(short)
    short.starts_at = clock.now() + timedelta(days=30, minutes=5)
    short.ends_at = short.scheduled_ends_at = short.starts_at + timedelta(hours=24)
    short.save()
    assert publish(judge_client, short).status_code == 200


def test_a12_movables_need_15_days_notice(judge_client, enforcement_case):
    lot = make_lot(enforcement_case, category="vehicle", title="苏E12345 小型轿车")
    add_photo(lot)
    short = raw_round(lot, notice=timedelta(days=14, hours=23))
    refused(publish(judge_client, short), "notice_too_short", "A12")
    assert_still_draft(short)
    short.starts_at = clock.now() + timedelta(days=15, minutes=5)
    short.ends_at = short.scheduled_ends_at = short.starts_at + timedelta(hours=24)
    short.save()
    assert publish(judge_client, short).status_code == 200


def failed_first_round(lot) -> Round:
    first = raw_round(lot, notice=timedelta(days=-2))
    arrange_status(first, "failed", closed_at=clock.now() - timedelta(days=1))
    return first


@pytest.mark.parametrize(("category", "days"), [("real_estate", 15), ("movable", 7)])
def test_a26_second_round_notice(judge_client, enforcement_case, category, days):
    lot = make_lot(enforcement_case, category=category)
    add_photo(lot)
    first = failed_first_round(lot)
    second_start = first.starting_price * 80 // 100
    second = raw_round(lot, number=2, previous=first, starting_price=second_start, deposit=second_start // 10,
                       notice=timedelta(days=days) - timedelta(hours=1))
    refused(publish(judge_client, second), "notice_too_short", "A26")
    assert_still_draft(second)
    second.starts_at = clock.now() + timedelta(days=days, minutes=5)
    second.ends_at = second.scheduled_ends_at = second.starts_at + timedelta(hours=24)
    second.save()
    assert publish(judge_client, second).status_code == 200, publish(judge_client, second).content


def test_a26_second_round_cut_more_than_20_percent_is_refused(judge_client, lot):
    first = failed_first_round(lot)
    too_low = first.starting_price * 80 // 100 - 100
    resp = judge_client.post(f"/api/v1/lots/{lot.pk}/rounds/", round_payload(days_ahead=16, starting_price=too_low, deposit=too_low // 10), format="json")
    refused(resp, "cut_too_deep", "A26")
    ok = judge_client.post(f"/api/v1/lots/{lot.pk}/rounds/", round_payload(days_ahead=16, starting_price=too_low + 100, deposit=too_low // 10), format="json")
    assert ok.status_code == 201, ok.content
    assert ok.json()["number"] == 2


# A13–14 disclosures ----------------------------------------------------------------------------------


def test_a14_a_ready_photo_is_required(judge_client, enforcement_case):
    lot = make_lot(enforcement_case)
    add_photo(lot, status="pending")  # an upload never completed does not count
    rnd = raw_round(lot)
    refused(publish(judge_client, rnd), "missing_photos", "A14")
    assert_still_draft(rnd)


@pytest.mark.parametrize("field", ["description", "judgment_enforced", "title_status", "occupancy", "defects_and_encumbrances"])
def test_a13_each_particular_is_required(judge_client, enforcement_case, field):
    lot = make_lot(enforcement_case, **{field: "  "})
    add_photo(lot)
    rnd = raw_round(lot)
    refused(publish(judge_client, rnd), f"missing_{field}", "A13")
    assert_still_draft(rnd)


def test_a13_announcement_and_court_contact_are_required(judge_client, lot, court):
    court.contact = ""
    court.save()
    rnd = raw_round(lot, announcement="")
    error = refused(publish(judge_client, rnd), "missing_announcement", "A13")
    assert "missing_court_contact" in {d["code"] for d in error["details"]}


def test_a13_valuation_report_or_reference_basis_is_required(judge_client, enforcement_case):
    lot = make_lot(enforcement_case, reference_price_source="")
    add_photo(lot)
    rnd = raw_round(lot)
    refused(publish(judge_client, rnd), "missing_valuation_report", "A13")
    assert_still_draft(rnd)
    Media.objects.create(lot=lot, kind="document", title="询价报告", key="report-1.pdf", content_type="application/pdf", size=100,
                         status="ready", created_at=clock.now())
    assert publish(judge_client, rnd).status_code == 200


# A17 deposit -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("deposit", "ok"), [
    (START * 5 // 100 - 1, False), (-(-START * 5 // 100), True), (START * 20 // 100, True), (START * 20 // 100 + 1, False),
])
def test_a17_deposit_between_5_and_20_percent_at_publication(judge_client, lot, deposit, ok):
    rnd = raw_round(lot, deposit=deposit)
    resp = publish(judge_client, rnd)
    if ok:
        assert resp.status_code == 200, resp.content
    else:
        refused(resp, "deposit_out_of_range", "A17")
        assert_still_draft(rnd)


@pytest.mark.parametrize("deposit", [START * 4 // 100, START * 21 // 100])
def test_a17_checked_when_the_draft_is_created(judge_client, lot, deposit):
    resp = judge_client.post(f"/api/v1/lots/{lot.pk}/rounds/", round_payload(deposit=deposit), format="json")
    refused(resp, "deposit_out_of_range", "A17")
    assert not lot.rounds.exists()


# A20 bidding period ----------------------------------------------------------------------------------


def test_a20_bidding_shorter_than_24_hours_is_refused(judge_client, lot):
    rnd = raw_round(lot, period=timedelta(hours=23, minutes=59))
    refused(publish(judge_client, rnd), "bidding_period_too_short", "A20")
    assert_still_draft(rnd)


def test_a20_checked_when_the_draft_is_created(judge_client, lot):
    resp = judge_client.post(f"/api/v1/lots/{lot.pk}/rounds/", round_payload(hours=23), format="json")
    refused(resp, "bidding_period_too_short", "A20")
    assert not lot.rounds.exists()
    resp = judge_client.post(f"/api/v1/lots/{lot.pk}/rounds/", round_payload(hours=24), format="json")
    assert resp.status_code == 201, resp.content


def test_every_violation_is_reported_at_once(judge_client, enforcement_case):
    lot = make_lot(enforcement_case, occupancy="")
    rnd = raw_round(lot, notice=timedelta(days=3), period=timedelta(hours=2), deposit=START // 2, notified=None)
    resp = publish(judge_client, rnd)
    assert resp.status_code == 400
    details = resp.json()["error"]["details"]
    assert {(d["article"], d["code"]) for d in details} >= {
        ("A12", "notice_too_short"), ("A20", "bidding_period_too_short"), ("A17", "deposit_out_of_range"),
        ("A13", "missing_occupancy"), ("A14", "missing_photos"), ("A16", "parties_not_notified"),
    }
    assert_still_draft(rnd)


def test_a26_reauction_must_open_within_30_days_of_the_failure(judge_client, lot):
    first = failed_first_round(lot)  # failed one day ago
    start = first.starting_price * 80 // 100
    late = raw_round(lot, number=2, previous=first, starting_price=start, deposit=start // 10, notice=timedelta(days=29, hours=1))
    refused(publish(judge_client, late), "reauction_too_late", "A26")
    assert_still_draft(late)


def test_set_reference_price_records_the_valuation(lot, judge):
    from lots import services
    from lots.models import Lot

    fixed, valid = clock.now(), clock.now() + timedelta(days=365)
    services.set_reference_price(judge, lot=lot, amount=5_000_000_00, source="网络询价（3家平台结果平均值）", fixed_at=fixed, valid_until=valid)
    stored = Lot.objects.get(pk=lot.pk)
    assert (stored.reference_price, stored.reference_price_source, stored.reference_price_valid_until) == (5_000_000_00, "网络询价（3家平台结果平均值）", valid)
    assert AuditRecord.objects.filter(action="lot.reference_price_set", object_id=str(lot.pk)).exists()
    from auction_site.errors import DomainError

    for bad in (0, -1, 1.5, "100"):
        with pytest.raises(DomainError):
            services.set_reference_price(None, lot=lot, amount=bad, source="x", fixed_at=fixed, valid_until=valid)
    assert Lot.objects.get(pk=lot.pk).reference_price == 5_000_000_00


def test_b27_reference_price_usable_by_round_number():
    from lots import rules

    valid = clock.now() + timedelta(days=100)
    assert rules.check_reference_price_usable(valid, valid, 1) is None
    assert rules.check_reference_price_usable(valid, valid + timedelta(seconds=1), 1).code == "reference_price_expired"
    assert rules.check_reference_price_usable(valid, valid + timedelta(days=180), 2) is None  # within 6 months of expiry
    assert rules.check_reference_price_usable(valid, valid + timedelta(days=184), 2) is not None
