"""Browser test of the public catalogue and the lot page (Playwright + Debian's Chromium, live Daphne).

The demo data is loaded into the test database; the site is served by a real Daphne process, media
from the S3-protocol server the test script starts (moto) through signed URLs.
"""

import io
import re

import pytest
from PIL import Image, ImageStat

from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.live]



@pytest.fixture
def demo_site(live_daphne):
    from lots import demo

    demo.load()
    return live_daphne


def card_titles(page) -> list[str]:
    return [t.strip() for t in page.locator(".lot-card .title").all_inner_texts()]


def image_spread(png: bytes) -> float:
    """Standard deviation of the grey levels: ~0 for a blank or single-colour area."""
    return ImageStat.Stat(Image.open(io.BytesIO(png)).convert("L")).stddev[0]


def test_catalogue_search_filter_and_lot_page_with_vr_tour(demo_site, new_context, screenshot):
    from lots.models import Lot

    base = demo_site.url
    page = new_context().new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(f"{base}/")
    assert page.locator(".lot-card").count() == 12
    assert page.locator("text=共 13 件拍品").is_visible()
    # thumbnails are real pictures served by signed URLs
    first_img = page.locator(".lot-card .thumb img").first
    first_img.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=first_img.element_handle())
    # countdowns tick on the server's clock
    live = page.locator(".countdown.live").first
    assert re.search(r"距结束 (\d+天 )?\d\d:\d\d:\d\d", live.inner_text())
    screenshot(page, "catalogue-desktop")

    # search by case number
    page.fill("input[name=q]", "(2024)苏05执1024号")
    page.click(".search-row button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert sorted(card_titles(page)) == sorted(["数控加工中心及配套设备一批（共12台套）", "小松PC200-8M0履带式挖掘机一台"])

    # filter: vehicles, sorted by price descending; the price range is typed in yuan
    page.goto(f"{base}/")
    page.select_option("select[name=category]", "vehicle")
    page.select_option("select[name=sort]", "-price")
    page.click(".filter-row button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert card_titles(page) == ["浙A·8K2M6 梅赛德斯-奔驰E300L轿车", "浙A·F6D35 解放J6P重型厢式货车"]
    page.select_option("select[name=category]", "")
    page.fill("input[name=min_price]", "3000000")
    page.fill("input[name=max_price]", "4000000")
    page.click(".filter-row button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert sorted(card_titles(page)) == sorted(["苏州工业园区星湖街328号星湖花园12幢1单元1502室住宅", "王晓东持有的杭州启明星科技有限公司35%股权"])

    # open the apartment: prices, disclosures and the VR tour
    page.click("text=苏州工业园区星湖街328号星湖花园12幢1单元1502室住宅")
    page.wait_for_load_state("networkidle")
    apartment = Lot.objects.get(title__contains="星湖花园")
    assert page.url.endswith(f"/lots/{apartment.pk}/")
    side = page.locator(".lot-side")
    for text in ("¥3,309,250", "¥4,727,500", "¥500,000", "¥5,000"):
        assert side.locator(f"text={text}").count() >= 1, text
    assert page.locator("[data-disclosure=defects]").inner_text().startswith("该房产已设定抵押")
    assert page.locator("[data-disclosure=contact]").inner_text().endswith("0512-68556123；地址：苏州市姑苏区三香路1046号")

    viewer = page.locator("#panorama.pnlm-container")
    viewer.wait_for()
    page.wait_for_selector("#panorama canvas", state="attached")
    page.wait_for_function("() => { const b = document.querySelector('#panorama .pnlm-load-box'); return b && getComputedStyle(b).display === 'none'; }",
                           timeout=20_000)
    page.wait_for_timeout(500)
    box = viewer.bounding_box()
    assert box["width"] > 300 and box["height"] > 200
    assert image_spread(viewer.screenshot()) > 10, "the panorama viewer shows a blank area"
    # the tour has two scenes; switching changes the scene title
    page.click(".scene-btn[data-scene=s2]")
    page.wait_for_function("() => document.querySelector('#panorama .pnlm-title-box').textContent === '主卧'", timeout=10_000)
    viewer.scroll_into_view_if_needed()
    screenshot(page, "lot-desktop")
    assert not errors, errors


def test_catalogue_and_lot_page_at_phone_width(demo_site, new_context, screenshot):
    from lots.models import Lot

    base = demo_site.url
    page = new_context(mobile=True).new_page()
    page.goto(f"{base}/")
    assert page.locator(".lot-card").count() == 12
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the catalogue scrolls sideways at phone width ({width}px)"
    card = page.locator(".lot-card").first.bounding_box()
    assert card["width"] > 300  # one card per row
    screenshot(page, "catalogue-phone")
    # the filters fold behind 筛选; opened, a round filter (变卖) narrows the list to the ship
    toggle = page.locator("#filters-toggle")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert not page.locator("select[name=round]").is_visible()
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true" and page.locator("select[name=round]").is_visible()
    page.select_option("select[name=round]", "selloff")
    screenshot(page, "catalogue-phone-filters")
    page.click(".filter-row button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert card_titles(page) == ["“恒顺8”号钢质散货船"]
    assert page.locator("select[name=round]").is_visible()  # a filter in use: the panel stays open

    # the open apartment: tabs switch without a reload; the action bar sits at the bottom of the screen
    open_flat = Lot.objects.get(title__contains="星湖花园")
    page.goto(f"{base}/lots/{open_flat.pk}/")
    page.evaluate("window.__sameDocument = true")
    bar = page.locator(".action-bar")
    page.mouse.wheel(0, 600)
    page.wait_for_timeout(200)
    wide = page.evaluate("""() => [...document.querySelectorAll('*')].filter(e => e.getBoundingClientRect().right > 391)
        .slice(0, 8).map(e => e.tagName + '.' + e.className + ':' + Math.round(e.getBoundingClientRect().right))""")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, wide
    box, screen = bar.bounding_box(), page.evaluate("window.innerHeight")
    assert bar.is_visible() and abs(box["y"] + box["height"] - screen) <= 2, (box, screen)  # stuck to the bottom of the screen
    assert bar.locator("[data-action=bid]").get_attribute("href") == f"/rounds/{open_flat.rounds.get().pk}/live/"
    screenshot(page, "lot-phone-action-bar")
    assert page.locator("#details").is_visible() and not page.locator("#announcement").is_visible()
    page.click("#tab-announcement")
    assert page.locator("#announcement").is_visible() and not page.locator("#details").is_visible()
    assert page.url.endswith("#announcement") and page.evaluate("window.__sameDocument") is True
    page.keyboard.press("ArrowRight")
    assert page.locator("#tab-notice").get_attribute("aria-selected") == "true" and page.locator("#notice").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "lot-phone-tabs")

    ship = Lot.objects.get(title__contains="恒顺8")
    page.goto(f"{base}/lots/{ship.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # on a phone the price box comes before the photos
    side = page.locator(".lot-side").bounding_box()
    gallery = page.locator(".gallery").bounding_box()
    assert side["y"] < gallery["y"]
    assert page.locator(".history").is_visible() and page.locator(".history >> text=二拍").count() >= 1
    screenshot(page, "lot-phone")

    apartment = Lot.objects.get(title__contains="文三路478号")
    page.goto(f"{base}/lots/{apartment.pk}/")
    page.wait_for_selector("#panorama canvas", state="attached")
    assert page.locator("#panorama").bounding_box()["width"] <= 390
    screenshot(page, "lot-vr-phone")


def test_english_toggle_and_judge_workbench(demo_site, new_context, screenshot):
    base = demo_site.url
    page = new_context().new_page()
    page.goto(f"{base}/")
    page.click(".lang-switch button")
    page.wait_for_load_state("networkidle")
    assert page.locator(".search-row button[type=submit]").inner_text() == "Search"
    assert page.locator(".lot-card .price-line .label").first.inner_text() in {"Starting price", "Current price", "Sale price"}
    page.click(".lang-switch button")  # back to Chinese
    page.wait_for_load_state("networkidle")
    login(page, base, "judge_suzhou", "demo-pass-2024")
    assert page.url.endswith("/court/")
    assert page.locator("text=(2024)苏05执123号").count() >= 1
    assert page.locator("text=(2024)浙0106执1566号").count() == 0
    screenshot(page, "court-home")

    # upload a photo straight from the browser to object storage, with the progress bar
    from lots.models import Lot

    land = Lot.objects.get(title__contains="国有建设用地使用权")
    before = land.media.filter(status="ready").count()
    page.goto(f"{base}/court/lots/{land.pk}/")
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 120, 200)).save(buf, "JPEG")
    page.select_option("#up-kind", "photo")
    page.fill("#up-title", "现场照片")
    page.set_input_files("#up-file", files=[{"name": "site.jpg", "mimeType": "image/jpeg", "buffer": buf.getvalue()}])
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#up-status.ok", timeout=20_000)
    assert page.locator("#up-progress").evaluate("p => p.value") == 100
    page.wait_for_load_state("networkidle")
    assert land.media.filter(status="ready").count() == before + 1
    assert land.media.filter(title="现场照片", status="ready", size=len(buf.getvalue())).exists()
    page.wait_for_selector("#media-list >> text=现场照片")
    screenshot(page, "court-lot-upload")

    # the judge's desk, only through the pages: remove the photo just uploaded (its object goes too) ...
    page.on("dialog", lambda dialog: dialog.accept())  # the confirmations of the irreversible actions
    page.locator("#media-list li", has_text="现场照片").locator(".media-delete").click()
    page.wait_for_load_state("networkidle")
    assert not land.media.filter(title="现场照片").exists()
    assert page.locator("#media-list >> text=现场照片").count() == 0

    # ... open a case, a lot and a round; the announcement is generated from the court's template and previewed
    page.goto(f"{base}/court/")
    page.fill("#id_case_number", "(2024)苏05执777号")
    page.fill("#id_applicants", "苏州银行股份有限公司")
    page.fill("#id_respondents", "王某")
    page.fill("#id_amount_owed", "150000")
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.click("text=新建标的")
    for field, value in {"title": "雅马哈钢琴一台", "description": "立式钢琴，九成新", "location": "苏州市姑苏区人民路1号",
                         "reference_price": "20000", "reference_price_source": "当事人议价", "title_status": "被执行人所有",
                         "occupancy": "法院保管", "defects_and_encumbrances": "无", "judgment_enforced": "(2024)苏05民初7号"}.items():
        page.fill(f"#id_{field}", value)
    page.select_option("#id_category", "movable")
    page.click("form.grid-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#new-round >> text=最早可开始").count() == 1  # A12/A16: the form proposes the first start that passes
    page.click("#new-round button[type=submit]")  # the proposed prices (A10: 70%) and times
    page.wait_for_load_state("networkidle")
    assert "/preview/" in page.url
    assert "雅马哈钢琴一台" in page.locator("#preview-announcement").inner_text()
    assert "14,000.00" in page.locator("#preview-announcement").inner_text()
    screenshot(page, "court-round-preview")
    page.click("text=修改草稿")
    page.fill("#id_increment", "300")
    page.click("#round-edit button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "300.00" in page.locator("#preview-notice").inner_text()

    # ... and the desk flags the sold villa's balance once the clock passes its A25 deadline
    from auction_site import clock
    from lots.models import Round

    villa = Round.objects.get(lot__title__contains="别墅", status="sold")
    page.goto(f"{base}/court/")
    row = page.locator("#desk tr[data-article=A25]", has_text=villa.lot.title)
    assert row.count() == 1 and "已逾期" not in row.inner_text()
    clock.advance(int((villa.balance_due_at - clock.now()).total_seconds()) + 3600)
    page.reload()
    assert "已逾期" in row.inner_text()
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.querySelector('#desk').scrollWidth") <= 390  # rows stack on a phone
    screenshot(page, "court-desk-phone")
