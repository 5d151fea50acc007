"""The rates page (/visits/rates/): the figures with their definitions, drilling from township
to village to cadre and from unit to cadre, the user's scope (an outsider's region or unit is
404), and a number of queries that does not grow with the households or visits."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lianxin.core.models import today
from lianxin.visits.choices import VisitMode
from lianxin.visits.rates import DEFINITIONS
from tests.factories import household as make_household

from .support import pair, visit

URL = "/visits/rates/"


@pytest.fixture
def visited(world):
    """The world's two 文井江镇 households paired with its cadre; one met in person today,
    the other called."""
    since = today() - dt.timedelta(days=60)
    pair(world, world.household, since=since)
    pair(world, world.household2, since=since)
    visit(world, world.household, today())
    visit(world, world.household2, today(), mode=VisitMode.PHONE)
    return world


def test_it_shows_each_figure_with_its_definition(visited, login):
    page = login(visited.city_admin).get(URL)
    assert page.status_code == 200
    text = page.content.decode()
    for definition in DEFINITIONS.values():
        assert definition in text
    assert "文井江镇" in text and "见面率" in text and "对话率" in text
    assert page.context["total"].met == 1 and page.context["total"].talked == 2
    assert page.context["level"] == "township"


def test_it_drills_from_township_to_village_to_cadre(visited, login):
    client = login(visited.city_admin)
    villages = client.get(URL, {"level": "village", "region": visited.township.pk})
    names = [r.name for r in villages.context["page"]]
    assert names == ["大坪村"]
    assert f"level=cadre&amp;region={visited.village.pk}" in villages.content.decode()
    cadres = client.get(URL, {"level": "cadre", "region": visited.village.pk})
    assert [(r.name, r.households, r.met) for r in cadres.context["page"]] == [("马林增", 2, 1)]
    by_unit = client.get(URL, {"level": "cadre", "unit": visited.unit.pk, "period": "近"})
    assert by_unit.status_code == 400 and "无法识别的统计期间" in by_unit.content.decode()
    by_unit = client.get(URL, {"level": "cadre", "unit": visited.unit.pk})
    assert [r.name for r in by_unit.context["page"]] == ["马林增"]


def test_it_starts_a_townships_staff_at_its_villages(visited, login):
    page = login(visited.township_staff).get(URL)
    assert page.context["level"] == "village"
    assert [r.name for r in page.context["page"]] == ["大坪村"]


def test_it_answers_404_for_a_region_or_unit_outside_the_scope(visited, login):
    client = login(visited.outsider)
    assert client.get(URL, {"region": visited.township.pk}).status_code == 404
    assert client.get(URL, {"region": visited.village.pk}).status_code == 404
    assert client.get(URL, {"unit": visited.unit.pk}).status_code == 404
    own = client.get(URL)
    assert own.status_code == 200 and own.context["total"].households == 0


def test_it_shows_a_cadre_only_their_own_figures(visited, login):
    other = make_household(visited.county, visited.other_group, "51018411000000199", head="李四")
    from lianxin.org.services import do_create_cadre

    colleague = do_create_cadre(
        unit=visited.other_unit, staff_no="C0999", name="王五", post="科员", acting_user=None
    )
    pair(visited, other, cadre=colleague, since=today() - dt.timedelta(days=30))
    page = login(visited.cadre_user).get(URL)
    assert page.status_code == 200
    assert [r.name for r in page.context["page"]] == ["马林增"]
    assert page.context["total"].households == 2


def test_it_refuses_the_system_administrator_and_a_bad_level(visited, login):
    assert login(visited.system_admin).get(URL).status_code == 403
    bad = login(visited.city_admin).get(URL, {"level": "planet"})
    assert bad.status_code == 400 and "无法识别的统计层级" in bad.content.decode()


def _queries(client, params) -> int:
    client.get(URL, params)
    with CaptureQueriesContext(connection) as captured:
        answer = client.get(URL, params)
    assert answer.status_code == 200
    return len(captured)


def _more(world, n: int, start: int) -> None:
    since = today() - dt.timedelta(days=40)
    for i in range(start, start + n):
        h = make_household(world.county, world.group2, f"510184110000{i:05d}", head="郭一")
        pair(world, h, since=since)
        visit(world, h, today() - dt.timedelta(days=i % 3))


@pytest.mark.parametrize(
    "params",
    [{}, {"level": "village"}, {"level": "unit"}, {"level": "cadre"}, {"period": "2025"}],
)
def test_it_answers_3_or_30_households_in_the_same_queries(visited, login, params):
    client = login(visited.city_admin)
    _more(visited, 3, 9000)
    few = _queries(client, params)
    _more(visited, 27, 9100)
    assert _queries(client, params) == few
