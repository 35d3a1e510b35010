"""The judge links party accounts to a case (by username, phone or ID number, as applicant or debtor) and unlinks them;
only the judge of the case's court may; the case page does it."""

from datetime import timedelta

import pytest

from auction_site import clock
from auction_site.errors import DomainError, ErrorCode
from escrow.rules import check_bidder_eligible
from lots import services
from lots.models import CaseParty, Lot, Round
from tests.conftest import ID_NUMBERS, make_user


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def case(judge):
    return services.create_case(judge, case_number="(2024)苏05执77号", applicants=["苏州银行股份有限公司"], respondents=["张三"],
                                amount_owed=100_000_00)


@pytest.fixture
def debtor_account(db):
    return make_user("zhangsan", "party", real_name="张三", id_kind="resident_id", id_number=ID_NUMBERS[3], phone="13900001111")


def test_judge_links_by_phone_or_id_number_to_the_named_party_and_unlinks(case, judge, debtor_account):
    party = services.link_party(judge, case=case, side="respondent", account="13900001111")
    assert party.user == debtor_account and party.name == "张三" and party.side == "respondent"
    assert case.parties.count() == 2  # the named debtor was linked, no new party made
    assert services.link_party(judge, case=case, side="respondent", account=ID_NUMBERS[3].lower()).pk == party.pk  # again: no change
    services.unlink_party(judge, party_id=party.pk)
    party.refresh_from_db()
    assert party.user is None
    with pytest.raises(DomainError) as e:
        services.unlink_party(judge, party_id=party.pk)
    assert e.value.code == ErrorCode.PARTY_NOT_LINKED


def test_only_the_judge_of_the_cases_court_links(case, other_judge, bidder, debtor_account):
    for actor, code in ((other_judge, ErrorCode.OTHER_COURT), (bidder, ErrorCode.FORBIDDEN), (debtor_account, ErrorCode.FORBIDDEN)):
        with pytest.raises(DomainError) as e:
            services.link_party(actor, case=case, side="respondent", account="zhangsan")
        assert e.value.code == code
    assert not CaseParty.objects.filter(user__isnull=False).exists()


def test_refusals_unknown_ambiguous_wrong_role_or_both_sides(case, judge, debtor_account):
    make_user("twin", "party", phone="13900001111")
    with pytest.raises(DomainError) as e:
        services.link_party(judge, case=case, side="respondent", account="13900001111")
    assert e.value.code == ErrorCode.PARTY_ACCOUNT_AMBIGUOUS
    with pytest.raises(DomainError) as e:
        services.link_party(judge, case=case, side="respondent", account="nobody")
    assert e.value.status == 404
    with pytest.raises(DomainError) as e:
        services.link_party(judge, case=case, side="applicant", account=judge.username)
    assert e.value.code == ErrorCode.PARTY_ACCOUNT_ROLE
    services.link_party(judge, case=case, side="respondent", account="zhangsan")
    with pytest.raises(DomainError) as e:  # one account is one side of a case
        services.link_party(judge, case=case, side="applicant", account="zhangsan")
    assert e.value.code == ErrorCode.PARTY_ALREADY_LINKED


def test_a_bidder_account_linked_as_debtor_may_not_register_to_bid(case, judge, bidder):
    """Platform policy (escrow/rules.py): the debtor of the case may not bid on its lots."""
    lot = Lot.objects.create(case=case, title="车辆", category="vehicle", created_at=clock.now())
    rnd = Round.objects.create(lot=lot, starting_price=100_00, deposit=10_00, increment=1_00, starts_at=clock.now(),
                ends_at=clock.now() + timedelta(days=1), scheduled_ends_at=clock.now() + timedelta(days=1), created_at=clock.now())
    assert check_bidder_eligible(bidder, rnd) is None
    services.link_party(judge, case=case, side="respondent", account=bidder.username)
    refusal = check_bidder_eligible(bidder, rnd)
    assert refusal is not None and refusal.code == ErrorCode.BARRED


def test_case_page_links_and_unlinks(client, case, judge, debtor_account, other_judge):
    client.force_login(judge)
    page = client.get(f"/court/cases/{case.pk}/")
    assert page.status_code == 200 and page.content.decode().count('id="link-party"') == 1
    r = client.post(f"/court/cases/{case.pk}/parties/link/", {"account": "zhangsan", "side": "respondent", "party": ""})
    assert r.status_code == 302
    party = case.parties.get(user=debtor_account)
    assert "zhangsan" in client.get(f"/court/cases/{case.pk}/").content.decode()
    client.post(f"/court/cases/{case.pk}/parties/{party.pk}/unlink/")
    party.refresh_from_db()
    assert party.user is None
    client.force_login(other_judge)
    assert client.post(f"/court/cases/{case.pk}/parties/link/", {"account": "zhangsan", "side": "respondent"}).status_code == 403
    assert not case.parties.filter(user__isnull=False).exists()
