"""Pages of lots and accounts through the Django test client: catalogue, lot page, judge workbench, registration."""

import re
from datetime import timedelta

import pytest

from accounts.models import Court, User
from accounts.rules import resident_id_check_char
from auction_site import clock
from lots.models import Lot, Round

pytestmark = pytest.mark.django_db

DEMO_PASSWORD = "demo-pass-2024"


@pytest.fixture
def demo(db):
    from lots import demo

    demo.load()
    return demo


def titles(response) -> list[str]:
    return re.findall(r'<h3 class="title">([^<]+)</h3>', response.content.decode())


def lot_by_key(title_part: str) -> Lot:
    return Lot.objects.get(title__contains=title_part)


# ------------------------------------------------------------------------------------------- catalogue


def test_catalogue_lists_published_rounds_and_hides_drafts(client, demo):
    r = client.get("/")
    assert r.status_code == 200
    shown = titles(r)
    assert len(shown) == 12  # first page of 13 lots (the land lot's only round is a draft)
    assert "共 13 件拍品" in r.content.decode()
    page2 = titles(client.get("/?page=2"))
    assert len(page2) == 1
    everything = shown + page2
    assert not any("国有建设用地使用权" in t for t in everything)
    # recommended order: the open rounds come first
    assert {"苏州工业园区星湖街328号星湖花园12幢1单元1502室住宅", "浙A·F6D35 解放J6P重型厢式货车"} <= set(shown[:4])


def test_catalogue_search_matches_title_case_number_and_location(client, demo):
    by_case = titles(client.get("/", {"q": "(2024)苏05执1024号"}))
    assert sorted(by_case) == sorted(["数控加工中心及配套设备一批（共12台套）", "小松PC200-8M0履带式挖掘机一台"])
    by_place = titles(client.get("/", {"q": "长江张家港港区"}))
    assert by_place == ["“恒顺8”号钢质散货船"]
    assert titles(client.get("/", {"q": "奔驰"})) == ["浙A·8K2M6 梅赛德斯-奔驰E300L轿车"]
    assert "没有符合条件的拍品" in client.get("/", {"q": "不存在的标的"}).content.decode()


def test_catalogue_filters_category_status_court_and_price_in_yuan(client, demo):
    vehicles = titles(client.get("/", {"category": "vehicle"}))
    assert sorted(vehicles) == sorted(["浙A·8K2M6 梅赛德斯-奔驰E300L轿车", "浙A·F6D35 解放J6P重型厢式货车"])
    open_now = titles(client.get("/", {"status": "open"}))
    assert len(open_now) == 4  # two apartments, the truck and the ship's sell-off
    hangzhou = titles(client.get("/", {"court": "浙0106"}))
    assert hangzhou and all(Lot.objects.get(title=t).case.court.code == "浙0106" for t in hangzhou)
    # 3,000,000–4,000,000 yuan: the Suzhou apartment (start 3,309,250) and the equity (3,920,000), not 4,445,000
    band = titles(client.get("/", {"min_price": "3000000", "max_price": "4000000"}))
    assert sorted(band) == sorted(["苏州工业园区星湖街328号星湖花园12幢1单元1502室住宅", "王晓东持有的杭州启明星科技有限公司35%股权"])
    exact = titles(client.get("/", {"min_price": "3309250.00", "max_price": "3309250"}))
    assert exact == ["苏州工业园区星湖街328号星湖花园12幢1单元1502室住宅"]
    cheapest_first = titles(client.get("/", {"sort": "price"}))
    assert cheapest_first[0] == "浙A·F6D35 解放J6P重型厢式货车"


def test_catalogue_refuses_bad_filters_with_a_message_and_keeps_working(client, demo):
    r = client.get("/", {"min_price": "abc", "sort": "nonsense", "category": "spaceship"})
    assert r.status_code == 200
    body = r.content.decode()
    assert 'class="errorlist"' in body
    assert len(titles(r)) == 12
    r = client.get("/", {"min_price": "500", "max_price": "100"})
    assert "最高价不能低于最低价" in r.content.decode()
    r = client.get("/", {"min_price": "-5"})
    assert 'class="errorlist"' in r.content.decode()


