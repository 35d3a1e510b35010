"""The outbox of valuation (services/outbox.py): each message sent once, retried with backoff, with its idempotency key."""

from datetime import timedelta

import pytest

from auction_site import clock
from tests.concurrency import run_at_once
from tests.valuation.providers import HTTPPlatform, MailServer
from valuation import clockwork, services
from valuation.models import Inquiry, Organisation, OutboxMessage
from valuation.services import outbox


def tick():
    return clockwork.tick(clock.now())


def _platform(url):
    return Organisation.objects.create(code="HX", kind="inquiry_platform", name="外部询价服务", provider="http", endpoint=url, secret="s")


@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_a_message_once(lot, judge, advance_clock, settings):
    settings.VALUATION_HTTP_TIMEOUT = 10
    with HTTPPlatform(lambda n: (503, 0.0) if n == 1 else (202, 2.0)) as platform:
        _platform(platform.url)
        services.start_valuation(judge, lot=lot, method="network")  # its POST on commit is refused
        advance_clock(minutes=1, seconds=1)
        reports = run_at_once(lambda: services.drain_outbox(clock.now()))
    assert sorted(r["dispatched"] for r in reports) == [0, 1]
    assert len(platform.received) == 2  # the refused one, and the retry: once, though two senders tried at once
    keys = {headers["Idempotency-Key"] for headers, _ in platform.received}
    assert keys == {f"valuation-inquiry-{Inquiry.objects.get().pk}"}


def test_a_message_whose_sender_died_is_sent_again_with_the_same_key(lot, start, advance_clock):
    with HTTPPlatform() as platform:
        _platform(platform.url)
        start(lot, "network")  # in this test's transaction: nothing is sent on commit
        message = OutboxMessage.objects.get()
        # A sender claimed it and died before it could record anything.
        OutboxMessage.objects.filter(pk=message.pk).update(lease_until=clock.now() + outbox.LEASE, attempts=1)
        assert tick()["dispatched"] == 0 and not platform.received  # its lease still runs
        advance_clock(seconds=outbox.LEASE.total_seconds() + 1)
        assert tick()["dispatched"] == 1
        assert tick()["dispatched"] == 0
    (headers, body), = platform.received
    assert headers["Idempotency-Key"] == message.key and body.decode() == message.body
    message.refresh_from_db()
    assert message.sent_at and message.attempts == 2 and message.inquiry.dispatched_at


def test_attempts_back_off_and_stop_after_the_last(lot, start, advance_clock):
    from tests.conftest import free_port

    _platform(f"http://127.0.0.1:{free_port()}/nobody-listens")
    start(lot, "network")
    message = OutboxMessage.objects.get()
    waits = []
    for _ in range(outbox.MAX_ATTEMPTS[OutboxMessage.Channel.HTTP]):
        assert tick()["dispatched"] == 0
        message.refresh_from_db()
        waits.append(message.due_at - clock.now())
        assert tick()["dispatched"] == 0 and OutboxMessage.objects.get().attempts == message.attempts  # not before its time
        advance_clock(seconds=int(waits[-1].total_seconds()) + 1)
    assert message.attempts == 10 and message.given_up_at is not None and message.sent_at is None
    assert [round(w.total_seconds() / 60) for w in waits[:7]] == [1, 2, 4, 8, 16, 32, 60]
    tick()
    message.refresh_from_db()
    assert message.attempts == 10  # given up: never again


def test_an_inquiry_no_longer_pending_is_not_sent(lot, start, advance_clock, institutions):
    with HTTPPlatform(lambda n: (503, 0.0)) as platform:
        _platform(platform.url)
        start(lot, "network")
        assert tick()["dispatched"] == 0 and len(platform.received) == 1
        advance_clock(days=3, seconds=1)  # B11: nobody answered -> the inquiry is missed, an appraisal starts
        report = tick()
    assert report["failed"] == 1 and Inquiry.objects.get(organisation__code="HX").status == "missed"
    message = OutboxMessage.objects.get(channel="http")
    assert message.given_up_at is not None and len(platform.received) == 1


def test_an_e_mail_is_not_sent_after_b21s_three_days(lot, parties, start, settings, advance_clock):
    with MailServer(lambda n: (b"451 4.3.0 try again later", 0.0)) as mail:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", mail.port
        start(lot, "negotiated", deadline=(clock.now() + timedelta(days=7)).isoformat())
        assert tick()["mailed"] == 0 and mail.count == 2
        advance_clock(days=3, seconds=1)
        assert tick()["mailed"] == 0
    assert mail.count == 2 and not mail.accepted  # not tried again once the three days had passed
    assert all(m.given_up_at for m in OutboxMessage.objects.filter(channel="email"))
