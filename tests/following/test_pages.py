"""Pages with Django's test client: the inbox (unread count in the header, mark read), notification preferences,
the watch list, reminders and "my auctions"; the numbers on the catalogue card and the lot page."""

from datetime import timedelta

import pytest
from django.db import transaction

from auction_site import clock
from following import counters
from following.models import LotViews, Reminder, Watch
from notifications import services as notices
from notifications.models import Delivery, Notification
from tests.bidding.conftest import START, hold, make_lot, make_round
from tests.conftest import arrange_status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SMS_BACKEND = "notifications.backends.LocmemSmsBackend"


@pytest.fixture
def lot(enforcement_case):
    return make_lot(enforcement_case, title="苏州市吴中区某花园住宅")


@pytest.fixture
def announced(lot):
    return make_round(lot, status="announced", starts_in=timedelta(days=2))


def test_inbox_shows_the_unread_count_in_the_header_and_marks_read(client, bidder_factory):
    user = bidder_factory()
    with transaction.atomic():  # another app's call (e.g. a party of the case), any kind with its own words
        notices.notify(user, "message", key="case:7:hearing", subject="听证通知", body="定于下周一听证", url="/party/")
        notices.notify(user, "message", key="case:7:hearing", subject="听证通知", body="定于下周一听证")  # told once
        notices.notify(user, "deposit_released", key="deposit_released:9", data={"lot": "某住宅", "amount": 50_000_00})
    client.force_login(user)
    page = client.get("/me/notifications/").content.decode()
    assert 'data-unread="2"' in page and "听证通知" in page and "定于下周一听证" in page
    assert "保证金已退还：某住宅" in page and "¥50,000.00" in page
    first = Notification.objects.get(key="case:7:hearing")
    client.post("/me/notifications/read/", {"id": first.pk})
    assert 'data-unread="1"' in client.get("/").content.decode()
    client.post("/me/notifications/read/")
    assert 'data-unread="0"' in client.get("/me/notifications/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Deposit returned: 某住宅" in client.get("/me/notifications/").content.decode()  # shown in the reader's language


def test_preferences_choose_kinds_and_channels(client, bidder_factory):
    user = bidder_factory(email="p@example.cn")
    client.force_login(user)
    page = client.get("/me/notifications/settings/").content.decode()
    assert 'name="outbid:sms" value="1" checked' in page and 'name="opened:email" value="1" aria' in page
    client.post("/me/notifications/settings/", {"outbid:inbox": "1", "won:email": "1"})  # outbid: inbox only; won: e-mail only; the rest off
    with transaction.atomic():
        assert notices.notify(user, "opened", key="k1", data={"lot": "x"}) is None  # chose to hear nothing of it
        outbid = notices.notify(user, "outbid", key="k2", data={"lot": "x", "amount": START})
        won = notices.notify(user, "won", key="k3", data={"lot": "x", "amount": START})
    assert outbid.in_inbox and not outbid.deliveries.exists()
    assert not won.in_inbox and list(won.deliveries.values_list("channel", flat=True)) == [Delivery.Channel.EMAIL]
    assert 'data-unread="1"' in client.get("/me/notifications/").content.decode()


def test_watch_list_and_reminder_from_the_lot_page(client, bidder_factory, lot, announced):
    user = bidder_factory()
    client.force_login(user)
    page = client.get(f"/lots/{lot.pk}/").content.decode()
    assert "设置提醒" in page and "关注" in page
    assert client.post(f"/rounds/{announced.pk}/remind/", {"next": f"/lots/{lot.pk}/"}).status_code == 302
    assert client.post(f"/lots/{lot.pk}/watch/").status_code == 302
    assert Reminder.objects.filter(user=user, round=announced).exists() and Watch.objects.filter(user=user, lot=lot).exists()
    page = client.get(f"/lots/{lot.pk}/").content.decode()
    assert "取消提醒" in page and "已关注" in page
    assert lot.title in client.get("/me/watching/").content.decode()
    assert client.post("/lots/999999/watch/").status_code == 404
    client.post(f"/lots/{lot.pk}/watch/", {"action": "remove", "next": "/me/watching/"})
    assert lot.title not in client.get("/me/watching/").content.decode()
    reminders = client.get("/me/auctions/?tab=reminders").content.decode()
    assert lot.title in reminders and 'aria-current="page">提醒 (1)' in reminders


def test_a_reminder_is_refused_once_bidding_opened(client, bidder_factory, lot):
    rnd = make_round(lot)  # open
    client.force_login(bidder_factory())
    client.post(f"/rounds/{rnd.pk}/remind/", {"next": f"/lots/{lot.pk}/"})
    assert not Reminder.objects.exists()
    assert "竞价已开始或已结束" in client.get(f"/lots/{lot.pk}/").content.decode()


def test_my_auctions_lists_joined_won_and_deposits_as_cards(client, bidder_factory, lot, enforcement_case):
    user = bidder_factory()
    sold = make_round(lot)
    reg = hold(sold, user, "A0007")
    arrange_status(sold, "sold", leader_id=reg.pk, sold_price=START, balance_due_at=clock.now() + timedelta(days=10))
    other = make_round(make_lot(enforcement_case, title="昆山市某厂房"))
    hold(other, user, "A0001")
    client.force_login(user)
    joined = client.get("/me/auctions/").content.decode()
    assert "苏州市吴中区某花园住宅" in joined and "昆山市某厂房" in joined and "A0007" in joined and 'class="card my-card"' in joined
    won = client.get("/me/auctions/?tab=won").content.decode()
    assert "苏州市吴中区某花园住宅" in won and "昆山市某厂房" not in won and "尾款期限" in won
    assert client.get("/me/auctions/?tab=nonsense").status_code == 200
    client.logout()
    assert client.get("/me/auctions/").status_code == 302  # to the login page


def test_counts_on_the_catalogue_card_and_the_lot_page(client, bidder_factory, lot, announced):
    paid, pending, reminded = bidder_factory(), bidder_factory(), bidder_factory()
    client_ = counters._redis()
    if client_ is not None:  # views left in Redis by earlier runs (their lots' ids come again in a fresh test database)
        client_.delete(counters._key("views"), counters._key("views:flushing"))
    announced.__class__.objects.filter(pk=announced.pk).update(listed=True)  # the lot's catalogue entry
    hold(announced, paid, "A0001")
    from escrow.models import Registration

    Registration.objects.create(round=announced, bidder=pending, status="pending", created_at=clock.now())  # not paid: not counted
    Reminder.objects.create(user=reminded, round=announced, created_at=clock.now())
    Reminder.objects.create(user=paid, round=announced, created_at=clock.now())
    for _ in range(3):
        assert client.get(f"/lots/{lot.pk}/").status_code == 200
    client.get("/lots/999999/")  # a 404 is no view
    counters.flush_views()
    assert LotViews.objects.get(lot=lot).count == 3
    counters.flush_views()  # nothing left to add
    assert LotViews.objects.get(lot=lot).count == 3
    page = client.get(f"/lots/{lot.pk}/").content.decode()
    assert '<strong class="n-registered">1</strong>' in page and '<strong class="n-reminders">2</strong>' in page
    assert '<strong class="n-views">3</strong>' in page
    card = client.get("/").content.decode()
    assert "1 人报名" in card and "2 人设置提醒" in card and "3 次围观" in card
