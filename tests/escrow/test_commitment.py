"""Registering for a round (报名): read the 竞买公告 and 竞买须知, accept them, sign the 竞买承诺书 (kept with
time, IP and the text's hash), declare a priority right only when the court listed it, a company through
its legal representative with a business licence; a sell-off holds the full price (A26/A37)."""

import hashlib

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.rules import uscc_check_char
from escrow import rules
from escrow.models import Commitment, Deposit, Registration
from lots.models import PriorityHolder
from tests.settlement.conftest import s3_bucket  # noqa: F401 (autouse: the licence goes to object storage)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _sandbox(settings):
    settings.PAYMENT_PROVIDER = "sandbox"


def url(rnd) -> str:
    return f"/escrow/rounds/{rnd.pk}/register/"


def signed(user, **extra) -> dict:
    return {"accept_notice": "on", "signed_name": user.real_name, **extra}


def test_the_page_shows_the_announcement_the_default_rules_and_the_commitment(client, bidder, announced_round):
    assert announced_round.bidding_notice == ""
    client.force_login(bidder)
    html = client.get(url(announced_round)).content.decode()
    # generated from the lot and the round when the court wrote no 竞买须知
    assert "竞买须知" in html and "3,309,250.00" in html and "500,000.00" in html and "延长至该出价后五分钟" in html
    assert "竞买公告" in html and announced_round.lot.title in html
    assert "竞买承诺书" in html and bidder.real_name in html
    assert 'href="#notice"' in html and f"/rounds/{announced_round.pk}/notice/" in html  # the consent links to the text
    page = client.get(f"/rounds/{announced_round.pk}/notice/")
    assert page.status_code == 200 and "竞买须知" in page.content.decode()


def test_the_court_s_own_rules_replace_the_default(client, bidder, announced_round):
    announced_round.bidding_notice = "本院特别提示：标的物有租约至2030年。"
    announced_round.save(update_fields=["bidding_notice"])
    client.force_login(bidder)
    html = client.get(url(announced_round)).content.decode()
    assert "本院特别提示" in html and "延长至该出价后五分钟" not in html


def test_nothing_is_created_without_accepting_the_rules_or_with_another_name(client, bidder, announced_round):
    client.force_login(bidder)
    r = client.post(url(announced_round), {"signed_name": bidder.real_name}, follow=True)
    assert "请先阅读并同意" in r.content.decode()
    r = client.post(url(announced_round), signed(bidder, signed_name="别人"), follow=True)
    assert "实名签署" in r.content.decode()
    assert not Registration.objects.exists() and not Commitment.objects.exists()


def test_the_signed_commitment_is_kept_with_time_ip_and_hashes(client, bidder, announced_round):
    client.force_login(bidder)
    r = client.post(url(announced_round), signed(bidder), REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="pytest-browser")
    reg = Registration.objects.get(round=announced_round, bidder=bidder)
    assert r.status_code == 302 and r["Location"] == f"/escrow/sandbox/pay/{reg.pk}/"
    c = reg.commitment
    assert c.ip == "203.0.113.7" and c.user_agent == "pytest-browser" and c.signed_name == bidder.real_name
    assert c.text_sha256 == hashlib.sha256(c.text.encode()).hexdigest()
    assert bidder.id_number in c.text and "不享有优先购买权" in c.text and "500,000.00" in c.text
    from escrow.commitments import terms

    assert c.notice_sha256 == terms(announced_round)["sha256"]
    # paying does not change what was signed; a second registration keeps the first commitment
    client.post(f"/escrow/sandbox/pay/{reg.pk}/")
    reg.refresh_from_db()
    assert reg.status == "held" and reg.priority_rank is None
    assert Commitment.objects.filter(registration=reg).count() == 1


def test_a_priority_right_not_on_the_court_s_list_is_refused(client, bidder, announced_round):
    client.force_login(bidder)
    r = client.post(url(announced_round), signed(bidder, priority="on"), follow=True)
    assert "优先购买权人名单" in r.content.decode()
    assert not Registration.objects.exists()


def test_a_listed_priority_holder_who_declares_gets_the_rank(client, bidder, announced_round):
    PriorityHolder.objects.create(lot=announced_round.lot, name=bidder.real_name, id_number=bidder.id_number, rank=1, basis="承租人")
    client.force_login(bidder)
    client.post(url(announced_round), signed(bidder, priority="on"))
    reg = Registration.objects.get(round=announced_round, bidder=bidder)
    assert reg.commitment.priority_holder.rank == 1 and "承租人" in reg.commitment.text
    client.post(f"/escrow/sandbox/pay/{reg.pk}/")
    reg.refresh_from_db()
    assert reg.priority_rank == 1


