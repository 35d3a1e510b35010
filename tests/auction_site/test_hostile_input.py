"""Hostile bodies (issue 13): deep JSON and broken multipart get a 4xx in the contract's error shape
on every POST/PATCH of the API, from the test client and from a real Daphne, and change nothing."""

import urllib.error
import urllib.request

import pytest
from django.test import Client

from auction_site.parsers import MAX_JSON_DEPTH, json_depth

DEEP = "[" * 5000 + "]" * 5000


def _in_error_shape(body) -> bool:
    error = body.get("error") if isinstance(body, dict) else None
    return isinstance(error, dict) and isinstance(error.get("code"), str) and isinstance(error.get("message"), str)


def _write_operations() -> list[tuple[str, str]]:
    """Every POST/PATCH/PUT of the published schema, with 1 for each path parameter."""
    import re

    schema = Client().get("/api/schema/?format=json").json()
    ops = []
    for path, item in schema["paths"].items():
        for method in item:
            if method in {"post", "patch", "put"}:
                ops.append((method, re.sub(r"\{[^}]+\}", "1", path)))
    return ops


def test_depth_is_measured_without_recursion_and_ignores_brackets_in_strings():
    assert json_depth(DEEP) == MAX_JSON_DEPTH + 1  # stops counting past the bound
    assert json_depth('{"a": [1, {"b": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}]}') == 3
    assert json_depth('{"a": "\\"[[[[", "b": [[]]}') == 3
    assert json_depth("[" * (MAX_JSON_DEPTH + 1)) == MAX_JSON_DEPTH + 1


@pytest.mark.django_db
def test_deep_json_is_a_400_in_the_error_shape_on_every_write(judge):
    from rest_framework.authtoken.models import Token

    ops = _write_operations()
    assert len(ops) >= 30
    token = Token.objects.create(user=judge).key
    client = Client(raise_request_exception=False)
    for method, path in ops:
        for headers in ({}, {"HTTP_AUTHORIZATION": f"Token {token}"}):
            resp = getattr(client, method)(path, data=DEEP, content_type="application/json", **headers)
            assert resp.status_code == 400, (method, path, resp.status_code)
            body = resp.json()
            assert _in_error_shape(body) and body["error"]["code"] == "malformed", (method, path, body)


@pytest.mark.django_db
def test_deep_json_under_any_declared_type_is_refused(client):
    for content_type in ("application/json; charset=utf-8", "*/*", "application/*", "text/plain"):
        resp = client.post("/api/v1/auth/register/", data=DEEP, content_type=content_type)
        assert resp.status_code in {400, 415}, content_type
        assert _in_error_shape(resp.json())


@pytest.mark.django_db
def test_json_within_the_bound_still_parses(client):
    nested = "[" * 10 + "]" * 10
    resp = client.post("/api/v1/testing/clock/", data='{"advance_seconds": ' + nested + '}', content_type="application/json")
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "invalid"


def _send(url: str, method: str, body: bytes, content_type: str, token: str | None = None):
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Token {token}"
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


BROKEN_MULTIPART = [
    ("multipart/form-data", b"garbage"),
    ("multipart/form-data; boundary=xyz", b"garbage"),
    ("multipart/form-data; boundary=xyz", b"--xyz\r\nContent-Disposition: form-data\r\n\r\nx"),
    ("multipart/form-data; boundary=", b"x"),
]


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_a_real_server_answers_hostile_bodies_in_the_error_shape(live_daphne, judge):
    """Under Daphne, Twisted used to answer broken multipart POSTs with an empty 400 before Django,
    and deep JSON ended in a 500 page."""
    import json

    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=judge).key
    ops = _write_operations()
    for method, path in ops:
        for auth in (None, token):
            cases = [("application/json", DEEP.encode())] + BROKEN_MULTIPART
            for content_type, body in cases:
                status, ctype, raw = _send(live_daphne.url + path, method.upper(), body, content_type, auth)
                assert 400 <= status < 500, (method, path, content_type, status)
                assert ctype.startswith("application/json"), (method, path, content_type, status, raw[:80])
                assert _in_error_shape(json.loads(raw)), (method, path, content_type, raw[:200])


@pytest.mark.django_db
def test_broken_multipart_is_refused_in_the_error_shape_by_django_too(judge):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=judge).key
    client = Client(raise_request_exception=False)
    for method, path in _write_operations():
        for content_type, body in BROKEN_MULTIPART:
            resp = getattr(client, method)(path, data=body, content_type=content_type, HTTP_AUTHORIZATION=f"Token {token}")
            assert 400 <= resp.status_code < 500, (method, path, content_type, resp.status_code)
            assert _in_error_shape(resp.json()), (method, path, content_type, resp.content[:200])


@pytest.mark.django_db
def test_every_api_4xx_is_in_the_error_shape_even_below_drf(client):
    # A plain Django view under /api/ (the Stripe webhook) answering a wrong method.
    resp = client.get("/api/v1/escrow/webhooks/stripe/")
    assert resp.status_code == 405
    assert _in_error_shape(resp.json()) and resp.json()["error"]["code"] == "method_not_allowed"
    assert "POST" in resp["Allow"]
