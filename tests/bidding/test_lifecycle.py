"""The round lifecycle driven by the clock: close, 流拍 → round 2 → 变卖 / 以物抵债, and default → re-auction."""

from datetime import timedelta

import pytest

from auction_site import clock
from auction_site.models import AuditRecord
from auction_site.ticks import run_all
from bidding.models import Bid
from bidding.services import place_bid
from escrow.models import Registration
from lots import followups
from lots import rules as lot_rules
from lots.models import Round
from settlement.models import InKindSettlement
from tests.bidding.conftest import INCREMENT, START, hold, make_lot, make_round
from tests.concurrency import run_at_once

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_throttle(no_throttle):
    return None


def run_clock():
    from auction_site import ticks

    return ticks.run_all(clock.now())


def advance_to(moment, plus=timedelta(seconds=1)):
    seconds = int((moment - clock.now()).total_seconds() + plus.total_seconds())
    if seconds > 0:
        clock.advance(seconds)


def publish(rnd, judge=None):
    """The judge notifies the parties (A16: the prepared draft leaves that to the judge), waits the 3 days and
    publishes the prepared draft with the platform's service (every publication rule checked); without a judge
    (lots lacking disclosures) the status is set directly."""
    if judge is not None:
        from lots.services import notify_parties, publish_round

        assert rnd.parties_notified_at is None  # the clock prepares the draft; notifying is the judge's act
        notify_parties(judge, round_id=rnd.pk)
        clock.advance(int(lot_rules.PARTY_NOTICE_BEFORE_ANNOUNCEMENT.total_seconds()))
        return publish_round(judge, round_id=rnd.pk)
    Round.objects.filter(pk=rnd.pk).update(status="announced", published_at=clock.now())
    return Round.objects.get(pk=rnd.pk)


@pytest.fixture
def publishable_lot(lot):
    """A lot with the disclosures and a photo that A13–14 ask for, and a round-1 announcement."""
    from lots.models import Media

    for field in ("judgment_enforced", "title_status", "occupancy", "defects_and_encumbrances"):
        setattr(lot, field, "已载明")
    lot.reference_price_source = "网络询价报告"
    lot.save()
    Media.objects.create(lot=lot, kind="photo", key=f"lots/{lot.pk}/a.jpg", content_type="image/jpeg", status="ready",
                         created_at=clock.now())
    return lot


def test_failed_round_1_prepares_round_2_then_failed_round_2_opens_a_selloff_that_the_first_buyer_wins(publishable_lot, judge, bidder_factory):
    lot = publishable_lot
    r1 = make_round(lot)
    Round.objects.filter(pk=r1.pk).update(announcement="拍卖公告全文")
    r1.refresh_from_db()
    advance_to(r1.ends_at)
    run_clock()
    r1.refresh_from_db()
    assert r1.status == "failed" and r1.closed_at == r1.ends_at  # 流拍
    r2 = Round.objects.get(previous=r1)
    # A26: within 30 days, price cut at most 20%, notice (15 days for real estate) after publication
    assert r2.status == "draft" and r2.number == 2 and r2.kind == "auction"
    assert r2.starting_price == lot_rules.min_reauction_start(r1.starting_price) == r1.starting_price * 80 // 100
    assert lot_rules.check_reauction_price(r2.starting_price, r1.starting_price) is None
    assert lot_rules.check_reauction_timing(r1.closed_at, r2.starts_at) is None
    assert r2.starts_at - clock.now() >= lot_rules.min_notice(lot.category, 2)
    assert lot_rules.check_deposit(r2.deposit, r2.starting_price) is None
    assert r2.ends_at - r2.starts_at >= timedelta(hours=24)
    run_clock()  # idempotent: no second round 2
    assert Round.objects.filter(lot=lot).count() == 2

    publish(r2, judge)
    advance_to(r2.starts_at)
    run_clock()
    r2.refresh_from_db()
    assert r2.status == "open"
    advance_to(r2.ends_at)
    run_clock()
    r2.refresh_from_db()
    assert r2.status == "failed"
    selloff = Round.objects.get(previous=r2)
    assert selloff.kind == "selloff" and selloff.status == "open"
    assert selloff.starting_price == r2.starting_price and selloff.deposit == r2.starting_price  # full price up front
    assert selloff.ends_at - selloff.starts_at == timedelta(days=60)

    a, b = bidder_factory(), bidder_factory()
    hold(selloff, a, "A0301")
    hold(selloff, b, "A0302")
    assert place_bid(a, round_id=selloff.pk, amount=selloff.starting_price).accepted
    selloff.refresh_from_db()
    assert selloff.status == "sold" and selloff.sold_price == r2.starting_price and selloff.leader_code == "A0301"
    assert place_bid(b, round_id=selloff.pk, amount=selloff.starting_price).code == "closed"
    run_clock()
    assert Round.objects.filter(lot=lot).count() == 3


