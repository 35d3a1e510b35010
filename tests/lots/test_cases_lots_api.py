"""Cases and lots through the API: what a judge can do, what others are refused, and bad input."""

import pytest

from auction_site.models import AuditRecord
from escrow.models import LedgerAccount
from lots.models import CaseParty, EnforcementCase, Lot
from tests.lots.conftest import REFERENCE

pytestmark = pytest.mark.django_db

CASE = {"case_number": "(2025)苏05执88号", "applicants": ["苏州银行股份有限公司"], "respondents": ["张三", "李四"], "amount_owed": 123_456_00}


def lot_payload(case_id: int, **extra) -> dict:
    body = {
        "case": case_id, "title": "苏州工业园区星湖街328号商铺", "category": "real_estate", "description": "商铺一间", "location": "星湖街328号",
        "city": "苏州", "size": "88.50", "size_unit": "㎡", "year_built": 2012, "defects_and_encumbrances": "设有抵押",
        "occupancy": "出租中", "title_status": "产权清晰", "judgment_enforced": "(2023)苏05民初1号", "transfer_tax_payer": "buyer",
        "priority_holders": [{"name": "承租人王五", "id_number": "110101199003070134", "rank": 1}],
        "reference_price": REFERENCE, "reference_price_source": "当事人议价",
    }
    body.update(extra)
    return body


# cases --------------------------------------------------------------------------------------------------


