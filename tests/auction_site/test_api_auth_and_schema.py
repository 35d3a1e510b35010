"""Issue 13, point 6: anonymous callers of protected calls get 401 (not 403), and the OpenAPI schema
documents the 4xx answers of every call, each in the one error shape."""

import pytest
from django.test import Client

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def schema(db):
    return Client().get("/api/schema/?format=json").json()


def test_every_call_documents_its_refusals_in_the_error_shape(schema):
    assert "ApiError" in schema["components"]["schemas"]
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            statuses = {s for s in op["responses"] if s.startswith("4")}
            assert {"400", "401", "403", "404"} <= statuses, (method, path, sorted(op["responses"]))
            for status in statuses:
                content = op["responses"][status]["content"]["application/json"]["schema"]
                assert content == {"$ref": "#/components/schemas/ApiError"}, (method, path, status)


@pytest.mark.parametrize("method,path", [
    ("post", "/api/v1/auth/register/"), ("post", "/api/v1/rounds/{round_id}/bids/"),
    ("post", "/api/v1/rounds/{round_id}/pay-balance/"), ("post", "/api/v1/rounds/{id}/settle/"), ("post", "/api/v1/testing/clock/"),
])
def test_the_calls_named_in_the_issue_document_their_4xx(schema, method, path):
    assert {"400", "401", "404"} <= set(schema["paths"][path][method]["responses"])


def test_anonymous_gets_401_on_the_case_outcome(enforcement_case):
    r = Client().get(f"/api/v1/cases/{enforcement_case.pk}/outcome/")
    assert r.status_code == 401 and r.json()["error"]["code"] == "not_authenticated"


@pytest.mark.django_db
def test_anonymous_gets_401_on_every_call_that_needs_an_account(schema, enforcement_case, judge):
    """Every write whose schema asks for credentials (no anonymous alternative), called anonymously; reads of
    such views that the public may make (a published lot) answer 404 for what the public cannot see."""
    import re

    client = Client(raise_request_exception=False)
    checked = 0
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method not in METHODS or {} in op.get("security", [{}]):
                continue
            url = re.sub(r"\{[^}]+\}", str(enforcement_case.pk), path)
            r = getattr(client, method)(url, data="{}", content_type="application/json") if method != "get" else client.get(url)
            if method == "get" and r.status_code == 404:
                continue
            assert r.status_code == 401, (method, path, r.status_code, r.content[:200])
            assert r.json()["error"]["code"] == "not_authenticated"
            assert r.has_header("WWW-Authenticate")
            checked += 1
    assert checked >= 30
