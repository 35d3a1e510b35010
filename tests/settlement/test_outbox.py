"""Report-back to the enforcement case system: signed webhook through an outbox, retried with backoff."""

import json
import time
from datetime import timedelta

import pytest
from django.conf import settings as dj_settings

from auction_site import clock
from settlement import clockwork, services, signing
from settlement.models import OutboxMessage
from tests.settlement.receiver import Receiver

pytestmark = pytest.mark.django_db
PRICE = 331_925_000


@pytest.fixture
def settled_round(paid_round, judge):
    case = paid_round.lot.case
    case.amount_owed = PRICE
    case.save()
    services.settle_round(judge, round_id=paid_round.pk, raw_payouts=[
        {"kind": "cost", "payee": "执行费", "amount": 925_000},
        {"kind": "creditor", "payee": "苏州银行股份有限公司", "amount": PRICE - 925_000}])
    return paid_round


def test_outcome_is_retried_with_backoff_until_acknowledged_and_signature_verifies(settled_round, settings):
    with Receiver(statuses=[503, 500]) as rx:
        settings.CASE_SYSTEM_WEBHOOK_URL = rx.url
        msg = OutboxMessage.objects.get()
        first = clockwork.tick(clock.now())
        assert first["outbox_failed"] == 1
        msg.refresh_from_db()
        assert msg.attempts == 1 and msg.delivered_at is None and msg.last_status == 503
        wait1 = msg.next_attempt_at - clock.now()
        assert timedelta(seconds=50) < wait1 <= timedelta(minutes=1)
        # Not due yet: nothing is sent.
        clockwork.tick(clock.now())
        assert len(rx.requests) == 1
        clock.advance(61)
        clockwork.tick(clock.now())
        msg.refresh_from_db()
        assert msg.attempts == 2 and msg.last_status == 500
        wait2 = msg.next_attempt_at - clock.now()
        assert timedelta(seconds=110) < wait2 <= timedelta(minutes=2)  # exponential: twice the first wait
        clock.advance(121)
        done = clockwork.tick(clock.now())
        assert done["outbox_delivered"] == 1
        msg.refresh_from_db()
        assert msg.delivered_at is not None and msg.attempts == 3
        clock.advance(3600)
        clockwork.tick(clock.now())
        assert len(rx.requests) == 3  # delivered messages are never sent again
    for req in rx.requests:
        header = req["headers"]["X-Signature"]
        now = int(time.time())  # the receiver checks against its own wall clock
        assert signing.verify(header, req["body"], dj_settings.CASE_SYSTEM_WEBHOOK_SECRET, now)
        assert not signing.verify(header, req["body"] + b" ", dj_settings.CASE_SYSTEM_WEBHOOK_SECRET, now)
        assert not signing.verify(header, req["body"], "wrong-secret", now)
        assert not signing.verify(header, req["body"], dj_settings.CASE_SYSTEM_WEBHOOK_SECRET, now + 3600)  # replayed later
    payload = json.loads(rx.requests[-1]["body"])
    assert payload["case_number"] == "(2024)苏05执123号"
    assert payload["status"] == "settled"
    rnd = payload["rounds"][0]
    assert rnd["sold_price"] == PRICE and rnd["settled_at"]
    assert {(p["payee"], p["amount"]) for p in rnd["payouts"]} == {("执行费", 925_000), ("苏州银行股份有限公司", PRICE - 925_000)}
    assert rx.requests[0]["body"] == rx.requests[-1]["body"]  # every retry sends the same body


def test_unreachable_case_system_is_retried(settled_round, settings):
    settings.CASE_SYSTEM_WEBHOOK_URL = "http://127.0.0.1:9/nothing-listens-here"
    clockwork.tick(clock.now())
    msg = OutboxMessage.objects.get()
    assert msg.attempts == 1 and msg.delivered_at is None and msg.last_error


def test_backoff_grows_exponentially_and_is_capped():
    assert [services.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert services.backoff(30) == timedelta(hours=6)


def test_outcome_pull_api_for_judge_and_signed_case_system(settled_round, judge, other_judge, as_user, api_client):
    case = settled_round.lot.case
    path = f"/api/v1/cases/{case.pk}/outcome/"
    resp = as_user(judge).get(path)
    assert resp.status_code == 200
    assert resp.json()["status"] == "settled"
    assert resp.json()["paid_to_creditors"] == PRICE - 925_000
    assert as_user(other_judge).get(path).status_code == 403
    assert api_client.get(path).status_code == 401  # anonymous: log in (or sign the pull)
    ts = int(time.time())
    good = signing.header_value(dj_settings.CASE_SYSTEM_WEBHOOK_SECRET, ts, signing.pull_message(path))
    assert api_client.get(path, HTTP_X_SIGNATURE=good).status_code == 200
    forged = signing.header_value("not-the-secret", ts, signing.pull_message(path))
    resp = api_client.get(path, HTTP_X_SIGNATURE=forged)
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "bad_signature"
    stale = signing.header_value(dj_settings.CASE_SYSTEM_WEBHOOK_SECRET, ts - 3600, signing.pull_message(path))
    assert api_client.get(path, HTTP_X_SIGNATURE=stale).status_code == 403
    other_path = f"/api/v1/cases/{case.pk + 1}/outcome/"
    assert api_client.get(other_path, HTTP_X_SIGNATURE=good).status_code == 403  # signature bound to the path
