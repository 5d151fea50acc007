"""The visit history pages: /visits/ with its filters, one visit's page, and the sections on
the household and cadre pages — each scoped for every persona (outside the scope is 404 or
an empty list, never another's rows)."""

from __future__ import annotations

import datetime as dt

import pytest

from lianxin.core.models import today
from lianxin.visits.choices import VisitMode

from .support import pair, visit

DAY = dt.timedelta(days=1)


@pytest.fixture
def visits(world):
    pair(world, world.household, since=today() - 40 * DAY)
    pair(world, world.household2, since=today() - 40 * DAY)
    return {
        "home": visit(world, world.household, today() - 2 * DAY, heard="说路灯坏了"),
        "phone": visit(world, world.household2, today() - DAY, mode=VisitMode.PHONE),
        "old": visit(world, world.household, today() - 35 * DAY),
    }


SEE_ALL = (
    "city_admin",
    "township_staff",
    "village_staff",
    "cadre_user",
    "info_group",
    "leader_user",
)
SEE_NONE = ("outsider", "handler")


@pytest.mark.parametrize("persona", SEE_ALL)
def test_it_lists_the_visits_in_scope(world, login, visits, persona):
    page = login(getattr(world, persona)).get("/visits/")
    assert page.status_code == 200
    assert page.content.decode().count('href="/visits/') >= 3


@pytest.mark.parametrize("persona", SEE_NONE)
def test_it_lists_nothing_and_404s_a_visit_outside_the_scope(world, login, visits, persona):
    client = login(getattr(world, persona))
    assert f'href="/visits/{visits["home"].pk}/"' not in client.get("/visits/").content.decode()
    assert client.get(f"/visits/{visits['home'].pk}/").status_code == 404


@pytest.mark.parametrize("persona", ("system_admin", "security_admin", "audit_admin"))
def test_it_has_no_visit_pages_for_the_separated_admins(world, login, visits, persona):
    client = login(getattr(world, persona))
    assert client.get("/visits/").status_code == 404
    assert client.get(f"/visits/{visits['home'].pk}/").status_code == 404


def test_it_filters_by_household_cadre_dates_and_mode(world, login, visits):
    client = login(world.township_staff)

    def shown(query):
        body = client.get("/visits/" + query).content.decode()
        return {k for k, v in visits.items() if f'href="/visits/{v.pk}/"' in body}

    assert shown(f"?household={world.household.pk}") == {"home", "old"}
    assert shown(f"?cadre={world.cadre.pk}&mode=phone") == {"phone"}
    start = (today() - 10 * DAY).isoformat()
    assert shown(f"?start={start}") == {"home", "phone"}
    assert shown(f"?from={start}&to={(today() - 2 * DAY).isoformat()}") == {"home"}
    # The API twin answers the same rows for the same filters.
    api = client.get("/api/visits", {"household": world.household.pk}).json()
    assert {v["id"] for v in api["items"]} == {visits["home"].pk, visits["old"].pk}


def test_it_refuses_a_bad_filter_in_chinese_with_400(world, login, visits):
    client = login(world.city_admin)
    for query in ("?start=2025-13-01", "?mode=gps", "?start=2025-03-02&end=2025-03-01", "?cadre=x"):
        response = client.get("/visits/" + query)
        assert response.status_code == 400, query
        assert "errorlist" in response.content.decode()


def test_it_shows_a_visit_with_what_was_heard(world, login, visits):
    body = login(world.village_staff).get(f"/visits/{visits['home'].pk}/").content.decode()
    assert "说路灯坏了" in body and world.household.number in body


def test_it_shows_the_households_visits_and_confirmations_on_its_page(world, login, visits):
    body = login(world.township_staff).get(f"/people/households/{world.household.pk}/")
    text = body.content.decode()
    assert f'href="/visits/{visits["home"].pk}/"' in text
    assert f'href="/visits/{visits["phone"].pk}/"' not in text
    assert f"/visits/?household={world.household.pk}" in text


def test_it_shows_the_cadres_visits_on_the_cadre_page(world, login, visits):
    text = login(world.city_admin).get(f"/org/cadres/{world.cadre.pk}/").content.decode()
    assert all(f'href="/visits/{v.pk}/"' in text for v in visits.values())
    assert f"/visits/?cadre={world.cadre.pk}" in text
