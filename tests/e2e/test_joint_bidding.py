"""Browser (390 px): a bidder registers jointly (联合竞买) with a co-bidder on the registration page (the fields
of the chosen mode appear without a script); once the group has won, the confirmation PDF linked on the lot
page names both buyers with their shares."""

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from auction_site import clock
from escrow import services as escrow_services
from escrow.models import Registration
from settlement import services as settlement_services
from tests.conftest import arrange_status
from tests.e2e.conftest import login
from tests.escrow.conftest import CARD, flush_provider, lot, round_factory  # noqa: F401 (fixtures)
from tests.settlement.conftest import s3_bucket  # noqa: F401 (autouse: documents go to object storage)

pytestmark = [pytest.mark.e2e, pytest.mark.live]


def test_joint_bidders_appear_on_the_confirmation_pdf_with_their_shares(live_daphne, new_context, screenshot, bidder_factory,
                                                                       judge, round_factory):  # noqa: F811
    flush_provider()
    rnd = round_factory("announced")
    lead, co = bidder_factory(real_name="张伟"), bidder_factory(real_name="李娜")
    base = live_daphne.url

    page = new_context(mobile=True).new_page()
    login(page, base, lead.username)
    page.goto(f"{base}/escrow/rounds/{rnd.pk}/register/")
    assert not page.locator("#joint-fields").is_visible()
    page.check("#mode-joint")  # the joint fields appear for the chosen mode
    page.fill("#my-share", "60")
    page.fill("#co-name-1", co.real_name)
    page.fill("#co-id-1", co.id_number)
    page.fill("#co-share-1", "40")
    page.check("#accept-notice")
    page.fill("#signed-name", lead.real_name)
    screenshot(page, "escrow-joint-register-mobile")
    assert page.evaluate("document.querySelector('main').scrollWidth") <= 390
    page.click("#register-submit")
    page.wait_for_load_state("networkidle")
    reg = Registration.objects.get(round=rnd, bidder=lead)
    assert page.url.endswith(f"/escrow/sandbox/pay/{reg.pk}/") and reg.group.members.count() == 2
    # paying, the co-bidder's agreement and the court's confirmation have their own page tests (tests/escrow)
    escrow_services.pay_with_test_card(lead, registration_id=reg.pk, card=CARD)
    escrow_services.accept_joint_bid(co, registration_id=reg.pk)
    escrow_services.confirm_group(judge, registration_id=reg.pk)
    reg.refresh_from_db()
    assert reg.code

    # the group wins (what the bid engine and the closing clock do), the confirmation is generated
    now = clock.now()
    arrange_status(rnd, "sold", leader_id=reg.pk, sold_price=rnd.starting_price, current_price=rnd.starting_price,
                   closed_at=now, balance_due_at=now + timedelta(days=10))
    settlement_services.generate_document(rnd.pk, "confirmation")
    page.goto(f"{base}/lots/{rnd.lot_id}/")
    href = page.locator("a[data-kind=confirmation]").first.get_attribute("href")
    pdf = page.request.get(href if href.startswith("http") else base + href).body()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).replace("\n", "")
    assert "张伟（份额60%）" in text and "李娜（份额40%）" in text and reg.code in text
