"""/api/docs works on an intranet: with every request to another host refused, the Swagger page
draws the API's operations from assets the app serves, within the Content-Security-Policy
(the page fixture fails the test on any violation)."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.factories import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_draws_the_api_docs_with_no_other_host_reachable(page, sign_in, live_server):
    build_world()
    ours = urlparse(live_server.url).netloc
    elsewhere: list[str] = []

    def only_ours(route):
        if urlparse(route.request.url).netloc == ours:
            return route.continue_()
        elsewhere.append(route.request.url)
        return route.abort()

    page.route("**/*", only_ours)
    sign_in("city", PASSWORD)
    page.goto("/api/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=20000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/households" in paths
    assert elsewhere == []
