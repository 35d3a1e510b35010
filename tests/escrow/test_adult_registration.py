"""Registration for a round checks adulthood on the registration day (Civil Code art. 17–18, issue 13
point 5): an account made for a minor (by staff, or before the rule) gets no deposit and no code."""

from datetime import date, timedelta

from django.utils import timezone

from accounts.rules import resident_id_check_char
from auction_site import clock
from escrow.models import Deposit, Registration
from tests.conftest import make_user


def _resident_id(born: date) -> str:
    first17 = f"320502{born:%Y%m%d}007"
    return first17 + resident_id_check_char(first17)


def test_a_minor_cannot_register_for_a_round(announced_round, as_user):
    today = timezone.localdate(clock.now())
    minor = make_user("minor", "bidder", real_name="小明", id_kind="resident_id", id_number=_resident_id(date(2015, 6, 1)))
    r = as_user(minor).post(f"/api/v1/rounds/{announced_round.pk}/register/", format="json")
    assert r.status_code == 403, r.content
    assert r.json()["error"]["code"] == "not_adult"
    assert not Registration.objects.exists() and not Deposit.objects.exists()
    # Seventeen today, eighteen tomorrow: refused today.
    born = today.replace(year=today.year - 18) + timedelta(days=1) if (today.month, today.day) != (2, 29) else date(today.year - 18, 3, 2)
    almost = make_user("almost", "bidder", real_name="小红", id_kind="resident_id", id_number=_resident_id(born))
    r = as_user(almost).post(f"/api/v1/rounds/{announced_round.pk}/register/", format="json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_adult"
    assert not Registration.objects.exists()
