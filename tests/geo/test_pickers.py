"""The cascading region picker and the region search picker: endpoints, scope, the form."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianxin.core.pickers import PICKER_LIMIT
from lianxin.geo.choices import Level
from lianxin.geo.services import do_create_region
from lianxin.people.models import Household

CHILDREN = reverse("geo:picker_children")
REGIONS = reverse("geo:picker_regions")


def test_it_answers_a_villages_groups_in_scope(world, login):
    client = login(world.township_staff)
    answer = client.get(CHILDREN, {"level": "group", "parent": world.village.pk})
    assert answer.status_code == 200
    assert [i["label"] for i in answer.json()["items"]] == ["6组", "7组"]
    villages = client.get(CHILDREN, {"level": "village", "parent": world.township.pk}).json()
    assert {i["id"] for i in villages["items"]} == {world.village.pk, world.village2.pk}


def test_it_answers_404_outside_the_scope(world, login):
    client = login(world.outsider)
    answer = client.get(CHILDREN, {"level": "group", "parent": world.village.pk})
    assert answer.status_code == 404
    assert "不在您的权限范围内" in answer.json()["detail"]
    # Every village when no township is chosen: only the outsider's own.
    every = client.get(CHILDREN, {"level": "village"}).json()
    assert [i["id"] for i in every["items"]] == [world.other_village.pk]
    assert login(world.audit_admin).get(CHILDREN, {"level": "village"}).json()["items"] == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"level": "county"}, "层级（level）只能是 village 或 group"),
        ({"level": "group", "parent": "abc"}, "上级区划（parent）应为编号"),
        ({"level": "group", "parent": "-3"}, "上级区划（parent）应为编号"),
    ],
)
def test_it_refuses_bad_input_in_chinese(world, login, params, message):
    answer = login(world.city_admin).get(CHILDREN, params)
    assert answer.status_code == 400
    assert message in answer.json()["detail"]


def test_it_refuses_a_parent_of_the_wrong_level(world, login):
    answer = login(world.city_admin).get(CHILDREN, {"level": "group", "parent": world.township.pk})
    assert answer.status_code == 400 and "层级" in answer.json()["detail"]


def test_it_searches_regions_by_name_initials_and_code(world, login):
    client = login(world.city_admin)
    by_name = client.get(REGIONS, {"q": "大坪"}).json()["items"]
    assert [i["label"] for i in by_name] == ["文井江镇 · 大坪村"]
    by_initials = client.get(REGIONS, {"q": "SHC"}).json()["items"]
    assert [i["id"] for i in by_initials] == [world.village2.pk]
    by_code = client.get(REGIONS, {"q": "510184113"}).json()["items"]
    assert [i["id"] for i in by_code] == [world.other_township.pk]
    groups = client.get(REGIONS, {"q": "组", "level": "group"}).json()["items"]
    assert [i["label"] for i in groups] == [
        "文井江镇 · 大坪村 · 6组",
        "文井江镇 · 大坪村 · 7组",
        "道明镇 · 三龙村 · 1组",
    ]


def test_it_never_finds_regions_outside_the_scope(world, login):
    assert login(world.outsider).get(REGIONS, {"q": "大坪"}).json()["items"] == []
    assert login(world.audit_admin).get(REGIONS, {"q": "组"}).json()["items"] == []


def test_it_caps_the_answer_in_a_fixed_number_of_queries(world, login):
    for n in range(1, PICKER_LIMIT + 6):
        do_create_region(
            county=world.county, level=Level.GROUP, name=f"{n}组", parent=world.village2
        )
    client = login(world.city_admin)
    client.get(REGIONS, {"q": "组"})
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(REGIONS, {"q": "组"}).json()
    assert len(body["items"]) == PICKER_LIMIT and body["more"] is True
    assert len(ctx.captured_queries) <= 4  # session, user, the search


@pytest.mark.parametrize(("q", "message"), [("", "请输入"), ("字" * 31, "最多 30 个字")])
def test_it_refuses_an_empty_or_long_query(world, login, q, message):
    answer = login(world.city_admin).get(REGIONS, {"q": q})
    assert answer.status_code == 400 and message in answer.json()["detail"]
    bad_level = login(world.city_admin).get(REGIONS, {"q": "组", "level": "x"})
    assert bad_level.status_code == 400


def test_it_asks_for_a_login(client):
    assert client.get(CHILDREN, {"level": "village"}).status_code == 302


# The household form's cascade --------------------------------------------------------------


def test_it_renders_the_chosen_parents_children_without_a_script(world, login):
    client = login(world.township_staff)
    url = reverse("people:household_create")
    # A plain form sent with only the township chosen comes back offering its villages.
    response = client.post(
        url, {"number": "51018411000000100", "region_township": world.township.pk}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'name="region_village"' in html and "双河村" in html
    assert "三龙村" not in html  # not in scope, never offered
    response = client.post(
        url,
        {
            "number": "51018411000000100",
            "region_township": world.township.pk,
            "region_village": world.village.pk,
        },
    )
    assert ">6组<" in response.content.decode() and ">7组<" in response.content.decode()
    saved = client.post(
        url,
        {
            "number": "51018411000000100",
            "region_township": world.township.pk,
            "region_village": world.village.pk,
            "region": world.group2.pk,
        },
    )
    assert saved.status_code == 302
    assert Household.objects.get(number="51018411000000100").region == world.group2


def test_it_refuses_a_group_of_another_village(world, login):
    response = login(world.township_staff).post(
        reverse("people:household_create"),
        {
            "number": "51018411000000103",
            "region_village": world.village2.pk,
            "region": world.group.pk,
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["region"] == ["所选组不在所选村（社区）内，请重新选择组"]


def test_it_starts_a_village_staffer_at_their_village(world, login):
    form = login(world.village_staff).get(reverse("people:household_create")).content.decode()
    assert 'name="region_township"' not in form
    assert f'<option value="{world.village.pk}" selected>大坪村</option>' in form
    assert ">6组<" in form


def test_it_offers_the_chosen_townships_villages_in_the_filters(world, login):
    client = login(world.city_admin)
    html = client.get(
        reverse("people:household_list"), {"township": world.other_township.pk}
    ).content.decode()
    start = html.index('class="filters"')
    filters = html[start : html.index("</form>", start)]
    assert "三龙村" in filters and "大坪村" not in filters
    assert "data-region-picker" in filters


def test_it_offers_a_cadre_only_the_regions_of_their_households(world, login):
    """Issue 8 point 11: the cadre saw filter lists of every township and village."""
    from lianxin.pairing.services import do_pair

    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    page = login(world.cadre_user).get("/people/households/").content.decode()
    assert world.township.short_name in page
    assert world.other_township.short_name not in page
    answer = login(world.cadre_user).get(
        "/geo/picker/children/", {"parent": world.other_township.pk, "level": "village"}
    )
    assert answer.status_code == 200 and answer.json()["items"] == []


# Ids that cannot be ids, and what filter forms choose ---------------------------------------


@pytest.mark.parametrize("parent", ["99999999999999999999", "-1", "0", "abc", "1e3"])
def test_it_answers_400_to_a_parent_that_cannot_be_an_id(world, login, parent):
    answer = login(world.city_admin).get(CHILDREN, {"level": "group", "parent": parent})
    assert answer.status_code == 400
    assert "上级区划（parent）应为编号" in answer.json()["detail"]


@pytest.mark.parametrize("url", [REGIONS, reverse("org:picker_cadres")], ids=["regions", "cadres"])
@pytest.mark.parametrize("q", ["99999999999999999999", "-1", "abc"])
def test_it_finds_nothing_for_a_query_that_looks_like_a_huge_id(world, login, url, q):
    answer = login(world.city_admin).get(url, {"q": q})
    assert answer.status_code == 200 and answer.json()["items"] == []


def test_it_answers_an_unchosen_group_picker_with_a_huge_id_with_a_form_error(world, login):
    response = login(world.township_staff).post(
        reverse("people:household_create"),
        {
            "number": "51018411000000104",
            "region_township": "99999999999999999999",
            "region_village": "99999999999999999999",
            "region": "99999999999999999999",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["region"]


def test_it_leaves_a_filters_single_option_at_all(world, login):
    """Issue 8 point 5: a filter form chose the only village of the chosen township unasked,
    narrowing the list; an entry form still chooses it (test_it_starts_a_village_staffer_at_their_village)."""
    html = (
        login(world.city_admin)
        .get(reverse("people:household_list"), {"township": world.other_township.pk})
        .content.decode()
    )
    start = html.index('name="village"')
    villages = html[start : html.index("</select>", start)]
    assert f'<option value="{world.other_village.pk}">三龙村</option>' in villages
    assert "selected" not in villages
    start = html.index('class="filters"')
    assert "data-choose-only" not in html[start : html.index("</form>", start)]
    form = login(world.village_staff).get(reverse("people:household_create")).content.decode()
    assert "data-choose-only" in form


def test_it_has_no_household_picker_endpoint(world, login):
    # No form chooses a household by typing: the endpoint was removed rather than left unused.
    assert (
        login(world.city_admin).get("/people/picker/households/", {"q": "lxz"}).status_code == 404
    )
