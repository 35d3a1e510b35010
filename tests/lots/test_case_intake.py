"""Case intake from the enforcement case system: signed, idempotent create/update of case mirrors."""

import json
import time

import pytest

from auction_site import clock, signing
from auction_site.models import AuditRecord
from lots import intake
from lots.models import CaseParty, EnforcementCase, IntakeRequest

pytestmark = pytest.mark.django_db
URL = "/api/v1/intake/cases/"
SECRET = "su05-intake-secret"
CASE = {"case_number": "(2025)苏05执77号", "applicants": ["苏州银行股份有限公司"], "respondents": ["张三"], "amount_owed": 123_456_00}


@pytest.fixture(autouse=True)
def secrets(settings, court, other_court):
    settings.CASE_INTAKE_SECRETS = {"苏05": SECRET, "浙01": "zhe01-secret"}


def send(client, payload, *, key="k-1", court="苏05", secret=SECRET, ts=None, body=None, signature=None):
    raw = body if body is not None else json.dumps(payload, ensure_ascii=False).encode()
    message = intake.signed_message(court, key or "", raw)
    header = signature or signing.header_value(secret, ts if ts is not None else int(time.time()), message)
    headers = {"HTTP_X_COURT": court, "HTTP_X_SIGNATURE": header}
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.generic("POST", URL, raw, content_type="application/json", **headers), header


def _snapshot():
    return (list(EnforcementCase.objects.values_list("case_number", "applicants", "respondents", "amount_owed").order_by("id")),
            CaseParty.objects.count(), IntakeRequest.objects.count(), AuditRecord.objects.count())


def test_create_then_repeat_then_update(api_client):
    t0 = int(time.time())  # the retry below is signed a second later: a fresh signature, not a replay
    resp, _ = send(api_client, CASE, ts=t0)
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["outcome"] == "created" and body["case"]["court"] == "苏05" and body["case"]["amount_owed"] == 123_456_00
    case = EnforcementCase.objects.get(case_number="(2025)苏05执77号")
    assert sorted(case.parties.values_list("side", "name")) == [("applicant", "苏州银行股份有限公司"), ("respondent", "张三")]
    assert AuditRecord.objects.filter(action="case.created", actor="case-system:苏05").count() == 1

    # The same key and body again (a retry with a fresh signature): the first answer, nothing duplicated.
    before = _snapshot()
    again, _ = send(api_client, CASE, ts=t0 + 1)
    assert again.status_code == 201 and again.json() == body and again["Idempotent-Replayed"] == "true"
    assert _snapshot() == before

    # A new change with a new key: the mirror is updated, the parties follow, audited.
    changed = {**CASE, "respondents": ["张三", "李四"], "amount_owed": 200_000_00}
    upd, _ = send(api_client, changed, key="k-2")
    assert upd.status_code == 200 and upd.json()["outcome"] == "updated"
    case.refresh_from_db()
    assert case.amount_owed == 200_000_00 and case.respondents == ["张三", "李四"]
    assert case.parties.filter(side="respondent").count() == 2
    audit = AuditRecord.objects.get(action="case.updated")
    assert audit.data["before"]["amount_owed"] == 123_456_00 and audit.data["after"]["amount_owed"] == 200_000_00
    assert EnforcementCase.objects.filter(case_number="(2025)苏05执77号").count() == 1
    # The same content under yet another key: unchanged.
    same, _ = send(api_client, changed, key="k-3")
    assert same.status_code == 200 and same.json()["outcome"] == "unchanged"


@pytest.mark.parametrize("case", ["bad_signature", "wrong_secret", "stale", "future", "unknown_court", "no_header"])
def test_signature_refusals_change_nothing(api_client, case):
    before = _snapshot()
    now = int(time.time())
    kwargs = {
        "bad_signature": {"signature": f"t={now},v1={'0' * 64}"},
        "wrong_secret": {"secret": "guess"},
        "stale": {"ts": now - signing.TOLERANCE_SECONDS - 5},
        "future": {"ts": now + signing.TOLERANCE_SECONDS + 5},
        "unknown_court": {"court": "京01"},
        "no_header": {"signature": "nonsense"},
    }[case]
    resp, _ = send(api_client, CASE, **kwargs)
    assert resp.status_code == 401
    expected = "stale_timestamp" if case in {"stale", "future"} else "bad_signature"
    assert resp.json()["error"]["code"] == expected
    assert _snapshot() == before


def test_replayed_request_is_refused(api_client):
    first, header = send(api_client, CASE)
    assert first.status_code == 201
    before = _snapshot()
    replay, _ = send(api_client, CASE, signature=header)
    assert replay.status_code == 409 and replay.json()["error"]["code"] == "replayed"
    assert _snapshot() == before


def test_key_reused_for_another_body_is_refused(api_client):
    send(api_client, CASE)
    before = _snapshot()
    resp, _ = send(api_client, {**CASE, "amount_owed": 1})
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "idempotency_key_reused"
    assert _snapshot() == before


@pytest.mark.parametrize("body, code", [
    (b"{not json", "malformed"),
    (json.dumps({**CASE, "amount_owed": "12"}).encode(), "invalid"),
    (json.dumps({**CASE, "applicants": []}).encode(), "invalid"),
    (json.dumps({**CASE, "case_number": "123"}).encode(), "invalid_case_number"),
    (json.dumps({**CASE, "case_number": "(2025)浙01执1号"}).encode(), "case_number_court_mismatch"),
    (json.dumps([1, 2]).encode(), "invalid"),
])
def test_malformed_bodies_are_refused(api_client, body, code):
    before = _snapshot()
    resp, _ = send(api_client, None, body=body)
    assert resp.status_code == 400, resp.content
    assert resp.json()["error"]["code"] == code
    assert _snapshot() == before


def test_missing_idempotency_key(api_client):
    resp, _ = send(api_client, CASE, key=None)
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "invalid"


def test_another_courts_case_is_refused(api_client, other_court):
    EnforcementCase.objects.create(court=other_court, case_number="(2025)苏05执77号", applicants=["甲"], respondents=["乙"],
                                   amount_owed=1, created_at=clock.now())
    before = _snapshot()
    resp, _ = send(api_client, CASE)
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "other_court"
    assert _snapshot() == before


def test_intake_in_openapi_schema(api_client):
    schema = api_client.get("/api/schema/?format=json").json()
    op = schema["paths"]["/api/v1/intake/cases/"]["post"]
    names = {p["name"] for p in op["parameters"]}
    assert {"X-Court", "X-Signature", "Idempotency-Key"} <= names
