"""The live bid page and the lot-page panel, rendered by the server."""

import pytest

from tests.bidding.conftest import START, hold

pytestmark = pytest.mark.django_db


def test_anonymous_watcher_sees_the_live_page_with_a_login_link(client, open_round, bidders):
    resp = client.get(f"/rounds/{open_round.pk}/live/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "竞价大厅" in html and "/accounts/login/" in html and "bid-form" not in html
    assert "chart.umd.min.js" in html and "bidding/live.js" in html
    for code in ("too_low", "not_on_increment", "not_registered", "not_open", "closed", "barred", "rate_limited", "invalid"):
        assert f'"{code}"' in html  # every refusal code has a message


def test_bidder_without_deposit_sees_a_register_link(client, open_round, bidder_factory):
    client.force_login(bidder_factory())
    html = client.get(f"/rounds/{open_round.pk}/live/").content.decode()
    assert "去报名" in html and f"/lots/{open_round.lot_id}/" in html and "bid-form" not in html


def test_bidder_with_held_deposit_gets_the_bid_box_prefilled_data(client, open_round, bidder_factory):
    user = bidder_factory()
    hold(open_round, user, "A1111")
    client.force_login(user)
    html = client.get(f"/rounds/{open_round.pk}/live/").content.decode()
    assert "bid-form" in html and "A1111" in html and f'"next_amount": {START}' in html
    assert user.real_name not in html.split("<main")[1].split("</main>")[0]


def test_unknown_round_page_is_404(client):
    assert client.get("/rounds/999999/live/").status_code == 404


def test_panel_on_the_lot_page_links_the_live_page(open_round):
    from django.template.loader import render_to_string

    html = render_to_string("bidding/_round_panel.html", {"round": open_round})
    assert f"/rounds/{open_round.pk}/live/" in html and "当前价" in html
