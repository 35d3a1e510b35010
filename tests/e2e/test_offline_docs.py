"""The API documentation page works offline: Swagger UI comes from the site's own static
files (drf-spectacular-sidecar), so a browser with every outside request blocked still renders it, every call listed."""

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.live]


def test_api_docs_render_with_the_network_blocked(live_daphne, new_context, screenshot):
    path, rendered = "/api/docs/", ".swagger-ui .info .title"
    base = live_daphne.url
    outside: list[str] = []

    def only_our_site(route):
        url = route.request.url
        if url.startswith(base) or url.startswith("data:") or url.startswith("blob:"):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page = new_context().new_page()
    page.route("**/*", only_our_site)
    page.goto(f"{base}{path}")
    title = page.locator(rendered).first
    title.wait_for(timeout=20000)
    assert "Judicial auction" in title.inner_text() or "司法拍卖" in title.inner_text()
    page.locator(".opblock").first.wait_for(timeout=20000)
    assert page.locator(".opblock").count() > 40  # the calls of the contract, each one expandable
    screenshot(page, "api-docs-offline")
    assert outside == [], f"{path} asked for outside resources: {outside}"
