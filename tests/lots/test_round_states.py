"""Suspend, resume, withdraw (A28) and the clock opening announced rounds at starts_at."""

from datetime import timedelta

import pytest

from auction_site import clock
from auction_site.models import AuditRecord
from lots import clockwork
from lots.models import Round
from tests.concurrency import run_at_once

pytestmark = pytest.mark.django_db


def act(client, rnd, action, **body):
    return client.post(f"/api/v1/rounds/{rnd.pk}/{action}/", body, format="json")


def test_withdraw_needs_a_reason(judge_client, announced_round):
    for body in ({}, {"reason": "   "}):
        resp = act(judge_client, announced_round, "withdraw", **body)
        assert resp.status_code == 400 and resp.json()["error"]["code"] == "reason_required"
        assert "A28" in resp.json()["error"]["message"]
    announced_round.refresh_from_db()
    assert announced_round.status == "announced" and announced_round.seq == 1
    resp = act(judge_client, announced_round, "withdraw", reason="被执行人已履行完毕")
    assert resp.status_code == 200, resp.content
    announced_round.refresh_from_db()
    assert announced_round.status == "withdrawn" and announced_round.status_reason == "被执行人已履行完毕"
    assert announced_round.seq == 2 and announced_round.withdrawn_at is not None
    assert AuditRecord.objects.filter(action="round.withdrawn", object_id=str(announced_round.pk)).exists()
    # Withdrawn is final.
    assert act(judge_client, announced_round, "resume").status_code == 409


def test_suspend_and_resume_announced(judge_client, announced_round):
    assert act(judge_client, announced_round, "suspend").status_code == 400  # reason required (A28)
    resp = act(judge_client, announced_round, "suspend", reason="案外人提出异议")
    assert resp.status_code == 200 and resp.json()["status"] == "suspended"
    assert act(judge_client, announced_round, "suspend", reason="again").status_code == 409
    resp = act(judge_client, announced_round, "resume", reason="异议已审查驳回")
    assert resp.status_code == 200
    announced_round.refresh_from_db()
    assert announced_round.status == "announced" and announced_round.seq == 3
    actions = list(AuditRecord.objects.filter(object_type="lots.round", object_id=str(announced_round.pk)).values_list("action", flat=True))
    assert actions[-3:] == ["round.announced", "round.suspended", "round.announced"]


def test_resuming_an_open_round_gives_back_the_paused_time(judge_client, announced_round, advance_clock):
    advance_clock(days=31, hours=1)
    clockwork.tick(clock.now())
    announced_round.refresh_from_db()
    assert announced_round.status == "open"
    ends = announced_round.ends_at
    act(judge_client, announced_round, "suspend", reason="系统故障")
    advance_clock(hours=3)
    act(judge_client, announced_round, "resume", reason="故障排除")
    announced_round.refresh_from_db()
    assert announced_round.status == "open"
    assert timedelta(hours=2, minutes=59) < announced_round.ends_at - ends < timedelta(hours=3, minutes=1)


def test_only_the_courts_judge_changes_a_round(api_client, as_user, bidder, other_judge, announced_round):
    for client, status in [(api_client, 401), (as_user(bidder), 403), (as_user(other_judge), 403)]:
        for action in ("suspend", "withdraw", "resume", "publish"):
            assert act(client, announced_round, action, reason="理由").status_code == status
    announced_round.refresh_from_db()
    assert announced_round.status == "announced" and announced_round.seq == 1


def test_publish_twice_is_a_conflict(judge_client, announced_round):
    resp = act(judge_client, announced_round, "publish")
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "not_draft"


def test_status_events_are_published_after_commit(judge, judge_client, draft_round, monkeypatch, django_capture_on_commit_callbacks):
    from tests.lots.conftest import notify_parties_and_wait

    notify_parties_and_wait(judge, draft_round)
    sent = []
    monkeypatch.setattr("bidding.events.publish_status", lambda *a, **k: sent.append(a))
    with django_capture_on_commit_callbacks(execute=True):
        act(judge_client, draft_round, "publish")
    assert sent == [(draft_round.pk, "announced", 1, Round.objects.get(pk=draft_round.pk).ends_at)]


# clockwork -------------------------------------------------------------------------------------------


def test_clock_opens_an_announced_round_at_starts_at(announced_round, advance_clock):
    assert clockwork.tick(clock.now()) == {}
    advance_clock(days=30)
    clockwork.tick(clock.now())
    announced_round.refresh_from_db()
    assert announced_round.status == "announced"  # starts 31 days after publication
    advance_clock(days=1, minutes=1)
    assert clockwork.tick(clock.now()) == {"opened": [announced_round.pk]}
    announced_round.refresh_from_db()
    assert announced_round.status == "open" and announced_round.seq == 2
    assert AuditRecord.objects.filter(action="round.open", object_id=str(announced_round.pk)).count() == 1
    # Idempotent: a second tick changes nothing.
    assert clockwork.tick(clock.now()) == {}
    announced_round.refresh_from_db()
    assert announced_round.seq == 2


