"""One language at a time: the pages added lately (bank transfer, registration with its notice and undertaking, the
live page and its next steps, the lottery replay, the statistics, the round verifier and the anchors) in English show
no Chinese outside data (names, addresses, case numbers, the court's legal texts marked lang="zh-hans"), and in Chinese
show their Chinese headings. Pages fetched through Django's test client with the language cookie the toggle sets."""

import json
import re
from datetime import timedelta

import pytest
from django.conf import settings

from auction_site import clock
from tests.bidding.conftest import hold, make_lot, make_round
from tests.valuation.conftest import _org, _valuer

CJK = re.compile(r"[\u3400-\u9fff]+")
CAPITALS = re.compile(r"[零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整]{2,}")  # 大写 on the bank form: what the bank asks for


@pytest.fixture(autouse=True)
def _bucket(db):
    from lots.media import ensure_bucket

    ensure_bucket()  # before the round closes: its sale documents go to the object store


@pytest.fixture
def pages(closed_round, enforcement_case, bidder_factory, judge, client):
    """The URLs of every page, each with the user who sees it and its Chinese heading."""
    from lots.models import Lot
    from valuation import clockwork
    from valuation.models import LotteryDraw

    rnd, regs = closed_round
    from escrow.models import Registration

    winner = Registration.objects.get(pk=rnd.leader_id).bidder
    # A round whose deposit is over the card limit: the bank path (transfer details, the sandbox bank's button).
    big = make_round(make_lot(enforcement_case, title="苏州市吴中区某厂房"), deposit=2_357_502_00, starting_price=11_787_511_00,
                     increment=58_000_00, lasts=timedelta(days=5))  # still open after the lottery's 3 days
    payer = bidder_factory()
    client.force_login(payer)
    r = client.post(f"/escrow/rounds/{big.pk}/register/", {"accept_notice": "on", "signed_name": payer.real_name})
    assert r.status_code == 302, r.content
    transfer = r["Location"]
    bidding = bidder_factory()
    hold(big, bidding, "B7777")
    reader = bidder_factory()
    # The appraisal lottery (B16), drawn by the clock once the reveal time is over.
    for n in range(1, 5):
        _valuer(f"valuer_en{n}", _org(f"E{n:02d}", "appraisal_institution", f"评估机构{n}"))
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(judge)
    lot = make_lot(enforcement_case, title="苏州市相城区某商铺")
    v = api.post(f"/api/v1/lots/{lot.pk}/valuations/", {"method": "appraisal"}, format="json")
    assert v.status_code == 201, v.content
    clock.advance(int(timedelta(days=3).total_seconds()))
    clockwork.tick(clock.now())
    assert LotteryDraw.objects.filter(valuation_id=v.json()["id"], drawn_at__isnull=False).exists()
    client.logout()
    data = {enforcement_case.court.name, enforcement_case.case_number, *enforcement_case.applicants, *enforcement_case.respondents,
            *Lot.objects.values_list("title", flat=True)}
    from accounts.models import User
    from escrow.bank.models import CaseBankAccount
    from valuation.models import Organisation

    data |= set(User.objects.values_list("real_name", flat=True)) | set(Organisation.objects.values_list("name", flat=True))
    for acct in CaseBankAccount.objects.all():
        data |= {acct.account_name, acct.bank_name}
    return {
        "data": data, "register": f"/escrow/rounds/{big.pk}/register/", "reader": reader,
        "pages": [
            (None, f"/rounds/{rnd.pk}/verify/", "验证竞价记录"),
            (None, f"/rounds/{rnd.pk}/result/", "竞价记录签名"),
            (None, "/transparency/", "审计锚定记录"),
            (None, "/statistics/", "司法拍卖公开数据"),
            (None, f"/valuations/{v.json()['id']}/lottery/", "评估机构摇号"),
            (None, f"/rounds/{big.pk}/notice/", "竞买须知"),
            (reader, f"/escrow/rounds/{big.pk}/register/", "签名（输入您的实名）"),
            (payer, transfer, "银行转账"),
            (bidding, f"/rounds/{big.pk}/live/", "确认出价"),
            (winner, f"/rounds/{rnd.pk}/live/", "恭喜，您以最高价竞得本标的物。"),
            (payer, "/me/deposits/", "我的保证金"),
        ],
    }


def visible_text(html: str, data: set[str]) -> str:
    # The figures' JSON (json_script: chart labels the page's script draws) counts as shown.
    charts = " ".join(json.dumps(json.loads(j), ensure_ascii=False)
                      for j in re.findall(r'<script[^>]*type="application/json"[^>]*>(.*?)</script>', html, flags=re.S))
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r'<(div|section|p|span)\b[^>]*\blang="zh-hans"[^>]*>.*?</\1>', " ", html, flags=re.S)  # the legal texts
    shown = " ".join(re.findall(r'(?:title|placeholder|aria-label|alt|data-[a-z-]+)="([^"]*)"', html))
    text = re.sub(r"<[^>]+>", " ", html) + " " + shown + " " + charts
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    text = text.replace("中文", " ")  # the language toggle's own name
    return CAPITALS.sub(" ", text)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_each_page_speaks_one_language(language, pages, client):
    for user, url, chinese_heading in pages["pages"]:
        if user is None:
            client.logout()
        else:
            client.force_login(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language  # what the toggle (/i18n/setlang/) sets; logout clears it
        r = client.get(url)
        assert r.status_code == 200, url
        html = r.content.decode()
        if language == "en":
            assert '<html lang="en">' in html, url
            left = CJK.findall(visible_text(html, pages["data"]))
            assert not left, f"{url} shows Chinese in English: {left[:10]}"
        else:
            assert chinese_heading in html, url


def test_a_refused_registration_is_told_in_english(pages, client):
    client.force_login(pages["reader"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    r = client.post(pages["register"], {"signed_name": pages["reader"].real_name}, follow=True)  # the notice not accepted
    messages = [str(m) for m in r.context["messages"]]
    assert messages and not any(CJK.search(m) for m in messages), messages
