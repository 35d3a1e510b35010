"""GET /api/v1/avm/estimate/: public, read-only, 400 on bad input."""

import pytest
from django.core.cache import cache

URL = "/api/v1/avm/estimate/"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def test_public_estimate(demo_sales, api_client):
    r = api_client.get(URL, {"category": "real_estate", "city": "苏州", "size": "90", "year_built": 2012, "kind": "apartment"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["abstained"] is False
    assert isinstance(body["price"], int) and body["low"] < body["price"] < body["high"]
    assert body["comparables"] and all(c["city"] == "苏州" for c in body["comparables"])


def test_abstention_says_why(demo_sales, api_client):
    r = api_client.get(URL, {"category": "equity", "city": "苏州", "size": "100"})
    assert r.status_code == 200
    assert r.json()["abstained"] is True and "8" in r.json()["reason"]


@pytest.mark.parametrize("params", [
    {"category": "real_estate", "city": "苏州", "size": "-3"},
    {"category": "real_estate", "city": "苏州", "size": "abc"},
    {"category": "spaceship", "city": "苏州", "size": "90"},
    {"category": "real_estate", "size": "90"},
    {"category": "real_estate", "city": "苏州", "size": "90", "year_built": "soon"},
])
def test_bad_input_is_a_400_in_the_contract_shape(db, api_client, params):
    r = api_client.get(URL, params)
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid"


def test_estimate_is_rate_limited(db, api_client):
    responses = [api_client.get(URL, {"category": "equity", "city": "苏州", "size": "1"}) for _ in range(35)]
    assert responses[0].status_code == 200 and responses[-1].status_code == 429
    assert responses[-1].json()["error"]["code"] == "throttled"
