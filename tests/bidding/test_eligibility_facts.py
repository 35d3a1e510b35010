"""The engine reads escrow's eligibility facts (A24, A34) with the round in ONE query (bidding.store.seen):
for every kind of barred bidder it reaches the same verdict as escrow.rules.check_bidder_eligible, and a
barred bid changes nothing."""

from datetime import timedelta

import pytest

from accounts.models import BarredIdentity
from auction_site import clock
from bidding import services, store
from bidding.models import Bid
from bidding.services import place_bid
from escrow.models import Registration
from escrow.rules import check_bidder_eligible, eligibility_violation
from lots.models import CaseParty, Round
from tests.bidding.conftest import START, hold, make_round

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def forget_answers():
    services._ELIGIBLE_CACHE.clear()
    yield
    services._ELIGIBLE_CACHE.clear()


def _verdicts(rnd, user):
    """(escrow's own answer, the answer from the engine's one query)."""
    ours = check_bidder_eligible(user, Round.objects.select_related("lot__case").get(pk=rnd.pk))
    seen = store.seen(rnd.pk, [user.pk], [user.pk])
    facts = seen.facts[user.pk]
    return (ours.code if ours else None), (eligibility_violation(facts).code if eligibility_violation(facts) else None)


def _barred_case(kind, lot, rnd, bidder_factory):
    if kind == "eligible":
        return bidder_factory()
    if kind == "relative_of_staff":  # A34; the number in another case, with spaces around it
        BarredIdentity.objects.create(id_number="E12345678", name="近亲属", reason="法官近亲属")
        return bidder_factory(id_number=" e12345678 ", id_kind="passport")
    if kind == "minor":  # Civil Code art. 17-18: born 10 years ago (a resident ID with a valid checksum)
        return bidder_factory(id_number=_resident_id(clock.now().year - 10))
    if kind == "debtor_by_account":
        user = bidder_factory()
        CaseParty.objects.create(case=lot.case, side="respondent", name="张三", user=user)
        return user
    if kind == "debtor_by_id_number":
        user = bidder_factory(id_number="320501198001011234")
        CaseParty.objects.create(case=lot.case, side="respondent", name="张三", id_number="320501198001011234")
        return user
    if kind == "applicant_is_not_barred":
        user = bidder_factory()
        CaseParty.objects.create(case=lot.case, side="applicant", name="银行", user=user)
        return user
    earlier = make_round(lot, status="defaulted", number=1, starts_in=timedelta(days=-40))
    if kind == "defaulter_by_account":  # A24
        user = bidder_factory()
        Registration.objects.create(round=earlier, bidder=user, status="forfeited", code="A0900", created_at=clock.now())
        return user
    if kind == "released_on_an_earlier_round_is_not_barred":
        user = bidder_factory()
        Registration.objects.create(round=earlier, bidder=user, status="released", code="A0902", created_at=clock.now())
        return user
    raise AssertionError(kind)


def _resident_id(year: int) -> str:
    from accounts.rules import resident_id_check_char

    first17 = f"320501{year}0101123"
    return first17 + resident_id_check_char(first17)


KINDS = {
    "eligible": None, "relative_of_staff": "barred", "debtor_by_account": "barred", "debtor_by_id_number": "barred",
    "applicant_is_not_barred": None, "minor": "not_adult", "defaulter_by_account": "barred", "released_on_an_earlier_round_is_not_barred": None,
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_engines_query_reaches_escrows_verdict(kind, lot, bidder_factory):
    rnd = make_round(lot, number=2)
    user = _barred_case(kind, lot, rnd, bidder_factory)
    hold(rnd, user, "A0001")
    ours, engine = _verdicts(rnd, user)
    assert ours == engine == KINDS[kind]
    result = place_bid(user, round_id=rnd.pk, amount=START)
    if KINDS[kind]:
        assert result.code == "barred" and Bid.objects.filter(round=rnd).count() == 0
    else:
        assert result.accepted


def test_the_same_person_under_another_account_is_still_the_defaulter(lot, bidder_factory):
    earlier = make_round(lot, status="defaulted", number=1, starts_in=timedelta(days=-40))
    rnd = make_round(lot, number=2)
    first = bidder_factory(id_number="32050119800101567x")
    Registration.objects.create(round=earlier, bidder=first, status="forfeited", code="A0901", created_at=clock.now())
    second = bidder_factory(id_number="32050119800101567X")  # A24: the same number, another account
    hold(rnd, second, "A0002")
    ours, engine = _verdicts(rnd, second)
    assert ours == engine == "barred"
    assert place_bid(second, round_id=rnd.pk, amount=START).code == "barred"


@pytest.mark.parametrize("role", ["judge", "operator", "is_staff", "is_superuser"])
def test_staff_may_not_bid(role, lot, bidder_factory, court):
    rnd = make_round(lot)
    user = bidder_factory()
    if role in {"judge", "operator"}:
        user.role = role
        user.court = court
    else:
        setattr(user, role, True)
    user.save()
    hold(rnd, user, "A0003")
    ours, engine = _verdicts(rnd, user)
    assert ours == engine == "barred"
    assert place_bid(user, round_id=rnd.pk, amount=START).code == "barred"


def test_a_bidder_barred_after_a_positive_answer_is_barred_once_it_is_forgotten(lot, bidder_factory):
    rnd = make_round(lot, number=2)
    user = bidder_factory()
    hold(rnd, user, "A0004")
    assert place_bid(user, round_id=rnd.pk, amount=START).accepted
    CaseParty.objects.create(case=lot.case, side="respondent", name="张三", user=user)
    services._ELIGIBLE_CACHE.clear()  # what ELIGIBLE_CACHE_SECONDS later does
    assert place_bid(user, round_id=rnd.pk, amount=START + rnd.increment * 2).code == "barred"
