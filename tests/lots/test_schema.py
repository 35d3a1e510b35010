"""The OpenAPI schema is served and documents the platform's calls."""

import pytest
import yaml

pytestmark = pytest.mark.django_db


def test_openapi_schema_is_served(api_client):
    resp = api_client.get("/api/schema/")
    assert resp.status_code == 200
    schema = yaml.safe_load(resp.content)
    paths = schema["paths"]
    for path in ["/api/v1/auth/register/", "/api/v1/auth/token/", "/api/v1/cases/", "/api/v1/lots/", "/api/v1/lots/{id}/rounds/",
                 "/api/v1/lots/{id}/media/", "/api/v1/rounds/", "/api/v1/rounds/{id}/", "/api/v1/rounds/{id}/publish/",
                 "/api/v1/rounds/{id}/withdraw/", "/api/v1/media/{id}/complete/", "/api/v1/rounds/{id}/notify-parties/",
                 "/api/v1/rounds/{id}/cause-ended/"]:
        assert path in paths, path
    start = schema["components"]["schemas"]["RoundCreateRequest"]["properties"]["starting_price"]
    assert start["type"] == "integer"
    # The catalogue's filters of issue 15: new query parameters only, and the round's discount (additive).
    params = {p["name"]: p for p in paths["/api/v1/rounds/"]["get"]["parameters"]}
    assert {"province", "city", "district", "subtype", "round", "min_discount", "max_discount"} <= set(params)
    assert "ending_soon" in params["sort"]["schema"]["enum"]
    assert "discount" in schema["components"]["schemas"]["Round"]["properties"]