def test_catalogue_paging_keeps_the_filters(client, demo):
    r = client.get("/", {"court": "苏05"})
    assert len(titles(r)) == 6  # Suzhou: apartment, shop, villa, ship, machinery, excavator
    assert len(titles(client.get("/", {"court": "苏05", "page": "1"}))) == 6
    for past_the_end in ("2", "99", "0", "abc"):  # a page that is not there is a 404, not the last page
        assert client.get("/", {"court": "苏05", "page": past_the_end}).status_code == 404
    body = client.get("/").content.decode()
    assert 'href="?page=2"' in body


# -------------------------------------------------------------------------------------------- lot page


def test_lot_page_shows_prices_and_every_disclosure(client, demo):
    shop = lot_by_key("观前街88号")
    r = client.get(f"/lots/{shop.pk}/")
    assert r.status_code == 200
    body = r.content.decode()
    for text in ("¥11,787,511", "¥2,357,502", "¥58,000", "¥16,839,300",  # start, deposit, increment, reference (DOMAIN.md)
                 "苏(2018)苏州市不动产权第5023456号",  # title status
                 "买卖不破租赁",  # occupancy
                 "屋顶防水层局部渗漏",  # defects
                 "苏州观前餐饮管理有限公司", "承租人优先购买权",  # priority holder, published by name
                 "买受人承担全部税费",  # who pays the transfer taxes
                 "0512-68556123",  # court contact
                 "（2023）苏05民初1188号民事判决书",  # judgment enforced
                 "现公告如下", "评估/询价报告（摘要）"):
        assert text in body, text
    assert "vendor/pannellum/pannellum.js" in body and 'id="tour-config"' in body
    assert 'class="countdown' in body and "data-target=" in body


def test_lot_page_round_history_shows_failed_rounds_and_selloff(client, demo):
    ship = lot_by_key("恒顺8")
    body = client.get(f"/lots/{ship.pk}/").content.decode()
    assert "拍卖记录" in body
    assert "<dd>5180 吨</dd>" in body and "<dd>2011</dd>" in body  # size and year as typed, not 5.18E+3
    for label in ("一拍", "二拍", "变卖", "流拍", "变卖中"):
        assert label in body, label
    failed = ship.rounds.filter(status="failed").first()
    assert f'href="/rounds/{failed.pk}/result/"' in body


def test_lot_page_tabs_discount_and_the_phones_action_bar(client, demo):
    from django.urls import reverse

    apartment = lot_by_key("星湖花园")
    rnd = apartment.rounds.get()
    body = client.get(f"/lots/{apartment.pk}/").content.decode()
    # Five tabs, each an anchor to its panel (without JS the panels simply follow one another).
    tabs = re.findall(r'<a class="tab" role="tab" id="tab-(\w+)" href="#(\w+)" aria-controls="(\w+)" aria-selected="(\w+)">([^<]+)', body)
    assert [(t[0], t[4]) for t in tabs] == [("details", "标的物详情"), ("announcement", "竞买公告"), ("notice", "竞买须知"),
                                           ("bids", "竞价记录"), ("priority", "优先购买权人")]
    assert all(t[0] == t[1] == t[2] for t in tabs) and [t[3] for t in tabs] == ["true", "false", "false", "false", "false"]
    for name in ("details", "announcement", "notice", "bids", "priority"):
        assert f'id="{name}" role="tabpanel" aria-labelledby="tab-{name}"' in body, name
    announcement = body[body.index('id="announcement" role="tabpanel"'):body.index('id="notice" role="tabpanel"')]
    assert rnd.announcement.strip()[:20] in announcement  # the round's own announcement, as published
    assert 'role="tablist"' in body and "lots/tabs.js" in body
    # 3,309,250 of a 4,727,500 valuation: 7折
    assert rnd.discount == 70 and '<span class="zhe" data-zhe="70">7折</span>' in body
    # The sticky bar: register, bid (open round: the live page); no reminder once bidding has opened.
    bar = body[body.index('<nav class="action-bar"'):]
    assert 'data-action="register"' in bar and "报名交保证金" in bar
    assert f'data-action="bid" href="/rounds/{rnd.pk}/live/"' in bar
    assert 'data-action="remind"' not in bar
    # An announced round: no bid yet, a reminder (following's URL); a finished one: no bar at all.
    shop = lot_by_key("观前街88号")
    shop_bar = client.get(f"/lots/{shop.pk}/").content.decode().split('<nav class="action-bar"')[1]
    assert 'data-action="bid" aria-disabled="true"' in shop_bar
    assert f'action="{reverse("following:remind", args=[shop.rounds.get().pk])}"' in shop_bar and 'data-action="remind"' in shop_bar
    villa = lot_by_key("悦湖别墅")
    assert 'class="action-bar"' not in client.get(f"/lots/{villa.pk}/").content.decode()