def test_selloff_without_buyer_fails_after_60_days_and_nothing_follows(lot):
    r1 = make_round(lot, status="failed", number=1, starts_in=timedelta(days=-40))
    r2 = make_round(lot, status="failed", number=2, starts_in=timedelta(days=-2), previous=r1,
                    starting_price=START * 80 // 100, deposit=START * 80 // 1000)
    Round.objects.filter(pk__in=[r1.pk, r2.pk]).update(closed_at=clock.now())
    assert followups.auction_failures(lot.pk) == 2
    run_clock()
    selloff = Round.objects.get(previous=r2)
    assert selloff.kind == "selloff" and selloff.starting_price == r2.starting_price
    advance_to(selloff.ends_at)
    run_clock()
    selloff.refresh_from_db()
    assert selloff.status == "failed"
    run_clock()
    assert Round.objects.filter(lot=lot).count() == 3


def test_in_kind_settlement_by_the_judge_withdraws_the_selloff(lot, judge, other_judge, as_user, bidder):
    r1 = make_round(lot)
    advance_to(r1.ends_at)
    run_clock()
    r2 = publish(Round.objects.get(previous=r1))
    advance_to(r2.starts_at)
    run_clock()
    advance_to(Round.objects.get(pk=r2.pk).ends_at)
    run_clock()
    selloff = Round.objects.get(previous=r2)
    assert as_user(bidder).post(f"/api/v1/rounds/{selloff.pk}/in-kind/", {"creditor": "苏州银行股份有限公司"}, format="json").status_code == 403
    assert as_user(other_judge).post(f"/api/v1/rounds/{selloff.pk}/in-kind/", {"creditor": "苏州银行股份有限公司"}, format="json").status_code == 403
    bad = as_user(judge).post(f"/api/v1/rounds/{selloff.pk}/in-kind/", {"creditor": "路人甲"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"
    resp = as_user(judge).post(f"/api/v1/rounds/{selloff.pk}/in-kind/", {"creditor": "苏州银行股份有限公司"}, format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["price"] == Round.objects.get(pk=r2.pk).starting_price
    selloff.refresh_from_db()
    assert selloff.status == "withdrawn"
    assert InKindSettlement.objects.get(lot=lot).creditor == "苏州银行股份有限公司"
    again = as_user(judge).post(f"/api/v1/rounds/{r2.pk}/in-kind/", {"creditor": "苏州银行股份有限公司"}, format="json")
    assert again.status_code == 409
    run_clock()
    assert Round.objects.filter(lot=lot).count() == 3


def test_in_kind_refused_before_a_second_failure(lot, judge, as_user):
    r1 = make_round(lot, status="failed")
    resp = as_user(judge).post(f"/api/v1/rounds/{r1.pk}/in-kind/", {"creditor": "苏州银行股份有限公司"}, format="json")
    assert resp.status_code == 409


def test_sold_then_default_prepares_a_reauction_that_bars_the_defaulter(lot, bidder_factory):
    r1 = make_round(lot)
    winner, other = bidder_factory(), bidder_factory()
    wreg = hold(r1, winner, "A0401")
    hold(r1, other, "A0402")
    assert place_bid(other, round_id=r1.pk, amount=START).accepted
    assert place_bid(winner, round_id=r1.pk, amount=START + INCREMENT).accepted
    advance_to(r1.ends_at)
    run_clock()
    r1.refresh_from_db()
    assert r1.status == "sold" and r1.sold_price == START + INCREMENT and r1.leader_id == wreg.pk
    assert r1.balance_due_at == r1.closed_at + timedelta(days=r1.balance_due_days)
    # the winner does not pay: escrow marks the default and forfeits the deposit (set here directly)
    Round.objects.filter(pk=r1.pk).update(status="defaulted")
    Registration.objects.filter(pk=wreg.pk).update(status="forfeited")
    run_clock()
    r2 = Round.objects.get(previous=r1)
    assert r2.status == "draft" and r2.starting_price == r1.starting_price and r2.kind == "auction"
    publish(r2)
    advance_to(r2.starts_at)
    run_clock()
    hold(r2, winner, "A0501")
    fresh = bidder_factory()
    hold(r2, fresh, "A0502")
    assert place_bid(winner, round_id=r2.pk, amount=r2.starting_price).code == "barred"  # A24
    assert place_bid(fresh, round_id=r2.pk, amount=r2.starting_price).accepted


def test_a_late_clock_does_not_change_the_outcome(lot, bidder_factory):
    r1 = make_round(lot)
    a = bidder_factory()
    hold(r1, a, "A0601")
    assert place_bid(a, round_id=r1.pk, amount=START).accepted
    r1.refresh_from_db()
    clock.advance(int((r1.ends_at - clock.now()).total_seconds()) + 5 * 86400)  # the clock was down for 5 days
    assert place_bid(a, round_id=r1.pk, amount=START + INCREMENT).code == "closed"
    run_clock()
    r1.refresh_from_db()
    assert r1.status == "sold" and r1.sold_price == START and r1.closed_at == r1.ends_at
    assert r1.balance_due_at == r1.ends_at + timedelta(days=10)


@pytest.mark.django_db(transaction=True)
def test_two_clocks_ticking_at_once_close_each_round_once(enforcement_case, bidder_factory):
    rounds = []
    for i in range(6):
        rnd = make_round(make_lot(enforcement_case, title=f"标的{i}"))
        if i % 2:
            u = bidder_factory(id_number="")
            hold(rnd, u, f"A07{i:02d}")
            assert place_bid(u, round_id=rnd.pk, amount=START).accepted
        rounds.append(rnd)
    advance_to(rounds[-1].ends_at)
    now = clock.now()
    run_at_once(lambda: run_all(now), n=3)  # three clock processes: close, then prepare what follows
    run_all(now)
    for i, rnd in enumerate(rounds):
        rnd.refresh_from_db()
        assert rnd.status == ("sold" if i % 2 else "failed")
        assert AuditRecord.objects.filter(object_type="lots.round", object_id=str(rnd.pk), action=f"round.{rnd.status}").count() == 1
        assert Round.objects.filter(previous=rnd).count() == (0 if i % 2 else 1)
    assert Bid.objects.count() == 3
