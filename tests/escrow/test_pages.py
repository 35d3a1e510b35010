"""Escrow's pages: the round's register box, the pay page, my deposits, the judge's case account."""

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from auction_site import clock
from escrow import clockwork
from escrow.models import Registration
from tests.escrow.conftest import DEPOSIT, close_round, register_and_pay

pytestmark = pytest.mark.django_db


def signed(user) -> dict:
    """The registration form accepted and signed (escrow.commitments)."""
    return {"accept_notice": "on", "signed_name": user.real_name}


def render_box(rnd, user):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get(f"/lots/{rnd.lot_id}/")
    request.user = user or AnonymousUser()
    return render_to_string("escrow/_round_register.html", {"round": rnd, "user": request.user}, request=request)


def test_register_box_offers_registration_then_shows_status_and_code(bidder, announced_round, as_user):
    html = render_box(announced_round, None)
    assert "登录后报名" in html
    html = render_box(announced_round, bidder)
    assert f"/escrow/rounds/{announced_round.pk}/register/" in html and "500,000.00" in html
    body = register_and_pay(as_user(bidder), announced_round.pk)
    html = render_box(announced_round, bidder)
    assert body["code"] in html and "保证金已冻结" in html
    assert "/register/" not in html


def test_browser_flow_with_the_sandbox_provider(client, bidder, announced_round, settings):
    settings.PAYMENT_PROVIDER = "sandbox"
    client.force_login(bidder)
    r = client.post(f"/escrow/rounds/{announced_round.pk}/register/", {"next": "/", **signed(bidder)})
    reg = Registration.objects.get(round=announced_round, bidder=bidder)
    assert r.status_code == 302 and r["Location"] == f"/escrow/sandbox/pay/{reg.pk}/"
    page = client.get(r["Location"])
    assert page.status_code == 200 and "沙箱支付" in page.content.decode()
    r = client.post(f"/escrow/sandbox/pay/{reg.pk}/", follow=True)
    reg.refresh_from_db()
    assert reg.status == "held"
    assert reg.code in r.content.decode()


def test_browser_flow_with_stripe_in_test_mode_confirms_server_side(client, bidder, announced_round):
    client.force_login(bidder)
    client.post(f"/escrow/rounds/{announced_round.pk}/register/", signed(bidder))
    reg = Registration.objects.get(round=announced_round, bidder=bidder)
    assert "4242 4242 4242 4242" in client.get(f"/escrow/sandbox/pay/{reg.pk}/").content.decode()
    client.post(f"/escrow/sandbox/pay/{reg.pk}/", {"number": "4242 4242 4242 4242"})
    reg.refresh_from_db()
    assert reg.status == "held"


def test_barred_bidder_sees_the_reason_and_nothing_is_created(client, bidder, announced_round):
    from accounts.models import BarredIdentity

    BarredIdentity.objects.create(id_number=bidder.id_number, name="x", reason="法官近亲属")
    client.force_login(bidder)
    r = client.post(f"/escrow/rounds/{announced_round.pk}/register/", {"next": "/"}, follow=True)
    assert "A34" in r.content.decode() or "近亲属" in r.content.decode()
    assert not Registration.objects.exists()


def test_register_form_never_redirects_off_site(client, bidder, announced_round):
    from accounts.models import BarredIdentity

    BarredIdentity.objects.create(id_number=bidder.id_number, name="x", reason="法官近亲属")
    client.force_login(bidder)
    r = client.post(f"/escrow/rounds/{announced_round.pk}/register/", {"next": "https://evil.example/phish"})
    assert r.status_code == 302 and r["Location"] == "/"
    r = client.post(f"/escrow/rounds/{announced_round.pk}/register/", {"next": f"/lots/{announced_round.lot_id}/"})
    assert r["Location"] == f"/lots/{announced_round.lot_id}/"


def test_someone_elses_pay_page_is_404(client, bidder_factory, announced_round, as_user):
    a, b = bidder_factory(), bidder_factory()
    reg_id = as_user(a).post(f"/api/v1/rounds/{announced_round.pk}/register/", format="json").json()["registration"]["id"]
    client.force_login(b)
    assert client.get(f"/escrow/sandbox/pay/{reg_id}/").status_code == 404
    assert client.post(f"/escrow/sandbox/pay/{reg_id}/").status_code == 404


def test_my_deposits_lists_status_code_and_refund_date(client, bidder_factory, round_factory, as_user):
    a, b = bidder_factory(), bidder_factory()
    rnd = round_factory("open")
    win = register_and_pay(as_user(a), rnd.pk)
    lose = register_and_pay(as_user(b), rnd.pk)
    client.force_login(b)
    html = client.get("/me/deposits/").content.decode()
    assert lose["code"] in html and win["code"] not in html and "保证金已冻结" in html
    close_round(rnd, win["id"])
    clockwork.tick(clock.now())
    html = client.get("/me/deposits/").content.decode()
    assert "保证金已退还" in html and "已退还" in html
    client.force_login(a)
    html = client.get("/me/deposits/").content.decode()
    assert "保证金已转为价款" in html and "支付尾款" in html


def test_case_account_page_for_the_judge_of_the_court_only(client, judge, other_judge, bidder_factory, round_factory, as_user):
    a = bidder_factory()
    rnd = round_factory("open")
    win = register_and_pay(as_user(a), rnd.pk)
    close_round(rnd, win["id"])
    clockwork.tick(clock.now())
    url = f"/court/cases/{rnd.lot.case_id}/account/"
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(other_judge)
    assert client.get(url).status_code == 404
    client.force_login(a)
    assert client.get(url).status_code == 404
    client.force_login(judge)
    r = client.get(url)
    html = r.content.decode()
    assert r.status_code == 200 and f"{DEPOSIT // 100:,}.00" in html and "买受人保证金转为价款" in html
    assert "balance-chart" in html


def test_pages_speak_english_too(client, bidder):
    client.force_login(bidder)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/me/deposits/").content.decode()
    assert "My deposits" in html and "You have not registered" in html