def test_catalogue_page_filters_by_region_subtype_round_discount_and_synonyms(client, demo):
    body = client.get("/").content.decode()
    assert 'id="filters-toggle" aria-controls="filter-panel" aria-expanded="true" hidden' in body  # the phone's fold, JS shows it
    assert 'id="filter-panel">' in body  # nothing chosen: folded on a phone
    assert titles(client.get("/", {"province": "浙江", "subtype": "car"})) == ["浙A·8K2M6 梅赛德斯-奔驰E300L轿车"]
    assert sorted(titles(client.get("/", {"city": "苏州市", "district": "相城区"}))) == sorted(
        ["数控加工中心及配套设备一批（共12台套）", "小松PC200-8M0履带式挖掘机一台"])
    assert titles(client.get("/", {"round": "selloff"})) == ["“恒顺8”号钢质散货船"]
    assert titles(client.get("/", {"round": "second"})) == ["数控加工中心及配套设备一批（共12台套）"]
    # 7折 exactly: the two apartments at 70% of their valuation (and whatever else the demo prices so)
    seven = titles(client.get("/", {"min_discount": "7", "max_discount": "7"}))
    assert "苏州工业园区星湖街328号星湖花园12幢1单元1502室住宅" in seven
    assert all(Lot.objects.get(title=t).rounds.get(listed=True).discount == 70 for t in seven)
    filtered = client.get("/", {"min_discount": "8", "max_discount": "7"}).content.decode()
    assert "最高折扣不能低于最低折扣" in filtered and 'data-open' in filtered  # the error keeps the filters unfolded
    assert sorted(titles(client.get("/", {"q": "汽车"}))) == sorted(["浙A·8K2M6 梅赛德斯-奔驰E300L轿车", "浙A·F6D35 解放J6P重型厢式货车"])
    assert "观前街88号" in "".join(titles(client.get("/", {"q": "房产 苏州"})))
    # 即将结束: the open rounds only, soonest first (the closed equity and the sold villa are not "ending soon")
    soon = titles(client.get("/", {"sort": "ending_soon"}))
    assert soon[0] == "苏州工业园区星湖街328号星湖花园12幢1单元1502室住宅" and len(soon) == 4
    assert all(Lot.objects.get(title=t).rounds.get(listed=True).status == "open" for t in soon)
    assert client.get("/", {"sort": "ending_soon", "page": "2"}).status_code == 404


def test_draft_lot_is_hidden_from_the_public_and_other_courts(client, demo):
    land = lot_by_key("国有建设用地使用权")
    assert client.get(f"/lots/{land.pk}/").status_code == 404
    client.login(username="judge_hangzhou", password=DEMO_PASSWORD)
    assert client.get(f"/lots/{land.pk}/").status_code == 404
    client.login(username="judge_suzhou", password=DEMO_PASSWORD)
    assert client.get(f"/lots/{land.pk}/").status_code == 200
    assert client.get("/lots/999999/").status_code == 404
    assert client.get("/lots/99999999999999999999999/").status_code == 404  # beyond BIGINT: still a 404, not a 500


