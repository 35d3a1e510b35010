"""Identity (issue 13, point 5): a resident ID's birth date is a real past date, and a bidder is an adult
of full civil capacity (Civil Code art. 17–18): 18 or older, from the ID number, on the day they register
for a round. Children get no bidder account and no deposit."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.rules import age_on, identity_kind, is_adult_on, is_valid_resident_id, resident_id_check_char
from auction_site import clock


def resident_id(born: date, serial: str = "001") -> str:
    first17 = f"110105{born:%Y%m%d}{serial}"
    return first17 + resident_id_check_char(first17)


def body(id_number: str, n: int = 0) -> dict:
    return {"username": f"person{n}", "password": "a-long-pass-phrase-9", "real_name": "王五", "id_number": id_number,
            "phone": f"1390000{n:04d}"}


def test_a_birth_date_in_the_future_is_no_valid_id():
    today = date(2026, 12, 3)
    assert not is_valid_resident_id(resident_id(date(2090, 1, 1)), today)
    assert not is_valid_resident_id(resident_id(date(2026, 12, 4)), today)
    assert is_valid_resident_id(resident_id(date(2026, 12, 3)), today)
    assert identity_kind(resident_id(date(2090, 1, 1)), today) is None


def test_age_counts_whole_years_on_the_day():
    assert age_on(date(2008, 12, 3), date(2026, 12, 3)) == 18
    assert age_on(date(2008, 12, 4), date(2026, 12, 3)) == 17
    assert age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17
    assert age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18


def test_adult_rule_reads_the_id_number():
    day = date(2026, 12, 3)
    assert is_adult_on("resident_id", resident_id(date(2008, 12, 3)), day)
    assert not is_adult_on("resident_id", resident_id(date(2008, 12, 4)), day)
    assert not is_adult_on("resident_id", resident_id(date(2015, 6, 1)), day)
    assert is_adult_on("uscc", "91350100M000100Y43", day)  # a company bids through its representative


@pytest.mark.django_db
def test_register_refuses_a_future_birth_date(client):
    r = client.post("/api/v1/auth/register/", body(resident_id(date(2090, 1, 1))), content_type="application/json")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid_id_number"
    assert not User.objects.filter(username="person0").exists()


@pytest.mark.django_db
def test_a_child_gets_no_bidder_account(client):
    r = client.post("/api/v1/auth/register/", body(resident_id(date(2015, 6, 1))), content_type="application/json")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "not_adult"
    assert not User.objects.filter(username="person0").exists()


@pytest.mark.django_db
def test_eighteen_on_the_day_registers_and_one_day_short_does_not(client):
    today = timezone.localdate(clock.now())
    eighteen_today = today.replace(year=today.year - 18) if (today.month, today.day) != (2, 29) else date(today.year - 18, 3, 1)
    r = client.post("/api/v1/auth/register/", body(resident_id(eighteen_today + timedelta(days=1)), 1), content_type="application/json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "not_adult"
    r = client.post("/api/v1/auth/register/", body(resident_id(eighteen_today), 2), content_type="application/json")
    assert r.status_code == 201, r.content
