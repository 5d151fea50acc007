"""The resident list and detail, page and API: scope, filters, masking, query counts."""

import datetime as dt

import pytest
from django.urls import reverse

from lianxin.core.models import today
from lianxin.people.choices import Relation
from lianxin.people.filters import AGE_RULE, years_before
from lianxin.people.models import Resident
from lianxin.people.services import do_create_resident
from tests import factories
from tests.people.support import add_households, count_queries

URL = reverse("people:resident_list")


def _page_names(client, params=None) -> list[str]:
    response = client.get(URL, params or {})
    assert response.status_code == 200
    return sorted(r.name for r in response.context["page"])


def _api_names(client, params=None) -> list[str]:
    response = client.get("/api/residents", params or {})
    assert response.status_code == 200, response.content
    return sorted(r["name"] for r in response.json()["items"])


def test_it_lists_the_residents_in_scope(world, login):
    client = login(world.township_staff)
    assert _page_names(client) == ["张三丰", "罗家0", "罗家1", "罗选志"]
    assert _api_names(client) == ["张三丰", "罗家0", "罗家1", "罗选志"]
    assert _page_names(login(world.outsider)) == ["马蓉"]
    assert _api_names(login(world.outsider)) == ["马蓉"]


def test_it_narrows_a_village_staffer_and_a_cadre(world, login, paired):
    factories.household(world.county, world.village2, "51018411002000001", head="刘德")
    assert "刘德" in _page_names(login(world.township_staff))
    assert "刘德" not in _page_names(login(world.village_staff))
    assert _page_names(login(world.cadre_user)) == ["罗家0", "罗家1", "罗选志"]
    assert _api_names(login(world.cadre_user)) == ["罗家0", "罗家1", "罗选志"]


def test_it_shows_admins_nothing(world, login):
    client = login(world.audit_admin)
    assert _page_names(client) == []
    assert client.get("/api/residents").json()["count"] == 0


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"name": "罗"}, ["罗家0", "罗家1", "罗选志"]),
        ({"initials": "zsf"}, ["张三丰"]),
        ({"initials": "ZS"}, ["张三丰"]),
        ({"village": "V2"}, []),
        ({"township": "T"}, ["张三丰", "罗家0", "罗家1", "罗选志"]),
        ({"township": "OT"}, ["马蓉"]),
        ({"age_max": "30"}, ["罗家0", "罗家1"]),
        ({"age_min": "30"}, ["张三丰", "罗选志", "马蓉"]),
        ({"age_min": "20", "age_max": "30", "name": "罗"}, ["罗家0", "罗家1"]),
    ],
)
def test_it_filters_the_same_on_the_page_and_the_api(world, login, params, expected):
    ids = {"V2": world.village2.pk, "T": world.township.pk, "OT": world.other_township.pk}
    params = {k: ids.get(v, v) for k, v in params.items()}
    client = login(world.city_admin)
    assert _page_names(client, params) == expected
    assert _api_names(client, params) == expected


@pytest.mark.parametrize("sex", ["F", "M"])
def test_it_filters_by_sex(world, login, sex):
    # Sex comes from the ID number's 17th digit, which the factories hand out in sequence.
    expected = sorted(Resident.objects.filter(sex=sex).values_list("name", flat=True))
    assert expected
    client = login(world.city_admin)
    assert _page_names(client, {"sex": sex}) == expected
    assert _api_names(client, {"sex": sex}) == expected


def test_it_shows_and_filters_age_by_the_birth_year_so_no_birthday_shows(world, login):
    # Two residents of one birth year, one whose birthday was yesterday and one whose birthday
    # is tomorrow: a full-years age would tell them apart, and with the birth year and the
    # masked number that day rebuilds the ID number. Every answer must be the same for both.
    born = {
        "昨生": years_before(today() - dt.timedelta(days=1), 40),
        "明生": years_before(today() + dt.timedelta(days=1), 40),
    }
    if born["昨生"].year != born["明生"].year:  # 1 January or 31 December: move both a week in
        born = {
            k: years_before(today() + dt.timedelta(days=d), 40)
            for k, d in (("昨生", 7), ("明生", 8))
        }
    residents = {
        name: do_create_resident(
            household=world.household2,
            name=name,
            id_number=factories.id_number(day),
            relation=Relation.CHILD,
            acting_user=None,
        )
        for name, day in born.items()
    }
    client = login(world.city_admin)
    reached = today().year - born["明生"].year
    for name, resident in residents.items():
        body = client.get("/api/residents", {"name": name}).json()
        assert body["items"][0]["age"] == reached
        response = client.get(reverse("people:resident_detail", args=[resident.pk]))
        assert f"{reached}岁" in response.content.decode()
        for params in ({"age_min": reached}, {"age_max": reached}):
            assert name in _page_names(client, params)
            assert name in _api_names(client, {**params, "name": name})
        assert name not in _page_names(client, {"age_max": reached - 1})
        assert name not in _page_names(client, {"age_min": reached + 1})
    assert AGE_RULE in client.get(URL).content.decode()
    schema = client.get("/api/openapi.json").json()
    params = schema["paths"]["/api/residents"]["get"]["parameters"]
    assert all(AGE_RULE in p["description"] for p in params if p["name"].startswith("age_"))


def test_it_shows_a_resident_masked(world, login):
    resident = world.household.head
    client = login(world.township_staff)
    response = client.get(reverse("people:resident_detail", args=[resident.pk]))
    assert response.status_code == 200
    assert resident.id_number_masked in response.content.decode()
    body = client.get(f"/api/residents/{resident.pk}").json()
    assert body["id_number_masked"] == resident.id_number_masked
    assert body["household_number"] == "51018411000000001"
    assert body["region"]["short_name"] == "6组"


@pytest.mark.parametrize(
    "persona, household",
    [
        ("outsider", "household"),
        ("village_staff", "other_household"),
        ("cadre_user", "household2"),
        ("audit_admin", "household"),
    ],
)
def test_it_answers_404_outside_the_scope(world, login, persona, household):
    resident = getattr(world, household).members.first()
    client = login(getattr(world, persona))
    assert client.get(reverse("people:resident_detail", args=[resident.pk])).status_code == 404
    assert client.get(f"/api/residents/{resident.pk}").status_code == 404


def test_it_never_puts_a_full_id_number_in_the_api(world, login):
    number = factories.id_number(dt.date(1990, 1, 1))
    resident = do_create_resident(
        household=world.household,
        name="罗新",
        id_number=number,
        relation=Relation.GRANDCHILD,
        phone="13700001111",
        acting_user=None,
    )
    client = login(world.city_admin)
    urls = ["/api/residents", f"/api/residents/{resident.pk}", "/api/households"]
    urls.append(f"/api/households/{world.household.pk}")
    for url in urls:
        text = client.get(url).content.decode()
        assert number not in text and "13700001111" not in text
    assert resident.id_number_masked in client.get(f"/api/residents/{resident.pk}").content.decode()


def test_it_runs_the_same_queries_for_3_or_30_households(world, login):
    client = login(world.city_admin)
    page_few, api_few = count_queries(client, URL), count_queries(client, "/api/residents")
    add_households(world, 27)
    assert Resident.objects.count() > 50  # a full page of rows now
    assert count_queries(client, URL) == page_few
    assert count_queries(client, "/api/residents") == api_few