def test_english_toggle_translates_the_catalogue(client, demo):
    r = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert r.status_code == 302
    body = client.get("/").content.decode()
    assert "Starting price" in body and "Search" in body
    assert "Sub-type" in body and "Province" in body and "Ending soon" in body
    apartment = lot_by_key("星湖花园")
    page = client.get(f"/lots/{apartment.pk}/").content.decode()
    for text in ("Details", "Auction announcement", "Bidding notice", "Bid record", "Priority holders", "70% of the valuation"):
        assert text in page, text


# --------------------------------------------------------------------------------------- judge workbench


def test_workbench_refuses_anonymous_users_other_roles_and_other_courts(client, demo):
    shop = lot_by_key("观前街88号")
    rnd = shop.rounds.get()
    r = client.get("/court/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")
    client.login(username="bidder_zhang", password=DEMO_PASSWORD)
    assert client.get("/court/").status_code == 403
    client.login(username="judge_hangzhou", password=DEMO_PASSWORD)
    assert client.get(f"/court/cases/{shop.case_id}/").status_code == 403
    assert client.get(f"/court/lots/{shop.pk}/").status_code == 403
    assert client.get(f"/court/lots/{shop.pk}/edit/").status_code == 403
    r = client.post(f"/court/rounds/{rnd.pk}/withdraw/", {"reason": "试图撤回他院拍卖"})
    assert r.status_code == 403
    rnd.refresh_from_db()
    assert rnd.status == "announced"
    home = client.get("/court/").content.decode()
    assert ">(2024)浙0106执1566号</a>" in home and ">(2024)苏05执123号</a>" not in home
    # the demo's suspended round, whose cause ended this morning, waits to be resumed (A28)
    to_resume = home[home.index('id="to-resume"'):]
    assert "翡翠手镯" in to_resume[:to_resume.index("</section>")]


def test_judge_creates_case_lot_and_round_and_sees_the_rule_violations(client, judge, court):
    client.force_login(judge)
    r = client.post("/court/", {"case_number": "(2024)苏05执9号", "applicants": "苏州银行", "respondents": "李四", "amount_owed": "100000"})
    assert r.status_code == 302
    case = judge.court.cases.get(case_number="(2024)苏05执9号")
    assert case.amount_owed == 10_000_000  # yuan typed, fen stored
    r = client.post("/court/", {"case_number": "(2024)浙01执9号", "applicants": "甲", "respondents": "乙", "amount_owed": "1"})
    assert r.status_code == 200 and "本院代字" in r.content.decode()

    r = client.post(f"/court/cases/{case.pk}/lots/new/", {
        "title": "苏州市吴中区某路1号住宅", "category": "real_estate", "description": "两室一厅", "location": "苏州市吴中区某路1号",
        "city": "苏州", "transfer_tax_payer": "each", "reference_price": "1000000", "reference_price_source": "当事人议价",
        "title_status": "不动产权证", "occupancy": "空置", "defects_and_encumbrances": "无", "judgment_enforced": "(2023)苏05民初1号",
        "priority_holders": f"王五;{'11010519491231002X'};1;承租人",
    })
    assert r.status_code == 302
    lot = case.lots.get()
    assert lot.reference_price == 100_000_000 and lot.priority_holders.get().name == "王五"

    starts = (clock.now() + timedelta(days=31)).astimezone(clock.now().tzinfo)
    fmt = "%Y-%m-%dT%H:%M"
    from zoneinfo import ZoneInfo

    sh = ZoneInfo("Asia/Shanghai")
    payload = {"starting_price": "600000", "deposit": "60000", "increment": "5000",
               "starts_at": starts.astimezone(sh).strftime(fmt), "ends_at": (starts + timedelta(days=1)).astimezone(sh).strftime(fmt)}
    r = client.post(f"/court/lots/{lot.pk}/rounds/new/", payload)  # 60% of the reference: A10 refuses
    assert r.status_code == 400
    body = r.content.decode()
    assert "A10" in body and "70%" in body
    assert not lot.rounds.exists()

    payload["starting_price"] = "700000"
    r = client.post(f"/court/lots/{lot.pk}/rounds/new/", payload)
    assert r.status_code == 302
    rnd = lot.rounds.get()
    assert rnd.status == "draft" and rnd.starting_price == 70_000_000
    page = client.get(f"/court/lots/{lot.pk}/").content.decode()
    assert "A14" in page  # no photo yet: the publication check lists it before the judge clicks
    r = client.post(f"/court/rounds/{rnd.pk}/publish/", follow=True)
    assert "A14" in r.content.decode()
    rnd.refresh_from_db()
    assert rnd.status == "draft"