def test_a_listed_holder_who_does_not_declare_bids_without_the_right(client, bidder, announced_round):
    PriorityHolder.objects.create(lot=announced_round.lot, name=bidder.real_name, id_number=bidder.id_number, rank=1)
    client.force_login(bidder)
    client.post(url(announced_round), signed(bidder))
    reg = Registration.objects.get(round=announced_round, bidder=bidder)
    client.post(f"/escrow/sandbox/pay/{reg.pk}/")
    reg.refresh_from_db()
    assert reg.status == "held" and reg.priority_rank is None


def company_code(body: str = "91320500MA1XXXXX0") -> str:
    return body + uscc_check_char(body)


def test_a_company_registers_through_its_legal_representative_with_its_licence(client, bidder_factory, announced_round):
    code = company_code()
    company = bidder_factory(real_name="苏州某某贸易有限公司", id_kind="uscc", id_number=code)
    client.force_login(company)
    base = {"accept_notice": "on", "signed_name": "李四", "legal_representative": "李四", "legal_representative_id": "110101199003070134"}
    html = client.get(url(announced_round)).content.decode()
    assert "法定代表人" in html and "营业执照" in html and code in html
    # no licence, or a file that is not a PDF/JPG/PNG: refused, nothing created
    r = client.post(url(announced_round), base, follow=True)
    assert "营业执照" in r.content.decode()
    r = client.post(url(announced_round), {**base, "licence": SimpleUploadedFile("l.pdf", b"MZ\x90\x00not a pdf")}, follow=True)
    assert "营业执照" in r.content.decode()
    # signed by someone other than the legal representative
    r = client.post(url(announced_round), {**base, "signed_name": "王五", "licence": SimpleUploadedFile("l.pdf", PDF)}, follow=True)
    assert "法定代表人签署" in r.content.decode()
    assert not Registration.objects.exists()
    client.post(url(announced_round), {**base, "licence": SimpleUploadedFile("licence.pdf", PDF, content_type="application/pdf")})
    c = Registration.objects.get(round=announced_round, bidder=company).commitment
    assert c.company_uscc == code and c.legal_representative == "李四" and c.legal_representative_id == "110101199003070134"
    assert c.licence_sha256 and storages["default"].exists(c.licence_key)
    with storages["default"].open(c.licence_key, "rb") as fh:
        assert fh.read() == PDF
    assert "法定代表人李四" in c.text


def test_a_company_code_failing_its_gb32100_check_character_is_refused(client, bidder_factory, announced_round):
    good = company_code()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    company = bidder_factory(real_name="某公司", id_kind="uscc", id_number=bad)
    client.force_login(company)
    r = client.post(url(announced_round), {"accept_notice": "on", "signed_name": "李四", "legal_representative": "李四",
                                           "legal_representative_id": "110101199003070134", "licence": SimpleUploadedFile("l.pdf", PDF)},
                    follow=True)
    assert "校验位" in r.content.decode()
    assert not Registration.objects.exists()


def test_a_selloff_registration_holds_the_full_price(client, bidder, round_factory):
    selloff = round_factory("open", number=3, kind="selloff", deposit=48_440_000, starting_price=484_400_000)
    client.force_login(bidder)
    html = client.get(url(selloff)).content.decode()
    assert "变卖价" in html and "4,844,000.00" in html and "仅缴纳保证金不能成交" in html and "延长至该出价后五分钟" not in html
    client.post(url(selloff), signed(bidder))
    reg = Registration.objects.get(round=selloff, bidder=bidder)
    assert Deposit.objects.get(registration=reg).amount == 484_400_000
    assert "全部价款¥4,844,000.00" in reg.commitment.text


