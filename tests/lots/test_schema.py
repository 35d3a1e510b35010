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
