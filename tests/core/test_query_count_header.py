"""The bench's query count (X-Query-Count): only where switched on, and equal to the queries run."""

import re

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import Resolver404, resolve

from bench.pages import PAGES, PLACES

COUNTING = ["lianxin.core.middleware.QueryCountMiddleware", *settings.MIDDLEWARE]


def test_it_is_off_unless_switched_on(world, login):
    assert "lianxin.core.middleware.QueryCountMiddleware" not in settings.MIDDLEWARE
    assert "X-Query-Count" not in login(world.city_admin).get("/people/households/")


def test_it_counts_every_query_of_the_answer(world, login):
    client = login(world.city_admin)
    with override_settings(MIDDLEWARE=COUNTING), CaptureQueriesContext(connection) as queries:
        answer = client.get("/people/households/")
    assert answer.status_code == 200
    assert int(answer["X-Query-Count"]) == len(queries) > 0


def test_it_benches_pages_that_exist():
    # Every page of the bench's one list resolves, with its placeholders from PLACES.
    places = {name: 1 for name in PLACES}
    for page in PAGES:
        path = page.path.format(**places).split("?")[0]
        try:
            resolve(path)
        except Resolver404:
            raise AssertionError(f"{page.name}: {path} is no page") from None
        assert set(re.findall(r"\{(\w+)\}", page.reference)) <= set(PLACES), page.name
