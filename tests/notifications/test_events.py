"""Every notification event: told once, only for committed changes, to those who follow the round, and sent by the clock."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction

from auction_site import clock
from bidding import services as bidding
from bidding.clockwork import close_round
from following import clockwork as following_clock
from following import services as following
from lots import services as lots
from lots.clockwork import tick as lots_tick
from notifications.models import Delivery, Notification
from tests.bidding.conftest import INCREMENT, START, hold, make_lot, make_round
from tests.notifications.conftest import send_outbox, told

pytestmark = pytest.mark.django_db


@pytest.fixture
def lot(enforcement_case):
    return make_lot(enforcement_case)


@pytest.fixture
def people(bidder_factory):
    """a registered bidder, a bidder who only set a reminder, one who only watches the lot, and a stranger."""
    return [bidder_factory(email=f"b{i}@example.cn") for i in range(4)]


def test_opening_tells_bidders_reminders_and_watchers_once_and_the_clock_mails_them(lot, people):
    registered, reminded, watcher, stranger = people
    rnd = make_round(lot, status="announced", starts_in=timedelta(hours=2))
    hold(rnd, registered, "A0001")
    following.set_reminder(reminded, round_id=rnd.pk)
    following.watch(watcher, lot_id=lot.pk)
    assert told("opened") == []
    clock.advance(int(timedelta(hours=2, seconds=1).total_seconds()))
    lots_tick(clock.now())
    lots_tick(clock.now())
    assert told("opened") == sorted(u.pk for u in (registered, reminded, watcher))
    assert mail.outbox == []  # nothing leaves before the clock sends the outbox; "opened" is inbox-only by default
    n = Notification.objects.get(user=registered, kind="opened")
    assert "已开始竞价" in n.subject and lot.title in n.subject and n.url == f"/lots/{lot.pk}/"


def test_reminder_is_told_half_an_hour_before_opening_once_by_sms_and_mail(lot, people, sms_outbox):
    user = people[0]
    rnd = make_round(lot, status="announced", starts_in=timedelta(hours=2))
    following.set_reminder(user, round_id=rnd.pk)
    assert following_clock.reminders(clock.now()) == 0
    clock.advance(int(timedelta(minutes=95).total_seconds()))
    assert following_clock.reminders(clock.now()) == 1
    assert following_clock.reminders(clock.now()) == 0
    send_outbox()
    send_outbox()
    assert [m.to for m in mail.outbox] == [[user.email]] and "即将开拍" in mail.outbox[0].subject
    assert [m["to"] for m in sms_outbox] == [user.phone]


def test_outbid_is_told_once_and_a_rolled_back_bid_tells_nobody(lot, bidder_factory, no_throttle, sms_outbox):
    rnd = make_round(lot)
    a, b = bidder_factory(), bidder_factory()
    hold(rnd, a, "A0001")
    hold(rnd, b, "A0002")
    assert bidding.place_bid(a, round_id=rnd.pk, amount=START).accepted
    with pytest.raises(RuntimeError), transaction.atomic():
        assert bidding.place_bid(b, round_id=rnd.pk, amount=START + INCREMENT).accepted
        raise RuntimeError("the caller's transaction fails after the bid")
    following_clock.outbid(clock.now())
    assert told("outbid") == []
    assert bidding.place_bid(b, round_id=rnd.pk, amount=START + INCREMENT).accepted
    assert following_clock.outbid(clock.now()) == 1
    assert following_clock.outbid(clock.now()) == 0
    assert told("outbid") == [a.pk]
    send_outbox()
    assert [m["to"] for m in sms_outbox] == [a.phone] and "已被超越" in sms_outbox[0]["text"]
    assert bidding.place_bid(a, round_id=rnd.pk, amount=START + 2 * INCREMENT).accepted  # a leads again, b is passed
    assert following_clock.outbid(clock.now()) == 1
    assert told("outbid") == sorted([a.pk, b.pk])


def test_five_minutes_left_is_told_once(lot, people):
    rnd = make_round(lot, lasts=timedelta(hours=1, minutes=10))
    hold(rnd, people[0], "A0001")
    assert following_clock.ending(clock.now()) == 0
    clock.advance(int(timedelta(minutes=6).total_seconds()))
    assert following_clock.ending(clock.now()) == 1
    clock.advance(60)
    assert following_clock.ending(clock.now()) == 0
    assert told("ending") == [people[0].pk]


def test_the_winner_hears_won_and_the_other_bidders_not_won(lot, bidder_factory, no_throttle):
    rnd = make_round(lot)
    a, b = bidder_factory(email="a@example.cn"), bidder_factory(email="b@example.cn")
    hold(rnd, a, "A0001")
    hold(rnd, b, "A0002")
    watcher = bidder_factory()
    following.watch(watcher, lot_id=lot.pk)
    bidding.place_bid(a, round_id=rnd.pk, amount=START)
    bidding.place_bid(b, round_id=rnd.pk, amount=START + INCREMENT)
    clock.advance(int(timedelta(hours=24).total_seconds()))
    assert close_round(rnd.pk, clock.now()) == "sold"
    assert told("won") == [b.pk] and told("lost") == [a.pk]
    send_outbox()
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.cn", "b@example.cn"]


def test_balance_due_in_3_days_then_in_1_day(lot, bidder_factory):
    rnd = make_round(lot)
    winner = bidder_factory()
    reg = hold(rnd, winner, "A0001")
    from tests.conftest import arrange_status

    arrange_status(rnd, "sold", leader_id=reg.pk, sold_price=START, balance_due_at=clock.now() + timedelta(days=10))
    assert following_clock.balance_due(clock.now()) == 0
    clock.advance(int(timedelta(days=7, hours=1).total_seconds()))
    assert following_clock.balance_due(clock.now()) == 1
    assert following_clock.balance_due(clock.now()) == 0
    clock.advance(int(timedelta(days=2, hours=1).total_seconds()))
    assert following_clock.balance_due(clock.now()) == 1
    keys = sorted(Notification.objects.filter(kind="balance_due").values_list("key", flat=True))
    assert keys == [f"round:{rnd.pk}:balance_due:1d", f"round:{rnd.pk}:balance_due:3d"]


def test_suspended_resumed_withdrawn_and_a_rolled_back_withdrawal_tells_nobody(lot, judge, people):
    rnd = make_round(lot, status="announced", starts_in=timedelta(days=3))
    following.watch(people[0], lot_id=lot.pk)
    lots.suspend_round(judge, round_id=rnd.pk, reason="案外人异议")
    lots.resume_round(judge, round_id=rnd.pk)
    with pytest.raises(RuntimeError), transaction.atomic():
        lots.withdraw_round(judge, round_id=rnd.pk, reason="申请执行人撤回申请")
        raise RuntimeError("rolled back")
    assert told("withdrawn") == []
    lots.withdraw_round(judge, round_id=rnd.pk, reason="申请执行人撤回申请")
    assert told("suspended") == told("resumed") == told("withdrawn") == [people[0].pk]
    assert "案外人异议" in Notification.objects.get(kind="suspended").body


def test_deposit_released_is_told_once(lot, bidder_factory, as_user):
    from escrow import clockwork as escrow_clock
    from tests.escrow.conftest import register_and_pay

    rnd = make_round(lot, status="announced", starts_in=timedelta(days=1))
    user = bidder_factory(email="d@example.cn")
    register_and_pay(as_user(user), rnd.pk)
    from tests.conftest import arrange_status

    arrange_status(rnd, "withdrawn")
    escrow_clock.tick(clock.now())
    escrow_clock.tick(clock.now())
    assert told("deposit_released") == [user.pk]
    send_outbox()
    assert [m.to for m in mail.outbox] == [["d@example.cn"]] and "保证金已退还" in mail.outbox[0].subject


def test_a_failing_backend_is_retried_with_backoff_and_sent_once(lot, people, settings, sms_outbox):
    from notifications.backends import LocmemSmsBackend
    from notifications.services import notify

    class Down(LocmemSmsBackend):
        def send(self, to, text, *, key):
            raise ConnectionError("SMS gateway unreachable")

    user = people[0]
    with transaction.atomic():
        notify(user, "won", key="round:1:won", data={"lot": "某住宅", "amount": START})
    settings.SMS_BACKEND = f"{__name__}.Down"
    globals()["Down"] = Down
    assert send_outbox() == {"sent": 1, "failed": 1}  # the e-mail went, the text message did not
    sms = Delivery.objects.get(channel="sms")
    assert sms.attempts == 1 and sms.sent_at is None and "unreachable" in sms.last_error
    assert timedelta(seconds=50) < sms.due_at - clock.now() <= timedelta(minutes=1)  # the first backoff
    assert send_outbox() == {}  # not due again before the backoff
    settings.SMS_BACKEND = "notifications.backends.LocmemSmsBackend"
    clock.advance(61)
    assert send_outbox() == {"sent": 1}
    assert send_outbox() == {}
    assert len(sms_outbox) == 1 and len(mail.outbox) == 1
    assert Delivery.objects.get(channel="sms").attempts == 2
