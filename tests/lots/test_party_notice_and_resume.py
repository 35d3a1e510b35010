"""A16 (parties notified ≥ 3 days before the announcement) and A28 (resume within 5 days once the cause ends)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from auction_site import clock
from auction_site.models import AuditRecord
from lots import rules, services
from lots.models import Round

pytestmark = pytest.mark.django_db

THREE_DAYS = int(timedelta(days=3).total_seconds())


def act(client, rnd, action, **body):
    return client.post(f"/api/v1/rounds/{rnd.pk}/{action}/", body, format="json")


def assert_still_draft(rnd):
    rnd.refresh_from_db()
    assert rnd.status == "draft" and rnd.published_at is None


def audit_of(rnd, action):
    return list(AuditRecord.objects.filter(object_type="lots.round", object_id=str(rnd.pk), action=action).order_by("id"))


# A16: the rule -----------------------------------------------------------------------------------------


def test_a16_rule_itself():
    now = clock.now()
    assert rules.check_parties_notified(None, now).code == "parties_not_notified"
    assert rules.check_parties_notified(now - timedelta(days=3) + timedelta(seconds=1), now).code == "party_notice_too_short"
    assert rules.check_parties_notified(now - timedelta(days=3), now) is None
    assert rules.check_parties_notified(now - timedelta(days=10), now) is None
    assert rules.publishable_from(now) == now + timedelta(days=3)


# A16: publication ---------------------------------------------------------------------------------------


def test_publish_without_notifying_the_parties_is_refused(judge_client, draft_round):
    resp = act(judge_client, draft_round, "publish")
    assert resp.status_code == 400, resp.content
    error = resp.json()["error"]
    assert error["code"] == "parties_not_notified"
    assert {(d["article"], d["code"]) for d in error["details"]} == {("A16", "parties_not_notified")}
    assert "[A16]" in error["message"]
    assert_still_draft(draft_round)


def test_publish_less_than_3_days_after_the_notice_is_refused(judge_client, draft_round):
    resp = act(judge_client, draft_round, "notify-parties")
    assert resp.status_code == 200, resp.content
    assert act(judge_client, draft_round, "publish").json()["error"]["code"] == "party_notice_too_short"
    clock.advance(THREE_DAYS - 60)  # one minute short of 3 days
    resp = act(judge_client, draft_round, "publish")
    assert resp.status_code == 400
    assert [(d["article"], d["code"]) for d in resp.json()["error"]["details"]] == [("A16", "party_notice_too_short")]
    assert_still_draft(draft_round)


def test_publish_exactly_3_days_after_the_notice_is_allowed(judge_client, draft_round, monkeypatch):
    resp = act(judge_client, draft_round, "notify-parties")
    notified = Round.objects.get(pk=draft_round.pk).parties_notified_at
    assert notified is not None
    body = resp.json()
    assert body["parties_notified_at"] is not None and body["publishable_from"] is not None
    # The clock stands exactly on the 3rd day after the notice (the database clock offset moves in whole seconds,
    # real time keeps running: pin the moment the service reads).
    monkeypatch.setattr("lots.services.clock.now", lambda: notified + timedelta(days=3))
    resp = act(judge_client, draft_round, "publish")
    assert resp.status_code == 200, resp.content
    draft_round.refresh_from_db()
    assert draft_round.status == "announced" and draft_round.published_at == notified + timedelta(days=3)


def test_the_publication_check_lists_a16_until_the_3_days_have_passed(draft_round, judge):
    now = clock.now()
    assert [v.code for v in services.publication_violations(draft_round, now)] == ["parties_not_notified"]
    services.notify_parties(judge, round_id=draft_round.pk)
    draft_round.refresh_from_db()
    assert [v.article for v in services.publication_violations(draft_round, draft_round.parties_notified_at)] == ["A16"]
    assert services.publication_violations(draft_round, draft_round.parties_notified_at + timedelta(days=3)) == []


# A16: the judge's notice ---------------------------------------------------------------------------------


def test_notify_parties_is_audited_and_idempotent(judge_client, draft_round):
    first = act(judge_client, draft_round, "notify-parties")
    assert first.status_code == 200
    clock.advance(3600)
    again = act(judge_client, draft_round, "notify-parties")
    assert again.status_code == 200
    # The first notice stands: a repeat neither restarts the 3 days nor writes a second record.
    assert again.json()["parties_notified_at"] == first.json()["parties_notified_at"]
    records = audit_of(draft_round, "round.parties_notified")
    assert len(records) == 1
    assert records[0].data["parties_notified_at"] and records[0].data["publishable_from"]


def test_notify_parties_only_for_drafts(judge_client, announced_round):
    resp = act(judge_client, announced_round, "notify-parties")
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "not_draft"


def test_notify_parties_unknown_round_is_404(judge_client):
    resp = judge_client.post("/api/v1/rounds/999999/notify-parties/", {}, format="json")
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found"


def test_prepared_reauction_drafts_wait_for_the_judges_notice():
    from lots import followups

    # The clock prepares round 2 with room for the 3 days of A16 before its notice period; the notice itself is the judge's.
    assert followups.PARTY_NOTICE == rules.PARTY_NOTICE_BEFORE_ANNOUNCEMENT


# A28: resume within 5 days once the cause ends ------------------------------------------------------------


@pytest.fixture
def suspended_round(judge_client, announced_round):
    assert act(judge_client, announced_round, "suspend", reason="案外人提出执行异议").status_code == 200
    announced_round.refresh_from_db()
    return announced_round


def test_a28_rule_itself():
    ended = clock.now()
    assert rules.resume_deadline(ended) == ended + timedelta(days=5)
    assert not rules.resume_is_late(ended, ended + timedelta(days=5))
    assert rules.resume_is_late(ended, ended + timedelta(days=5, seconds=1))
    assert not rules.resume_is_late(None, ended + timedelta(days=50))


def test_cause_ended_sets_a_5_day_deadline(judge_client, suspended_round):
    resp = act(judge_client, suspended_round, "cause-ended")
    assert resp.status_code == 200, resp.content
    suspended_round.refresh_from_db()
    ended = suspended_round.suspension_cause_ended_at
    assert ended is not None and suspended_round.resume_due_at == ended + timedelta(days=5)
    assert resp.json()["resume_due_at"] is not None and resp.json()["suspension_cause_ended_at"] is not None
    [record] = audit_of(suspended_round, "round.suspension_cause_ended")
    assert record.data["cause_ended_at"] and record.data["resume_due_at"]
    # A repeat changes nothing: the deadline cannot be pushed back.
    clock.advance(86400)
    assert act(judge_client, suspended_round, "cause-ended").status_code == 200
    suspended_round.refresh_from_db()
    assert suspended_round.suspension_cause_ended_at == ended
    assert len(audit_of(suspended_round, "round.suspension_cause_ended")) == 1


def test_cause_ended_only_for_suspended_rounds(judge_client, announced_round):
    resp = act(judge_client, announced_round, "cause-ended")
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "not_suspended"


@pytest.mark.parametrize("action,round_fixture,field,audited", [
    ("notify-parties", "draft_round", "parties_notified_at", "round.parties_notified"),
    ("cause-ended", "suspended_round", "suspension_cause_ended_at", "round.suspension_cause_ended"),
])
def test_recording_is_refused_to_others(request, api_client, as_user, bidder, other_judge, action, round_fixture, field, audited):
    rnd = request.getfixturevalue(round_fixture)
    assert act(api_client, rnd, action).status_code == 401
    assert act(as_user(bidder), rnd, action).status_code == 403
    resp = act(as_user(other_judge), rnd, action)
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "other_court"
    assert set(resp.json()["error"]) >= {"code", "message"}
    rnd.refresh_from_db()
    assert getattr(rnd, field) is None
    assert not audit_of(rnd, audited)


def test_resume_within_5_days_is_audited_as_on_time(judge_client, suspended_round):
    act(judge_client, suspended_round, "cause-ended")
    clock.advance(int(timedelta(days=4, hours=23).total_seconds()))
    assert act(judge_client, suspended_round, "resume", reason="异议已驳回").status_code == 200
    record = audit_of(suspended_round, "round.announced")[-1]
    assert record.data["late"] is False and record.data["resume_due_at"] and record.data["late_seconds"] == 0
    suspended_round.refresh_from_db()
    assert suspended_round.status == "announced" and suspended_round.suspension_cause_ended_at is None


def test_late_resume_is_allowed_and_audited_as_late(judge_client, suspended_round):
    act(judge_client, suspended_round, "cause-ended")
    clock.advance(int(timedelta(days=6).total_seconds()))
    resp = act(judge_client, suspended_round, "resume", reason="异议已驳回")
    assert resp.status_code == 200, resp.content  # the law's duty is the court's: a late resume is not refused
    suspended_round.refresh_from_db()
    assert suspended_round.status == "announced"
    record = audit_of(suspended_round, "round.announced")[-1]
    assert record.data["late"] is True
    assert timedelta(days=1) - timedelta(minutes=1) <= timedelta(seconds=record.data["late_seconds"]) <= timedelta(days=1, minutes=1)


def test_resume_without_a_recorded_end_of_the_cause_is_not_late(judge_client, suspended_round):
    clock.advance(int(timedelta(days=20).total_seconds()))
    assert act(judge_client, suspended_round, "resume").status_code == 200
    record = audit_of(suspended_round, "round.announced")[-1]
    assert record.data["late"] is False and record.data["cause_ended_at"] is None


def test_a_new_suspension_forgets_the_previous_cause(judge_client, suspended_round):
    act(judge_client, suspended_round, "cause-ended")
    act(judge_client, suspended_round, "resume")
    act(judge_client, suspended_round, "suspend", reason="再次异议")
    suspended_round.refresh_from_db()
    assert suspended_round.status == "suspended" and suspended_round.suspension_cause_ended_at is None
    assert suspended_round.resume_due_at is None


# The workbench -------------------------------------------------------------------------------------------


@pytest.fixture
def judge_page(client, judge):
    client.force_login(judge)
    return client


def page_of(client, rnd) -> str:
    resp = client.get(f"/court/lots/{rnd.lot_id}/")
    assert resp.status_code == 200
    return resp.content.decode()


def test_workbench_notifies_the_parties_and_shows_when_publishing_is_allowed(judge_page, draft_round):
    page = page_of(judge_page, draft_round)
    assert "尚未通知当事人" in page and f"/court/rounds/{draft_round.pk}/notify-parties/" in page and "记录已通知当事人" in page
    assert "A16" in page  # the publication check lists the missing notice
    resp = judge_page.post(f"/court/rounds/{draft_round.pk}/notify-parties/", follow=True)
    assert resp.status_code == 200
    draft_round.refresh_from_db()
    assert draft_round.parties_notified_at is not None
    page = resp.content.decode()
    at = timezone.localtime(draft_round.parties_notified_at).strftime("%Y-%m-%d %H:%M")
    allowed = timezone.localtime(draft_round.parties_notified_at + timedelta(days=3)).strftime("%Y-%m-%d %H:%M")
    assert f"已于 {at} 通知当事人，{allowed} 起可发布公告" in page
    assert f"/court/rounds/{draft_round.pk}/notify-parties/" not in page
    # Publishing from the page before the 3 days are over shows the article.
    resp = judge_page.post(f"/court/rounds/{draft_round.pk}/publish/", follow=True)
    assert "A16" in resp.content.decode()
    assert_still_draft(draft_round)
    clock.advance(THREE_DAYS)
    judge_page.post(f"/court/rounds/{draft_round.pk}/publish/")
    draft_round.refresh_from_db()
    assert draft_round.status == "announced"


def test_workbench_shows_the_resume_deadline_and_flags_it_when_overdue(judge_page, suspended_round):
    page = page_of(judge_page, suspended_round)
    assert "中止事由消除后，应在5日内恢复拍卖" in page and f"/court/rounds/{suspended_round.pk}/cause-ended/" in page
    resp = judge_page.post(f"/court/rounds/{suspended_round.pk}/cause-ended/", follow=True)
    assert resp.status_code == 200
    suspended_round.refresh_from_db()
    due = timezone.localtime(suspended_round.resume_due_at).strftime("%Y-%m-%d %H:%M")
    page = resp.content.decode()
    assert f"应于 {due} 前恢复拍卖" in page
    assert 'class="overdue"' not in page and "已超过恢复期限" not in page
    assert f"/court/rounds/{suspended_round.pk}/cause-ended/" not in page
    clock.advance(int(timedelta(days=5, minutes=1).total_seconds()))
    page = page_of(judge_page, suspended_round)
    assert '<strong class="overdue">已超过恢复期限（第二十八条）</strong>' in page


def test_workbench_actions_refused_to_another_courts_judge(client, other_judge, draft_round, judge_client):
    client.force_login(other_judge)
    assert client.post(f"/court/rounds/{draft_round.pk}/notify-parties/").status_code == 403
    act(judge_client, draft_round, "notify-parties")
    clock.advance(THREE_DAYS)
    act(judge_client, draft_round, "publish")
    act(judge_client, draft_round, "suspend", reason="暂缓")
    assert client.post(f"/court/rounds/{draft_round.pk}/cause-ended/").status_code == 403
    draft_round.refresh_from_db()
    assert draft_round.suspension_cause_ended_at is None


def test_court_home_lists_the_rounds_to_resume_and_flags_the_overdue_ones(judge_page, judge_client, other_judge, suspended_round):
    from django.test import Client

    def to_resume(client) -> str | None:
        resp = client.get("/court/")
        assert resp.status_code == 200
        page = resp.content.decode()
        if 'id="to-resume"' not in page:
            return None
        start = page.index('id="to-resume"')
        return page[start:page.index("</section>", start)]

    assert to_resume(judge_page) is None  # suspended, but its cause has not ended
    judge_page.post(f"/court/rounds/{suspended_round.pk}/cause-ended/")
    suspended_round.refresh_from_db()
    due = timezone.localtime(suspended_round.resume_due_at).strftime("%Y-%m-%d %H:%M")
    section = to_resume(judge_page)
    assert f"/court/lots/{suspended_round.lot_id}/" in section and due in section and "已超过恢复期限" not in section
    clock.advance(int(timedelta(days=5, minutes=1).total_seconds()))
    assert '<strong class="overdue">已超过恢复期限（第二十八条）</strong>' in to_resume(judge_page)
    other = Client()
    other.force_login(other_judge)
    assert to_resume(other) is None  # another court's workbench does not list it
    assert act(judge_client, suspended_round, "resume").status_code == 200
    assert to_resume(judge_page) is None  # resumed: nothing left to do