def test_suspend_needs_a_reason_and_resume_works(client, demo):
    client.login(username="judge_suzhou", password=DEMO_PASSWORD)
    rnd = lot_by_key("观前街88号").rounds.get()
    r = client.post(f"/court/rounds/{rnd.pk}/suspend/", {"reason": ""}, follow=True)
    assert "A28" in r.content.decode()
    rnd.refresh_from_db()
    assert rnd.status == "announced"
    client.post(f"/court/rounds/{rnd.pk}/suspend/", {"reason": "案外人提出异议"})
    rnd.refresh_from_db()
    assert rnd.status == "suspended" and rnd.status_reason == "案外人提出异议"
    client.post(f"/court/rounds/{rnd.pk}/resume/", {"reason": "异议已驳回"})
    rnd.refresh_from_db()
    assert rnd.status == "announced"
    assert client.post(f"/court/rounds/{rnd.pk}/explode/").status_code == 404  # not an action of the judge
    assert client.get(f"/court/rounds/{rnd.pk}/publish/").status_code == 405


# ---------------------------------------------------------------------------------------------- accounts


def valid_id(first17: str = "32050219900101123") -> str:
    return first17 + resident_id_check_char(first17)


def register(client, **overrides):
    data = {"username": "new_bidder", "real_name": "孙悦", "id_number": valid_id(), "phone": "13912345678",
            "password1": "long-enough-pass", "password2": "long-enough-pass", "agree": "on"}
    data.update(overrides)
    return client.post("/accounts/register/", data)


def test_registration_creates_a_real_name_bidder_and_logs_in(client, db):
    r = register(client)
    assert r.status_code == 302
    user = User.objects.get(username="new_bidder")
    assert user.role == "bidder" and user.id_kind == "resident_id" and user.real_name == "孙悦"
    assert client.get("/").context["user"].is_authenticated


@pytest.mark.parametrize("overrides, message", [
    ({"id_number": valid_id()[:17] + ("0" if valid_id()[17] != "0" else "1")}, "身份证号码校验失败"),
    ({"id_number": "32050219901301123" + "X"}, "身份证号码校验失败"),  # month 13
    ({"id_number": "91320505MA1XK7Q8T0"}, "统一社会信用代码校验失败"),
    ({"id_number": "1234"}, "证件号码应为18位"),
    ({"phone": "12345"}, "11位中国大陆手机号码"),
    ({"password2": "something-else"}, "两次输入的密码不一致"),
    ({"agree": ""}, "请阅读并同意竞买须知"),
])
def test_registration_explains_what_is_wrong(client, db, overrides, message):
    r = register(client, **overrides)
    assert r.status_code == 200
    assert message in r.content.decode()
    assert not User.objects.filter(username="new_bidder").exists()


def test_registration_accepts_a_company_and_refuses_a_taken_id(client, db):
    from accounts.rules import uscc_check_char

    code = "91320505MA1XK7Q8T" + uscc_check_char("91320505MA1XK7Q8T")
    assert register(client, username="corp", real_name="苏州某公司", id_number=code).status_code == 302
    assert User.objects.get(username="corp").id_kind == "uscc"
    client.logout()
    r = register(client, username="corp2", real_name="另一家", id_number=code)
    assert r.status_code == 200 and "该证件号码已注册" in r.content.decode()


