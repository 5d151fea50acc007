"""The region drill-down pages: county → township → village → group."""

import datetime as dt

import pytest
from django.urls import reverse

from lianxin.core.models import today
from lianxin.geo.choices import Level
from lianxin.geo.filters import RegionCounts
from lianxin.geo.services import do_create_region, do_end_region, do_merge_regions
from lianxin.people.choices import HardshipKind
from lianxin.people.services import do_add_hardship
from tests import factories
from tests.people.support import add_households, count_queries, pair

LONG_AGO = dt.date(2020, 1, 1)


def _rows(response) -> dict:
    return {child.pk: counts for child, counts in response.context["rows"]}


def test_it_shows_each_township_with_its_counts(world, login):
    do_add_hardship(world.household, kind=HardshipKind.SUBSISTENCE, acting_user=None)
    do_add_hardship(world.household, kind=HardshipKind.DISABILITY, acting_user=None)
    response = login(world.city_admin).get(reverse("geo:county"))
    assert response.status_code == 200
    rows = _rows(response)
    assert rows[world.township.pk] == RegionCounts(
        villages=2, groups=2, households=2, residents=4, hardship_households=1
    )
    assert rows[world.other_township.pk] == RegionCounts(
        villages=1, groups=1, households=1, residents=1, hardship_households=0
    )
    assert response.context["totals"] == RegionCounts(
        villages=3, groups=3, households=3, residents=5, hardship_households=1
    )
    assert "文井江镇" in response.content.decode()


def test_it_shows_a_township_staffer_their_township_as_the_root(world, login):
    response = login(world.township_staff).get(reverse("geo:county"))
    assert response.context["region"] == world.township
    assert set(_rows(response)) == {world.village.pk, world.village2.pk}
    assert "道明镇" not in response.content.decode()


def test_it_shows_a_village_with_its_groups_and_households(world, login):
    add_households(world, 2)
    response = login(world.township_staff).get(
        reverse("geo:region_detail", args=[world.village.pk])
    )
    rows = _rows(response)
    assert rows[world.group.pk].households == 2  # 51018411000000001 and one added
    assert rows[world.group2.pk].households == 2  # 51018411000000002 and one added
    assert rows[world.group.pk].residents == 3 + 2
    assert rows[world.group.pk].hardship_households == 1
    numbers = [h.number for h in response.context["page"]]
    assert "51018411000000001" in numbers and "51018411000000002" in numbers and len(numbers) == 4


def test_it_counts_households_placed_on_the_village_itself(world, login):
    factories.household(world.county, world.village, "51018411001000001")
    response = login(world.city_admin).get(reverse("geo:region_detail", args=[world.village.pk]))
    assert response.context["ungrouped"].households == 1
    assert "未分组" in response.content.decode()


def test_it_lists_a_groups_households(world, login):
    response = login(world.village_staff).get(reverse("geo:region_detail", args=[world.group.pk]))
    assert [h.number for h in response.context["page"]] == ["51018411000000001"]
    assert response.context["rows"] == []


def test_it_shows_breadcrumbs_linking_only_what_the_user_may_open(world, login):
    response = login(world.village_staff).get(reverse("geo:region_detail", args=[world.group.pk]))
    assert response.context["crumbs"] == [(world.township, False), (world.village, True)]
    html = response.content.decode()
    assert reverse("geo:region_detail", args=[world.village.pk]) in html
    assert reverse("geo:region_detail", args=[world.township.pk]) not in html
    admin = login(world.city_admin).get(reverse("geo:region_detail", args=[world.group.pk]))
    assert admin.context["crumbs"] == [(world.township, True), (world.village, True)]
    assert reverse("geo:county") in admin.content.decode()


def test_it_hides_ended_regions_unless_asked(world, login):
    old = do_create_region(
        county=world.county,
        level=Level.VILLAGE,
        name="老村村民委员会",
        parent=world.township,
        valid_from=LONG_AGO,
    )
    do_end_region(old, effective_on=today(), acting_user=None)
    client = login(world.township_staff)
    url = reverse("geo:region_detail", args=[world.township.pk])
    assert old.pk not in _rows(client.get(url))
    shown = client.get(url, {"ended": "1"})
    assert old.pk in _rows(shown)
    assert "已撤销" in shown.content.decode()
    assert "隐藏已撤销" in shown.content.decode()


def test_it_shows_a_merged_regions_history_and_successor(world, login):
    absorbed = do_create_region(
        county=world.county,
        level=Level.VILLAGE,
        name="河坝村村民委员会",
        parent=world.township,
        valid_from=LONG_AGO,
    )
    do_merge_regions(absorbed, into=world.village, effective_on=today(), acting_user=None)
    client = login(world.township_staff)
    response = client.get(reverse("geo:region_detail", args=[absorbed.pk]))
    assert response.status_code == 200
    assert response.context["successor"] == world.village
    assert response.context["successor_visible"] is True
    kinds = [item["change"].kind for item in response.context["history"]]
    assert kinds == ["create", "merge"]
    html = response.content.decode()
    assert "撤并" in html and "大坪村村民委员会" in html
    into = client.get(reverse("geo:region_detail", args=[world.village.pk]))
    assert absorbed in into.context["predecessors"]


@pytest.mark.parametrize(
    "persona, region",
    [
        ("outsider", "township"),
        ("outsider", "village"),
        ("village_staff", "village2"),
        ("village_staff", "township"),
        ("township_staff", "other_township"),
        ("township_staff", "other_group"),
        ("audit_admin", "township"),
        ("system_admin", "village"),
    ],
)
def test_it_answers_404_for_a_region_outside_the_scope(world, login, persona, region):
    client = login(getattr(world, persona))
    pk = getattr(world, region).pk
    assert client.get(reverse("geo:region_detail", args=[pk])).status_code == 404
    assert client.get(f"/api/regions/{pk}").status_code == 404


def test_it_shows_the_outsider_only_their_township(world, login):
    response = login(world.outsider).get(reverse("geo:county"))
    assert response.context["region"] == world.other_township
    assert "文井江镇" not in response.content.decode()


def test_it_shows_admins_no_regions(world, login):
    response = login(world.audit_admin).get(reverse("geo:county"))
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert response.context["totals"] == RegionCounts()


def test_it_counts_only_a_cadres_paired_households(world, login):
    pair(world)
    response = login(world.cadre_user).get(reverse("geo:county"))
    rows = _rows(response)
    assert rows[world.township.pk].households == 1
    assert rows[world.township.pk].residents == 3
    assert rows[world.other_township.pk].households == 0


@pytest.mark.parametrize("region", [None, "township", "village", "group"])
def test_it_runs_the_same_queries_for_3_or_30_households(world, login, region):
    client = login(world.city_admin)
    url = (
        reverse("geo:county")
        if region is None
        else reverse("geo:region_detail", args=[getattr(world, region).pk])
    )
    few = count_queries(client, url)
    add_households(world, 27, region=world.group)
    assert count_queries(client, url) == few
