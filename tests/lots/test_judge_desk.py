"""The judge's desk: the deadlines (one test per article), the generated 竞买公告/竞买须知, draft edits, media
delete/reorder/cover, and the /court/ pages through Django's test client (errors once, in one language)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from auction_site import clock
from auction_site.errors import DomainError, in_language
from lots import deadlines, services, texts
from lots import media as storage
from lots.models import Media, NoticeTemplate, Round
from tests.lots.conftest import JPEG, add_photo

pytestmark = pytest.mark.django_db
T = datetime(2026, 3, 1, 2, 0, tzinfo=ZoneInfo("UTC"))
SH = ZoneInfo("Asia/Shanghai")


# ------------------------------------------------------------------------------------- rules, per article


def test_b1_reference_price_within_30_days_of_the_seizure():
    assert deadlines.price_due_by(T) == T + timedelta(days=30)
    assert deadlines.price_due_by(None) is None


def test_b30_sale_started_within_10_days_of_the_price():
    assert deadlines.sale_due_by(T) == T + timedelta(days=10)


def test_a16_publication_3_days_after_the_parties_notice_and_a12_the_earliest_start():
    assert deadlines.publishable_from(T) == T + timedelta(days=3)
    # not yet notified: notice now, publish 3 days later, then 30 days (real estate) / 15 (movables) / 15 (re-auction of real estate)
    assert deadlines.earliest_start("real_estate", 1, T) == T + timedelta(days=33)
    assert deadlines.earliest_start("movable", 1, T) == T + timedelta(days=18)
    assert deadlines.earliest_start("real_estate", 2, T) == T + timedelta(days=18)
    # notified 5 days ago: publishable at once
    assert deadlines.earliest_start("movable", 1, T, T - timedelta(days=5)) == T + timedelta(days=15)
    starts = T + timedelta(days=40)
    assert deadlines.latest_publication_at("real_estate", 1, starts) == T + timedelta(days=10)
    assert deadlines.latest_notice_at("real_estate", 1, starts) == T + timedelta(days=7)


def test_a23_releases_within_24_hours_of_the_close():
    assert deadlines.release_due_by(T) == T + timedelta(hours=24)


def test_a25_balance_by_the_days_of_the_announcement():
    assert deadlines.balance_due_by(T) == T + timedelta(days=10)
    assert deadlines.balance_due_by(T, 15) == T + timedelta(days=15)


def test_a28_resume_within_5_days_of_the_end_of_the_cause():
    assert deadlines.resume_due_by(T) == T + timedelta(days=5)


def test_the_desk_puts_the_newest_risk_first():
    rows = [deadlines.Deadline("B1", "fix_price", T - timedelta(days=5), T), deadlines.Deadline("A25", "balance", T - timedelta(hours=1), T),
            deadlines.Deadline("A16", "publish", T + timedelta(days=9), T), deadlines.Deadline("A28", "resume", T + timedelta(days=2), T)]
    assert [r.article for r in deadlines.order_for_desk(rows)] == ["A25", "B1", "A28", "A16"]
    assert rows[1].overdue and not rows[3].overdue and rows[3].days_left == 2


def test_bilingual_messages_are_cut_to_the_page_language():
    message = "[A10] 一拍起拍价不得低于参考价的70%（至少 5 分）/ round-1 starting price too low；[A13] 须公示评估/询价报告 / the report"
    assert in_language(message, "en") == "[A10] round-1 starting price too low; [A13] the report"
    assert in_language(message, "zh-hans") == "[A10] 一拍起拍价不得低于参考价的70%（至少 5 分）；[A13] 须公示评估/询价报告"


# ---------------------------------------------------------------------------------------------- services


def test_texts_are_generated_from_the_lot_and_round_and_the_court_edits_its_template(draft_round, judge):
    lot = draft_round.lot
    lot.priority_holders.create(name="王五", id_number="11010519491231002X", rank=1, basis="承租人")
    generated = texts.generate(draft_round)
    announcement, notice = generated["announcement"], generated["bidding_notice"]
    for fact in [lot.title, lot.case.case_number, "3,309,250.00", "500,000.00", "按照法律规定各自承担", "王五（第1顺位，承租人）", "案款专户"]:
        assert fact in announcement, fact
    assert "5,000.00" in notice and "10日内付清余款" in notice

    texts.save_template(judge, category="real_estate", kind="announcement", text="{{ court }}公告：{{ title }}，起拍价¥{{ starting_price }}")
    assert texts.generate(draft_round)["announcement"] == f"{lot.case.court.name}公告：{lot.title}，起拍价¥3,309,250.00"
    with pytest.raises(DomainError) as bad:
        texts.save_template(judge, category="real_estate", kind="announcement", text="{% load static %}{{ x }}")
    assert bad.value.field == "text"
    # a placeholder reaches only the fixed context: no object, no setting
    texts.save_template(judge, category="real_estate", kind="announcement", text="[{{ settings.SECRET_KEY }}{{ lot.case }}]")
    assert texts.generate(draft_round)["announcement"] == "[]"
    texts.save_template(judge, category="real_estate", kind="announcement", text="")  # back to the default
    assert not NoticeTemplate.objects.exists() and lot.title in texts.generate(draft_round)["announcement"]


def test_a_draft_is_edited_with_the_rules_checked_again(draft_round, judge):
    rnd = services.update_draft_round(judge, round_id=draft_round.pk, bidding_notice="须知", increment=10_000_00)
    assert rnd.increment == 10_000_00 and rnd.bidding_notice == "须知"
    with pytest.raises(DomainError) as refused:
        services.update_draft_round(judge, round_id=draft_round.pk, deposit=1_00)  # A17
    assert refused.value.violations[0].field == "deposit"
    notified = services.notify_parties(judge, round_id=draft_round.pk)
    clock.advance(3 * 86400)
    services.publish_round(judge, round_id=notified.pk)
    with pytest.raises(DomainError):
        services.update_draft_round(judge, round_id=draft_round.pk, increment=6_000_00)


def test_media_is_reordered_and_set_as_cover(lot, judge):
    first = lot.media.get()
    second, third = add_photo(lot), add_photo(lot)
    Media.objects.filter(pk=second.pk).update(position=1)
    Media.objects.filter(pk=third.pk).update(position=2)
    services.set_cover(judge, media_id=third.pk)
    assert list(lot.media.order_by("position").values_list("pk", flat=True)) == [third.pk, first.pk, second.pk]
    services.move_media(judge, media_id=second.pk, step=-1)
    assert list(lot.media.order_by("position").values_list("pk", flat=True)) == [third.pk, second.pk, first.pk]
    with pytest.raises(DomainError):
        services.set_cover(judge, media_id=add_photo(lot, status="pending").pk)


@pytest.mark.skipif(not settings.MEDIA_USES_S3, reason="scripts/test.sh starts the S3-protocol server (moto)")
def test_deleting_a_media_file_removes_its_object_from_storage(judge_client, judge, lot, django_capture_on_commit_callbacks):
    from tests.lots.test_media import JPEG_SIZE, ask, s3_upload

    resp = ask(judge_client, lot)
    media_id, upload = resp.json()["media"]["id"], resp.json()["upload"]
    assert s3_upload(upload, JPEG, "image/jpeg").status_code in (200, 201, 204)
    item = services.complete_media_upload(judge, media_id=media_id)
    assert item.status == "ready" and storage.inspect(item).size == JPEG_SIZE
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_media(judge, media_id=media_id)
    assert not Media.objects.filter(pk=media_id).exists() and storage.inspect(item) is None
    assert list(lot.media.order_by("position").values_list("position", flat=True)) == [0]


def test_media_of_a_published_lot_stays(announced_round, judge):
    with pytest.raises(DomainError) as refused:
        services.delete_media(judge, media_id=announced_round.lot.media.get().pk)
    assert refused.value.code == "lot_published"


# ------------------------------------------------------------------------------------------------- pages


def _form_times(starts: datetime) -> dict:
    fmt = "%Y-%m-%dT%H:%M"
    return {"starts_at": starts.astimezone(SH).strftime(fmt), "ends_at": (starts + timedelta(days=1)).astimezone(SH).strftime(fmt)}


def test_a_refusal_shows_once_in_one_language_next_to_its_field(client, judge, lot):
    client.force_login(judge)
    payload = {"starting_price": "3309250", "deposit": "10", "increment": "5000", **_form_times(clock.now() + timedelta(days=40))}
    body = client.post(f"/court/lots/{lot.pk}/rounds/new/", payload).content.decode()
    assert body.count("保证金应为起拍价的5%至20%") == 1 and "deposit must be" not in body
    field = body[body.index('name="deposit"'):]
    assert field[:field.index("</div>") + 300].count("保证金应为起拍价的5%至20%") == 1  # under the deposit field
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    body = client.post(f"/court/lots/{lot.pk}/rounds/new/", payload).content.decode()
    assert body.count("deposit must be 5%–20% of the starting price") == 1 and "保证金应为起拍价的5%至20%" not in body


def test_round_form_suggests_the_earliest_start_then_preview_and_edit(client, judge, lot):
    client.force_login(judge)
    page = client.get(f"/court/lots/{lot.pk}/").content.decode()
    earliest = deadlines.earliest_start(lot.category, 1, clock.now()).astimezone(SH).strftime("%Y-%m-%d %H:%M")
    assert f"最早可开始：{earliest}" in page
    starts = clock.now() + timedelta(days=40)
    r = client.post(f"/court/lots/{lot.pk}/rounds/new/", {"starting_price": "3309250", "deposit": "500000", "increment": "5000",
                                                          **_form_times(starts)})
    rnd = lot.rounds.get()
    assert r.status_code == 302 and r["Location"] == f"/court/rounds/{rnd.pk}/preview/"
    assert lot.title in rnd.announcement and "竞买须知" in rnd.bidding_notice  # generated from the court's template
    preview = client.get(r["Location"]).content.decode()
    assert 'id="preview-announcement"' in preview and "3,309,250.00" in preview and "A16" in preview
    r = client.post(f"/court/rounds/{rnd.pk}/edit/", {"starting_price": "3400000", "deposit": "500000", "increment": "8000",
                                                      "announcement": "改过的公告", "bidding_notice": "", **_form_times(starts)})
    assert r.status_code == 302
    rnd.refresh_from_db()
    assert rnd.starting_price == 3_400_000_00 and rnd.announcement == "改过的公告" and "8,000.00" in rnd.bidding_notice
    # a text still as generated follows the new particulars; the judge's own text stays
    form = {"starting_price": "3400000", "deposit": "500000", "increment": "9000", "announcement": "改过的公告",
            "bidding_notice": rnd.bidding_notice, **_form_times(starts)}
    assert client.post(f"/court/rounds/{rnd.pk}/edit/", form).status_code == 302
    rnd.refresh_from_db()
    assert "9,000.00" in rnd.bidding_notice and rnd.announcement == "改过的公告"


def test_the_desk_shows_an_overdue_a25_balance_after_the_clock_passes_it(client, judge, lot, advance_clock):
    now = clock.now()
    sold = Round.objects.create(lot=lot, number=1, status=Round.Status.SOLD, starting_price=100_00, deposit=10_00, increment=1_00,
                                starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=1), scheduled_ends_at=now - timedelta(days=1),
                                closed_at=now - timedelta(days=1), sold_price=200_00, created_at=now,
                                balance_due_at=deadlines.balance_due_by(now - timedelta(days=1)))
    client.force_login(judge)

    def a25_row() -> str:
        page = client.get("/court/").content.decode()
        start = page.index('data-article="A25"')
        return page[start:page.index("</tr>", start)]

    assert "已逾期" not in a25_row() and f"/court/rounds/{sold.pk}/settlement/" in a25_row()
    advance_clock(days=10)
    assert "已逾期" in a25_row() and "¥200" in a25_row()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Overdue" in a25_row() and "Buyer's balance of ¥200" in a25_row() and "已逾期" not in a25_row()


def test_the_court_edits_its_template_on_its_page_and_a_broken_one_is_refused_next_to_the_field(client, judge):
    client.force_login(judge)
    page = client.get("/court/templates/?category=movable")
    assert page.status_code == 200 and "{{ starting_price }}" in page.content.decode()
    r = client.post("/court/templates/", {"category": "movable", "kind": "announcement", "announcement-text": "{% if %}"})
    assert r.status_code == 400 and r.content.decode().count("模板有误") == 1
    r = client.post("/court/templates/", {"category": "movable", "kind": "announcement", "announcement-text": "{{ title }}的公告"})
    assert r.status_code == 302
    assert NoticeTemplate.objects.get(court=judge.court, category="movable", kind="announcement").text == "{{ title }}的公告"
