"""Registration, tokens and the create_account command."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from auction_site.models import AuditRecord

pytestmark = pytest.mark.django_db

PERSON = {"username": "zhangsan", "password": "correct-horse-42", "real_name": "张三", "id_number": "11010519491231002X", "phone": "13800138000"}
COMPANY_CODE = "91350100M000100Y43"  # GB 32100 check character holds


def register(client, **change):
    return client.post("/api/v1/auth/register/", {**PERSON, **change}, format="json")


def test_register_a_person_then_get_a_token(api_client):
    resp = register(api_client)
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["role"] == "bidder" and body["id_kind"] == "resident_id"
    assert body["id_number"] == "110105********002X"  # masked
    user = User.objects.get(username="zhangsan")
    assert user.id_number == "11010519491231002X" and user.check_password("correct-horse-42")
    assert AuditRecord.objects.filter(action="account.registered").count() == 1
    token = api_client.post("/api/v1/auth/token/", {"username": "zhangsan", "password": "correct-horse-42"}, format="json")
    assert token.status_code == 200 and token.json()["token"] == body["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    me = api_client.get("/api/v1/auth/me/").json()
    assert me["username"] == "zhangsan" and me["real_name"] == "张三"


def test_register_a_company_by_credit_code(api_client):
    from accounts.rules import is_valid_uscc

    assert is_valid_uscc(COMPANY_CODE)
    resp = register(api_client, username="acme", real_name="苏州某某有限公司", id_number=COMPANY_CODE)
    assert resp.status_code == 201, resp.content
    assert resp.json()["id_kind"] == "uscc"


@pytest.mark.parametrize(("change", "code"), [
    ({"id_number": "110105194912310021"}, "invalid_id_number"),  # wrong GB 11643 check digit
    ({"id_number": "91350100M000100Y44"}, "invalid_id_number"),  # wrong GB 32100 check character
    ({"id_number": "110105194913310021"}, "invalid_id_number"),  # check digit right, but no 13th month
    ({"phone": "12345"}, "invalid_phone"),
    ({"real_name": "  "}, "invalid"),
    ({"password": "123"}, "weak_password"),
    ({"username": "a b"}, "invalid_username"),
    ({"id_number": 110105194912310021}, "invalid"),
])
def test_bad_registrations_are_refused(api_client, change, code):
    resp = register(api_client, **change)
    assert resp.status_code == 400, resp.content
    assert resp.json()["error"]["code"] == code
    assert not User.objects.exists()


def test_duplicate_id_number_is_refused(api_client):
    assert register(api_client).status_code == 201
    resp = register(api_client, username="another", id_number="11010519491231002x")
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "duplicate_id_number"
    assert User.objects.count() == 1
    assert register(api_client, id_number="110101199003070134").status_code == 409  # username taken


def test_wrong_password_gets_no_token(api_client):
    register(api_client)
    resp = api_client.post("/api/v1/auth/token/", {"username": "zhangsan", "password": "wrong-password"}, format="json")
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "invalid_credentials"
    assert api_client.post("/api/v1/auth/token/", "not json", content_type="application/json").status_code == 400
    assert api_client.get("/api/v1/auth/me/").status_code == 401


# create_account -------------------------------------------------------------------------------------


def test_create_judge(court):
    call_command("create_account", "--role", "judge", "--username", "wang", "--password", "judge-pass-123", "--real-name", "王法官",
                 "--court-code", "苏05")
    user = User.objects.get(username="wang")
    assert user.role == "judge" and user.court == court and user.check_password("judge-pass-123")


def test_create_judge_needs_a_known_court(db):
    with pytest.raises(CommandError, match="unknown_court"):
        call_command("create_account", "--role", "judge", "--username", "wang", "--password", "judge-pass-123", "--real-name", "王法官",
                     "--court-code", "京99")
    assert not User.objects.exists()


def test_create_valuer_joins_the_organisation(db):
    from valuation.models import Organisation, Valuer

    org = Organisation.objects.create(kind="inquiry_platform", code="P-JD", name="京东询价平台")
    call_command("create_account", "--role", "valuer", "--username", "val1", "--password", "valuer-pass-123", "--real-name", "估价师甲",
                 "--organisation", "P-JD")
    user = User.objects.get(username="val1")
    assert user.role == "valuer" and Valuer.objects.get(user=user).organisation == org


def test_create_valuer_of_unknown_organisation_fails_cleanly(db):
    with pytest.raises(CommandError, match="NOPE"):
        call_command("create_account", "--role", "valuer", "--username", "val1", "--password", "valuer-pass-123", "--real-name", "估价师甲",
                     "--organisation", "NOPE")
    assert not User.objects.exists()


def test_create_operator_and_party(enforcement_case):
    from lots.models import CaseParty

    call_command("create_account", "--role", "operator", "--username", "ops", "--password", "operator-pass-1", "--real-name", "运营")
    ops = User.objects.get(username="ops")
    assert ops.is_staff and not ops.is_superuser and ops.has_perm("lots.change_lot") and not ops.has_perm("escrow.change_ledgerentry")
    party_row = CaseParty.objects.create(case=enforcement_case, side="respondent", name="张三", id_number="32050219850612001X")
    call_command("create_account", "--role", "party", "--username", "zhangs", "--password", "party-pass-123", "--real-name", "张三",
                 "--id-number", "32050219850612001X")
    party_row.refresh_from_db()
    assert party_row.user.username == "zhangs"


def test_operator_can_use_admin(client, db):
    call_command("create_account", "--role", "operator", "--username", "ops", "--password", "operator-pass-1", "--real-name", "运营")
    client.login(username="ops", password="operator-pass-1")
    assert client.get("/admin/lots/lot/").status_code == 200
    assert client.get("/admin/lots/round/").status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 200
