"""Lots under hostile input (issue 13): a float case id is refused, not truncated onto another case
(point 3); PATCH validates exactly as POST, priority holders included (point 4)."""

import pytest

from lots.models import EnforcementCase, Lot, PriorityHolder

HOLDER = {"name": "李四", "id_number": "110101199003070134", "rank": 2, "basis": "承租人"}


@pytest.fixture
def two_cases(enforcement_case):
    other = EnforcementCase.objects.create(court=enforcement_case.court, case_number="(2024)苏05执124号", applicants=["甲"],
                                           respondents=["乙"], amount_owed=1, created_at=enforcement_case.created_at)
    return enforcement_case, other


@pytest.mark.parametrize("case_value", ["float", "string", "bool"])
def test_a_case_id_is_an_integer_only(two_cases, judge_client, case_value):
    first, _ = two_cases
    value = {"float": first.pk + 0.5, "string": str(first.pk), "bool": True}[case_value]
    r = judge_client.post("/api/v1/lots/", {"case": value, "title": "房产", "category": "real_estate"}, format="json")
    assert r.status_code == 400, r.content
    assert r.json()["error"]["code"] == "invalid"
    assert "case" in r.json()["error"]["details"]
    assert not Lot.objects.exists()


@pytest.mark.parametrize("field,value", [("title", 123), ("description", 4.5), ("year_built", "2008"), ("year_built", 2008.0)])
def test_text_and_numbers_accept_their_own_type_only(enforcement_case, judge_client, field, value):
    body = {"case": enforcement_case.pk, "title": "房产", "category": "real_estate", field: value}
    r = judge_client.post("/api/v1/lots/", body, format="json")
    assert r.status_code == 400, r.content
    assert not Lot.objects.exists()


@pytest.mark.parametrize("holder", [
    {"name": "x"},
    {"name": "x", "id_number": " 110101199003070134"},
    {"name": "x", "id_number": "110101199003070135"},
    {"name": "x", "id_number": 110101199003070134},
    {"name": "x", "id_number": "110101199003070134", "rank": 1.0},
    {"id_number": "110101199003070134"},
])
@pytest.mark.parametrize("method", ["post", "patch"])
def test_an_incomplete_priority_holder_is_refused_on_create_and_on_update_alike(lot, enforcement_case, judge_client, holder, method):
    if method == "post":
        r = judge_client.post("/api/v1/lots/", {"case": enforcement_case.pk, "title": "房产", "category": "real_estate",
                                                 "priority_holders": [holder]}, format="json")
    else:
        r = judge_client.patch(f"/api/v1/lots/{lot.pk}/", {"priority_holders": [holder]}, format="json")
    assert r.status_code == 400, r.content
    assert r.json()["error"]["code"] == "invalid"
    assert "priority_holders" in r.json()["error"]["details"]
    assert not PriorityHolder.objects.exists()


def test_patch_stores_a_complete_holder_as_post_would(lot, judge_client):
    r = judge_client.patch(f"/api/v1/lots/{lot.pk}/", {"priority_holders": [HOLDER]}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["priority_holders"] == [HOLDER]
    partial = {k: v for k, v in HOLDER.items() if k not in {"rank", "basis"}}
    r = judge_client.patch(f"/api/v1/lots/{lot.pk}/", {"priority_holders": [partial]}, format="json")
    assert r.status_code == 200, r.content
    # The defaults apply on PATCH exactly as on POST.
    assert r.json()["priority_holders"] == [{**partial, "rank": 1, "basis": ""}]


def test_patch_refuses_what_post_refuses(lot, judge_client):
    for body in ({"title": ""}, {"title": 5}, {"category": "castle"}, {"reference_price": 1.5}, {"year_built": "1999"}):
        r = judge_client.patch(f"/api/v1/lots/{lot.pk}/", body, format="json")
        assert r.status_code == 400, (body, r.content)
    lot.refresh_from_db()
    assert lot.title