def test_login_with_a_demo_account_and_logout_by_post(client, demo):
    r = client.post("/accounts/login/", {"username": "judge_suzhou", "password": "wrong"})
    assert "用户名或密码错误" in r.content.decode()
    r = client.post("/accounts/login/", {"username": "judge_suzhou", "password": DEMO_PASSWORD})
    assert r.status_code == 302 and r["Location"] == "/court/"
    assert client.get("/accounts/logout/").status_code == 405
    client.post("/accounts/logout/")
    assert not client.get("/").context["user"].is_authenticated


# -------------------------------------------------------------------------------------------------- demo


def test_demo_has_rounds_in_every_state_and_the_real_listings(demo):
    statuses = set(Round.objects.values_list("status", flat=True))
    assert {"draft", "announced", "open", "closed", "sold", "failed", "suspended", "withdrawn"} <= statuses
    assert Round.objects.filter(kind="selloff", status="open", previous__status="failed", previous__previous__status="failed").exists()
    second = Round.objects.get(lot__title__contains="数控加工中心", number=2)
    assert second.starting_price * 100 >= second.previous.starting_price * 80  # A26: cut at most 20%
    apt = Round.objects.get(lot__title__contains="星湖花园")
    assert (apt.lot.reference_price, apt.starting_price, apt.deposit, apt.increment) == (472_750_000, 330_925_000, 50_000_000, 500_000)
    shop = Round.objects.get(lot__title__contains="观前街")
    assert (shop.starting_price, shop.deposit, shop.increment) == (1_178_751_100, 235_750_200, 5_800_000)
    assert Lot.objects.count() >= 12
    assert set(Lot.objects.values_list("category", flat=True)) == {"real_estate", "vehicle", "equity", "movable", "other"}
    for lot in Lot.objects.filter(category="real_estate"):
        assert lot.media.filter(kind="panorama", status="ready").exists(), lot.title
    assert Court.objects.count() == 2
    for username in ("judge_suzhou", "judge_hangzhou", "bidder_zhang", "bidder_li", "bidder_wang", "operator", "party_applicant", "party_debtor"):
        assert User.objects.get(username=username).check_password(DEMO_PASSWORD), username
    assert User.objects.get(username="party_debtor").case_parties.filter(case__case_number="(2024)苏05执123号").exists()


def test_judge_edits_a_lot_only_until_it_is_published(client, demo):
    from lots.forms import LotForm

    client.login(username="judge_suzhou", password=DEMO_PASSWORD)
    land = lot_by_key("国有建设用地使用权")
    data = {k: ("" if v is None else v) for k, v in LotForm.initial_for(land).items()}
    data["occupancy"] = "空置；北侧堆放物料已清理。"
    r = client.post(f"/court/lots/{land.pk}/edit/", data)
    assert r.status_code == 302
    land.refresh_from_db()
    assert land.occupancy == "空置；北侧堆放物料已清理。"
    assert land.reference_price == 3_850_000_000  # unchanged through the yuan round trip

    shop = lot_by_key("观前街88号")
    data = {k: ("" if v is None else v) for k, v in LotForm.initial_for(shop).items()}
    data["occupancy"] = "改写"
    r = client.post(f"/court/lots/{shop.pk}/edit/", data)
    assert r.status_code == 200 and "标的已公告" in r.content.decode()
    shop.refresh_from_db()
    assert shop.occupancy != "改写"
    # the new-round form is offered only when a round may be created
    assert 'id="new-round"' not in client.get(f"/court/lots/{shop.pk}/").content.decode()
    excavator = lot_by_key("挖掘机")
    page = client.get(f"/court/lots/{excavator.pk}/").content.decode()
    assert 'id="new-round"' in page and 'value="235200.00"' in page  # A26: 80% of 294,000 proposed