def test_rules():
    # A26/A37: the amount held is the deposit in an auction, the full price in a sell-off
    assert rules.amount_to_hold("auction", 100, 1000) == 100
    assert rules.amount_to_hold("selloff", 100, 1000) == 1000
    assert rules.holds_full_price("selloff", 1000, 1000) and not rules.holds_full_price("selloff", 100, 1000)
    assert not rules.holds_full_price("selloff", None, 1000) and rules.holds_full_price("auction", 100, 1000)
    assert rules.full_price_violation("selloff", 100, 1000).article == "A37"
    # A19: a declared right must match the court's list
    assert rules.priority_violation(True, False).code == "priority_not_confirmed"
    assert rules.priority_violation(True, True) is None and rules.priority_violation(False, False) is None
    assert rules.licence_content_type(PDF[:16], len(PDF)) == "application/pdf"
    assert rules.licence_content_type(b"\x89PNG\r\n\x1a\n....", 20) == "image/png"
    assert rules.licence_content_type(PDF[:16], rules.LICENCE_MAX_BYTES + 1) is None
    assert rules.licence_content_type(b"GIF89a", 10) is None
    text = rules.commitment_text(name="张三", id_number="X", court="C", case="K", lot="L", round_label="变卖", kind="selloff", amount=12345)
    assert "全部价款¥123.45" in text and rules.text_hash(text) == hashlib.sha256(text.encode()).hexdigest()


def test_api_clients_may_sign_the_commitment_too(bidder, announced_round, as_user):
    api = as_user(bidder)
    r = api.post(f"/api/v1/rounds/{announced_round.pk}/register/", {"accept_notice": False, "signed_name": bidder.real_name}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "notice_not_accepted"
    r = api.post(f"/api/v1/rounds/{announced_round.pk}/register/", {"accept_notice": True, "signed_name": bidder.real_name, "priority": True},
                 format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "priority_not_confirmed"
    assert not Registration.objects.exists()
    r = api.post(f"/api/v1/rounds/{announced_round.pk}/register/", {"accept_notice": True, "signed_name": bidder.real_name}, format="json")
    assert r.status_code == 201
    assert Registration.objects.get(pk=r.json()["registration"]["id"]).commitment.signed_name == bidder.real_name


def test_a_selloff_bought_with_the_full_price_needs_no_balance_and_becomes_paid(client, bidder, round_factory):
    from auction_site import clock
    from bidding.services import place_bid
    from escrow import balances, clockwork

    # a truck's sell-off: ¥141,200, within a card payment's cap (larger sums go by bank transfer)
    selloff = round_factory("open", number=3, kind="selloff", deposit=1_412_000, starting_price=14_120_000)
    client.force_login(bidder)
    client.post(url(selloff), signed(bidder))
    reg = Registration.objects.get(round=selloff, bidder=bidder)
    assert Deposit.objects.get(registration=reg).amount == 14_120_000  # the full price, not the deposit
    client.post(f"/escrow/sandbox/pay/{reg.pk}/")
    reg.refresh_from_db()
    assert reg.status == "held"
    assert place_bid(bidder, round_id=selloff.pk, amount=14_120_000).accepted
    selloff.refresh_from_db()
    assert selloff.status == "sold" and balances.balance_remaining(selloff) == 0
    clockwork.tick(clock.now())
    selloff.refresh_from_db()
    assert selloff.status == "paid"
    html = client.get(f"/lots/{selloff.lot_id}/").content.decode()
    assert "竞得" in html and "全部价款已付清" in html


def test_a_round_without_stored_texts_shows_the_court_s_generated_texts_and_the_commitment_hashes_exactly_them(
        client, bidder, announced_round):
    from lots import texts
    from lots.models import NoticeTemplate

    lot = announced_round.lot
    NoticeTemplate.objects.create(court=lot.case.court, category=lot.category, kind="bidding_notice", updated_at=announced_round.starts_at,
                                  text="本院须知：{{ title }}，保证金¥{{ deposit }}，须本人报名。")
    assert announced_round.announcement == "" and announced_round.bidding_notice == ""
    generated = texts.generate(announced_round)
    assert generated["bidding_notice"] == f"本院须知：{lot.title}，保证金¥500,000.00，须本人报名。"
    client.force_login(bidder)
    html = client.get(url(announced_round)).content.decode()
    assert generated["bidding_notice"] in html and lot.title in html
    client.post(url(announced_round), signed(bidder))
    c = Registration.objects.get(round=announced_round, bidder=bidder).commitment
    assert c.notice_sha256 == rules.text_hash(generated["announcement"] + "\n\n" + generated["bidding_notice"])
    # a round whose texts are stored keeps them (and their hash) whatever the court's template becomes
    announced_round.announcement, announced_round.bidding_notice = "本院公告（已保存）", "本院须知（已保存）"
    announced_round.save(update_fields=["announcement", "bidding_notice"])
    NoticeTemplate.objects.filter(court=lot.case.court).update(text="改过的须知")
    from escrow.commitments import terms

    assert terms(announced_round)["sha256"] == rules.text_hash("本院公告（已保存）\n\n本院须知（已保存）")