def test_clock_does_not_open_a_suspended_or_draft_round(judge_client, announced_round, draft_round_factory, advance_clock):
    act(judge_client, announced_round, "suspend", reason="暂缓执行")
    draft = draft_round_factory()
    advance_clock(days=40)
    assert clockwork.tick(clock.now()) == {}
    announced_round.refresh_from_db()
    draft.refresh_from_db()
    assert announced_round.status == "suspended" and draft.status == "draft"


@pytest.fixture
def draft_round_factory(enforcement_case, judge):
    from django.utils.dateparse import parse_datetime

    from lots import services
    from tests.lots.conftest import add_photo, make_lot, round_payload

    def make():
        lot = make_lot(enforcement_case, title="另一处房产")
        add_photo(lot)
        p = round_payload()
        return services.create_round(judge, lot=lot, starting_price=p["starting_price"], deposit=p["deposit"], increment=p["increment"], starts_at=parse_datetime(p["starts_at"]), ends_at=parse_datetime(p["ends_at"]), announcement="公告")

    return make


@pytest.mark.django_db(transaction=True)
def test_two_clocks_at_once_open_a_round_once(enforcement_case, judge, advance_clock):

    from django.utils.dateparse import parse_datetime

    from lots import services
    from tests.lots.conftest import PARTY_NOTICE_DAYS, add_photo, make_lot, notify_parties_and_wait, round_payload

    lot = make_lot(enforcement_case)
    add_photo(lot)
    p = round_payload(days_ahead=31 + PARTY_NOTICE_DAYS)
    rnd = services.create_round(judge, lot=lot, starting_price=p["starting_price"], deposit=p["deposit"], increment=p["increment"], starts_at=parse_datetime(p["starts_at"]), ends_at=parse_datetime(p["ends_at"]), announcement="公告")
    notify_parties_and_wait(judge, rnd)
    services.publish_round(judge, round_id=rnd.pk)
    advance_clock(days=32)
    now = clock.now()
    results = run_at_once(lambda: clockwork.tick(now))
    assert sorted(len(r.get("opened", [])) for r in results) == [0, 1]
    rnd.refresh_from_db()
    assert rnd.status == "open" and rnd.seq == 2
    assert AuditRecord.objects.filter(action="round.open", object_id=str(rnd.pk)).count() == 1


def test_withdrawal_releases_held_deposits_at_once(judge_client, as_user, bidder_factory, announced_round, django_capture_on_commit_callbacks):
    """A28: on withdrawal deposits are released at once, without waiting for the escrow clock."""
    from escrow.models import Registration
    from tests.escrow.conftest import flush_provider, register_and_pay

    flush_provider()
    for _ in range(2):
        register_and_pay(as_user(bidder_factory()), announced_round.pk)
    assert set(Registration.objects.filter(round=announced_round).values_list("status", flat=True)) == {"held"}
    with django_capture_on_commit_callbacks(execute=True):
        resp = act(judge_client, announced_round, "withdraw", reason="申请执行人撤回执行申请")
    assert resp.status_code == 200
    assert set(Registration.objects.filter(round=announced_round).values_list("status", flat=True)) == {"released"}


def test_judge_changes_a_draft_round_within_the_rules(judge_client, as_user, other_judge, draft_round):
    from tests.lots.conftest import START

    url = f"/api/v1/rounds/{draft_round.pk}/"
    resp = judge_client.patch(url, {"deposit": START // 10, "announcement": "更正后的公告"}, format="json")
    assert resp.status_code == 200, resp.content
    draft_round.refresh_from_db()
    assert draft_round.deposit == START // 10 and draft_round.announcement == "更正后的公告"
    refused = judge_client.patch(url, {"deposit": START // 2}, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["details"][0]["article"] == "A17"
    assert judge_client.patch(url, {"deposit": 1.5}, format="json").status_code == 400
    assert as_user(other_judge).patch(url, {"deposit": START // 10 + 1}, format="json").status_code == 403
    draft_round.refresh_from_db()
    assert draft_round.deposit == START // 10


def test_published_round_cannot_be_patched(judge_client, announced_round):
    resp = judge_client.patch(f"/api/v1/rounds/{announced_round.pk}/", {"announcement": "x"}, format="json")
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "not_draft"