def test_judge_opens_a_case_with_its_own_account(judge_client, judge, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # escrow opens the account once the case is committed
        resp = judge_client.post("/api/v1/cases/", CASE, format="json")
    assert resp.status_code == 201, resp.content
    case = EnforcementCase.objects.get(pk=resp.json()["id"])
    assert case.court_id == judge.court_id and case.amount_owed == 123_456_00
    assert LedgerAccount.objects.filter(case=case, kind="case").count() == 1
    assert sorted(CaseParty.objects.filter(case=case).values_list("side", "name")) == [
        ("applicant", "苏州银行股份有限公司"), ("respondent", "张三"), ("respondent", "李四")]
    assert resp.json()["court"] == "苏05"
    assert AuditRecord.objects.filter(action="case.created").count() == 1
    listed = judge_client.get("/api/v1/cases/").json()
    assert [c["case_number"] for c in listed] == ["(2025)苏05执88号"]


@pytest.mark.parametrize("number", ["2025苏05执88号", "(2025)苏05民初88号", "(25)苏05执88号", "(2025)苏05执号", "(2025)苏05执88"])
def test_malformed_case_numbers_are_refused(judge_client, number):
    resp = judge_client.post("/api/v1/cases/", {**CASE, "case_number": number}, format="json")
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "invalid_case_number"
    assert not EnforcementCase.objects.exists()


@pytest.mark.parametrize("number", ["(2025)苏05执恢12号", "(2025)苏05执保3号", "（2025）苏05执7号"])
def test_case_number_kinds(judge_client, number):
    assert judge_client.post("/api/v1/cases/", {**CASE, "case_number": number}, format="json").status_code == 201


def test_case_number_must_carry_the_judges_court_code(judge_client):
    resp = judge_client.post("/api/v1/cases/", {**CASE, "case_number": "(2025)浙01执88号"}, format="json")
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "case_number_court_mismatch"
    assert not EnforcementCase.objects.exists()


def test_duplicate_case_is_a_conflict(judge_client):
    assert judge_client.post("/api/v1/cases/", CASE, format="json").status_code == 201
    resp = judge_client.post("/api/v1/cases/", CASE, format="json")
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "duplicate_case"
    assert EnforcementCase.objects.count() == 1


@pytest.mark.parametrize("amount", [1.5, "1000", -1, True, None])
def test_case_amount_must_be_integer_fen(judge_client, amount):
    resp = judge_client.post("/api/v1/cases/", {**CASE, "amount_owed": amount}, format="json")
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "invalid"
    assert not EnforcementCase.objects.exists()


def test_case_refusals_for_other_roles(api_client, as_user, bidder, other_judge, enforcement_case):
    assert api_client.post("/api/v1/cases/", CASE, format="json").status_code == 401
    assert as_user(bidder).post("/api/v1/cases/", CASE, format="json").status_code == 403
    other = as_user(other_judge)
    assert other.post("/api/v1/cases/", CASE, format="json").status_code == 400  # 苏05 is not their court
    assert other.get(f"/api/v1/cases/{enforcement_case.pk}/").status_code == 403
    assert other.get("/api/v1/cases/").json() == []
    assert EnforcementCase.objects.count() == 1


def test_malformed_json_is_refused(judge_client):
    resp = judge_client.generic("POST", "/api/v1/cases/", '{"case_number": "(2025)苏05执1号",', content_type="application/json")
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "malformed"
    assert not EnforcementCase.objects.exists()


# lots ---------------------------------------------------------------------------------------------------


def test_judge_creates_and_changes_a_draft_lot(judge_client, enforcement_case):
    resp = judge_client.post("/api/v1/lots/", lot_payload(enforcement_case.pk), format="json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    lot = Lot.objects.get(pk=body["id"])
    assert lot.reference_price == REFERENCE and lot.reference_price_fixed_at is not None
    assert body["priority_holders"] == [{"name": "承租人王五", "id_number": "110101199003070134", "rank": 1, "basis": ""}]
    resp = judge_client.patch(f"/api/v1/lots/{lot.pk}/", {"title": "新标题", "occupancy": "空置"}, format="json")
    assert resp.status_code == 200, resp.content
    lot.refresh_from_db()
    assert (lot.title, lot.occupancy) == ("新标题", "空置")


def test_published_lot_cannot_be_changed(judge_client, announced_round):
    lot = announced_round.lot
    resp = judge_client.patch(f"/api/v1/lots/{lot.pk}/", {"title": "改过的标题"}, format="json")
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "lot_published"
    lot.refresh_from_db()
    assert lot.title != "改过的标题"


def test_lot_refusals_for_other_roles(api_client, as_user, bidder, other_judge, lot):
    before = Lot.objects.count()
    body = lot_payload(lot.case_id)
    assert api_client.post("/api/v1/lots/", body, format="json").status_code == 401
    assert as_user(bidder).post("/api/v1/lots/", body, format="json").status_code == 403
    assert as_user(other_judge).post("/api/v1/lots/", body, format="json").status_code == 403
    assert Lot.objects.count() == before
    for client, status in [(api_client, 401), (as_user(bidder), 403), (as_user(other_judge), 403)]:
        assert client.patch(f"/api/v1/lots/{lot.pk}/", {"title": "x"}, format="json").status_code == status
        assert client.post(f"/api/v1/lots/{lot.pk}/rounds/", {}, format="json").status_code == status
    lot.refresh_from_db()
    assert lot.title != "x" and not lot.rounds.exists()
    # A draft lot is not visible to the public or another court.
    assert api_client.get(f"/api/v1/lots/{lot.pk}/").status_code == 404
    assert as_user(other_judge).get(f"/api/v1/lots/{lot.pk}/").status_code == 404
    assert as_user(other_judge).get("/api/v1/lots/").json() == []


@pytest.mark.parametrize(("change", "field"), [
    ({"case": 999999}, "case"), ({"category": "spaceship"}, "category"), ({"reference_price": 1234.5}, "reference_price"),
    ({"reference_price": "4727500"}, "reference_price"), ({"title": 12}, "title"), ({"year_built": "2012"}, "year_built"),
    ({"priority_holders": [{"name": "x", "id_number": "110101199003070135"}]}, "priority_holders"),
    ({"title": "x" * 301}, "title"),
])
def test_bad_lot_input_is_refused(judge_client, enforcement_case, change, field):
    resp = judge_client.post("/api/v1/lots/", lot_payload(enforcement_case.pk, **change), format="json")
    assert resp.status_code == 400, resp.content
    assert field in resp.json()["error"]["details"]
    assert not Lot.objects.exists()


@pytest.mark.parametrize("change", [
    {"starting_price": 3309250.5}, {"starting_price": "330925000"}, {"deposit": -5}, {"increment": 0}, {"starts_at": "tomorrow"},
    {"proxy_bidding_enabled": "yes"},
])
def test_bad_round_input_is_refused(judge_client, lot, change):
    from tests.lots.conftest import round_payload

    resp = judge_client.post(f"/api/v1/lots/{lot.pk}/rounds/", round_payload(**change), format="json")
    assert resp.status_code == 400, resp.content
    assert not lot.rounds.exists()


def test_unknown_ids_are_404(judge_client, api_client):
    assert judge_client.patch("/api/v1/lots/999999/", {"title": "x"}, format="json").status_code == 404
    assert judge_client.post("/api/v1/lots/999999/rounds/", {}, format="json").status_code == 404
    assert judge_client.post("/api/v1/rounds/999999/publish/", {}, format="json").status_code == 404
    assert api_client.get("/api/v1/rounds/999999/").json()["error"]["code"] == "not_found"
    assert judge_client.get("/api/v1/cases/999999/").status_code == 404


def test_huge_body_is_refused(judge_client, enforcement_case):
    body = lot_payload(enforcement_case.pk, description="字" * (3 * 1024 * 1024))
    resp = judge_client.post("/api/v1/lots/", body, format="json")
    assert resp.status_code in (400, 413)
    assert "error" in resp.json()
    assert not Lot.objects.exists()


def test_lot_cannot_move_to_another_case(judge_client, lot, court):
    other = EnforcementCase.objects.create(court=court, case_number="(2025)苏05执2号", applicants=["a"], respondents=["b"], amount_owed=1,
                                           created_at=lot.created_at)
    resp = judge_client.patch(f"/api/v1/lots/{lot.pk}/", {"case": other.pk}, format="json")
    assert resp.status_code == 400
    lot.refresh_from_db()
    assert lot.case_id != other.pk
