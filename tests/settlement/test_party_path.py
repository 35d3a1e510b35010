"""执行公开 for the parties: a party the judge linked sees the whole path of the case (valuation, rounds, the case
account and who was paid) with the legal deadlines (B1, B30, A16, A23, A25), and hears of each step; nobody else does."""

from datetime import timedelta

import pytest

from auction_site import clock
from lots import services as lots_services
from lots.deadlines import balance_due_by, price_due_by, publishable_from, release_due_by, sale_due_by
from notifications.models import Notification
from settlement import party, services
from tests.conftest import make_user

PRICE = 331_925_000


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def linked(paid_round, judge, django_capture_on_commit_callbacks):
    """The paid round's case with its applicant and debtor accounts linked by the judge (each told of it)."""
    case = paid_round.lot.case
    applicant = make_user("bank", "party", real_name="苏州银行股份有限公司")
    debtor = make_user("zhangsan", "party", real_name="张三", phone="13900002222")
    with django_capture_on_commit_callbacks(execute=True):
        lots_services.link_party(judge, case=case, side="applicant", account="bank")
        lots_services.link_party(judge, case=case, side="respondent", account="13900002222")
    return case, applicant, debtor


def rows(path, article):
    return [d for d in path["deadlines"] if d.article == article]


def test_deadlines_per_article_with_when_they_were_met(linked, paid_round, advance_clock):
    case, applicant, _ = linked
    now = clock.now()
    lot = paid_round.lot
    lot.seized_at, lot.reference_price_fixed_at = now - timedelta(days=20), now - timedelta(days=8)
    lot.save()
    paid_round.parties_notified_at, paid_round.published_at = now - timedelta(days=7), now - timedelta(days=4)
    paid_round.save()
    path = party.case_path(case, applicant, clock.now())
    (b1,) = rows(path, "B1")
    assert b1.due_at == price_due_by(lot.seized_at) == lot.seized_at + timedelta(days=30) and b1.detail["done_at"] == lot.reference_price_fixed_at
    (b30,) = rows(path, "B30")
    assert b30.due_at == sale_due_by(lot.reference_price_fixed_at) == lot.reference_price_fixed_at + timedelta(days=10)
    assert b30.detail["done_at"] == paid_round.published_at
    (a16,) = rows(path, "A16")
    assert a16.due_at == publishable_from(paid_round.parties_notified_at) == paid_round.parties_notified_at + timedelta(days=3)
    (a23,) = rows(path, "A23")  # the loser's deposit is still held: not met yet, due 24 hours after the close
    assert a23.due_at == release_due_by(paid_round.closed_at) == paid_round.closed_at + timedelta(hours=24)
    assert a23.detail["done_at"] is None and not a23.overdue
    (a25,) = rows(path, "A25")
    assert a25.due_at == paid_round.balance_due_at == balance_due_by(paid_round.closed_at, 10) and a25.detail["done_at"] is not None
    advance_clock(hours=24, seconds=1)
    (a23,) = rows(party.case_path(case, applicant, clock.now()), "A23")
    assert a23.overdue and a23.detail["done_at"] is None


def test_a_linked_party_sees_the_path_and_who_was_paid_others_do_not(linked, paid_round, judge, client, as_user, bidder,
                                                                     django_capture_on_commit_callbacks):
    case, applicant, debtor = linked
    told = Notification.objects.filter(user=applicant, data__step="party_linked")  # told of the link, in the site's inbox
    assert told.count() == 1 and told.get().url == f"/party/cases/{case.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        services.settle_round(judge, round_id=paid_round.pk, raw_payouts=[
            {"kind": "cost", "payee": "苏州市中级人民法院(执行费)", "amount": 1_200_000},
            {"kind": "creditor", "payee": "苏州银行股份有限公司", "amount": PRICE - 1_200_000, "claim": 500_000_000}])
    # each step reaches both parties: here the settlement, naming who was paid
    note = Notification.objects.get(user=debtor, data__step="round_settled")
    assert "苏州银行股份有限公司" in note.body and Notification.objects.filter(user=applicant, data__step="round_settled").exists()

    client.force_login(debtor)
    page = client.get(f"/party/cases/{case.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "苏州市中级人民法院(执行费)" in html and "3,307,250.00" in html  # paid to whom, how much
    assert "3,319,250.00" in html  # the round's result (sold price)
    assert 'data-article="A23"' in html and 'data-article="A25"' in html and 'class="countdown"' in html
    body = as_user(applicant).get(f"/api/v1/party/cases/{case.pk}/").json()
    assert [p["payee"] for p in body["account"]["payouts"]] == ["苏州市中级人民法院(执行费)", "苏州银行股份有限公司"]
    assert sum(e["amount"] for e in body["account"]["money_in"]) == PRICE
    assert body["lots"][0]["rounds"][0]["result"] == "sold"

    stranger = make_user("other_party", "party", real_name="王五")
    for user in (stranger, bidder):
        client.force_login(user)
        assert client.get(f"/party/cases/{case.pk}/").status_code == 403
        r = as_user(user).get(f"/api/v1/party/cases/{case.pk}/")
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = as_user(applicant).get("/api/v1/party/cases/999999/")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    client.logout()
    assert client.get(f"/party/cases/{case.pk}/").status_code == 302  # to the login page
    # once the judge unlinks the debtor, the debtor no longer sees the case
    lots_services.unlink_party(judge, party_id=case.parties.get(user=debtor).pk)
    assert as_user(debtor).get(f"/api/v1/party/cases/{case.pk}/").status_code == 403
