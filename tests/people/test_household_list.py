"""The household list, page and API: scope, filters, paging, query counts."""

import pytest
from django.urls import reverse

from lianxin.people.choices import HardshipKind
from lianxin.people.services import do_add_hardship
from tests import factories
from tests.people.support import add_households, count_queries

URL = reverse("people:household_list")


def _page_numbers(client, params=None) -> list[str]:
    response = client.get(URL, params or {})
    assert response.status_code == 200
    return [h.number for h in response.context["page"]]


def _api_numbers(client, params=None) -> list[str]:
    response = client.get("/api/households", params or {})
    assert response.status_code == 200
    return [h["number"] for h in response.json()["items"]]


def test_it_lists_the_households_in_the_township(world, login):
    client = login(world.township_staff)
    assert _page_numbers(client) == ["51018411000000001", "51018411000000002"]
    assert _api_numbers(client) == ["51018411000000001", "51018411000000002"]
    html = client.get(URL).content.decode()
    assert "罗选志" in html and "未结对" in html


def test_it_keeps_the_outsiders_households_apart(world, login):
    client = login(world.outsider)
    assert _page_numbers(client) == ["51018411000000101"]
    assert _api_numbers(client) == ["51018411000000101"]


def test_it_narrows_a_village_staffer_to_their_village(world, login):
    factories.household(world.county, world.village2, "51018411002000001", head="刘德")
    assert "51018411002000001" in _page_numbers(login(world.township_staff))
    client = login(world.village_staff)
    assert _page_numbers(client) == ["51018411000000001", "51018411000000002"]
    assert _api_numbers(client) == ["51018411000000001", "51018411000000002"]


def test_it_shows_a_cadre_only_their_paired_households(world, login, paired):
    client = login(world.cadre_user)
    assert _page_numbers(client) == ["51018411000000001"]
    assert _api_numbers(client) == ["51018411000000001"]
    item = client.get("/api/households").json()["items"][0]
    assert item["cadre"]["name"] == "马林增"


@pytest.mark.parametrize("persona", ["audit_admin", "system_admin", "security_admin"])
def test_it_shows_admins_nothing(world, login, persona):
    client = login(getattr(world, persona))
    assert _page_numbers(client) == []
    assert client.get("/api/households").json() == {"count": 0, "items": []}


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"township": "T"}, ["51018411000000001", "51018411000000002"]),
        ({"village": "V"}, ["51018411000000001", "51018411000000002"]),
        ({"group": "G"}, ["51018411000000001"]),
        ({"hardship": "dibao"}, ["51018411000000002"]),
        ({"hardship": "tekun"}, []),
        ({"has_hardship": "1"}, ["51018411000000002"]),
        ({"has_hardship": "0"}, ["51018411000000001", "51018411000000101"]),
        ({"q": "5101841100000000"}, ["51018411000000001", "51018411000000002"]),
        ({"q": "罗选"}, ["51018411000000001"]),
        ({"q": "zsf"}, ["51018411000000002"]),
        ({"q": "马蓉", "township": "T"}, []),
    ],
)
def test_it_filters_the_same_on_the_page_and_the_api(world, login, params, expected):
    do_add_hardship(world.household2, kind=HardshipKind.SUBSISTENCE, acting_user=None)
    ids = {"T": world.township.pk, "V": world.village.pk, "G": world.group.pk}
    params = {k: ids.get(v, v) for k, v in params.items()}
    client = login(world.city_admin)
    assert _page_numbers(client, params) == expected
    assert _api_numbers(client, params) == expected


def test_it_pages_the_list(world, login, settings):
    settings.LIANXIN_PAGE_SIZE = 2
    client = login(world.city_admin)
    first = client.get(URL)
    assert first.context["page"].paginator.count == 3
    assert _page_numbers(client, {"page": 2}) == ["51018411000000101"]
    api = client.get("/api/households", {"limit": 2, "offset": 2}).json()
    assert api["count"] == 3
    assert [h["number"] for h in api["items"]] == ["51018411000000101"]


def test_it_keeps_the_filters_in_the_pager_links(world, login, settings):
    settings.LIANXIN_PAGE_SIZE = 1
    html = login(world.city_admin).get(URL, {"q": "51018411000000"}).content.decode()
    assert "?q=51018411000000&amp;page=2" in html or "?q=51018411000000&page=2" in html


def test_it_runs_the_same_queries_for_3_or_30_households(world, login):
    client = login(world.city_admin)
    page_few, api_few = count_queries(client, URL), count_queries(client, "/api/households")
    add_households(world, 27)
    assert count_queries(client, URL) == page_few
    assert count_queries(client, "/api/households") == api_few
