"""The coverage page: the four layers at the top, the gap lists and tables, filters, scope."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianxin.core.models import today
from lianxin.org.services import do_create_cadre
from lianxin.pairing.services import do_end_pairing, do_pair
from lianxin.people.choices import HardshipKind
from lianxin.people.services import do_add_hardship
from tests.factories import household

URL = reverse("pairing:coverage")
_seq = itertools.count(1)


def page(client, **params) -> str:
    response = client.get(URL, params)
    assert response.status_code == 200, response.content.decode()[:500]
    return response.content.decode()


def table(body: str) -> str:
    """The list or table under the tabs (the filter form names every village too)."""
    start = body.index('<div class="table-wrap">')
    return body[start : body.index("</table>", start)]


def add_rows(world, n: int) -> None:
    """n more households (every other one paired, every third in hardship) and n idle cadres."""
    for i in range(n):
        seq = next(_seq)
        h = household(
            world.county, world.group2 if i % 2 else world.group, f"510184250000{seq:05d}"
        )
        if i % 3 == 0:
            do_add_hardship(h, kind=HardshipKind.SUBSISTENCE, acting_user=None)
        if i % 2:
            do_pair(cadre=world.cadre, household=h, acting_user=None)
        do_create_cadre(
            unit=world.other_unit,
            staff_no=f"Q{seq:05d}",
            name=f"闲置{seq}",
            phone=f"137{seq:08d}",
            acting_user=None,
        )


def test_it_shows_the_four_layers_with_their_definitions(world, login):
    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    body = page(login(world.city_admin))
    assert "双向全覆盖" in body
    assert "33.3%" in body and "1 / 3 户" in body  # households
    assert "100.0%" in body and "1 / 1 人" in body  # cadres
    assert "66.6%" in body and "2 / 3 个" in body  # villages
    assert "50.0%" in body and "1 / 2 个" in body  # townships
    assert "按结对规则须覆盖的户" in body  # a definition beside its figure
    assert 'href="/pairing/coverage/"' in body  # the nav link


def test_it_lists_households_without_a_cadre(world, login):
    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    do_add_hardship(world.household2, kind=HardshipKind.SUBSISTENCE, acting_user=None)
    body = page(login(world.city_admin))
    assert (
        "51018411000000002" in body
        and "51018411000000101" in body
        and "51018411000000001" not in body
    )
    assert '<span class="tag">低保</span>' in body
    assert "138****" in body  # the head's phone, masked
    assert "张三丰" in body and "大坪村 › 7组" in body


def test_it_lists_cadres_by_load(world, login):
    idle = do_create_cadre(
        unit=world.other_unit, staff_no="C0002", name="周闲", phone="13700000002", acting_user=None
    )
    client = login(world.city_admin)
    body = page(client, list="cadres")
    assert idle.name in body and "马林增" in body and "137****0002" in body
    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    body = page(client, list="cadres")
    assert idle.name in body and "马林增" not in body
    body = page(client, list="cadres", load="under")
    assert "马林增" in body and idle.name not in body


def test_it_lists_villages_without_a_unit_and_townships_without_a_leader(world, login):
    client = login(world.city_admin)
    body = table(page(client, list="villages"))
    assert "双河村" in body and "三龙村" not in body
    body = table(page(client, list="townships"))
    assert "道明镇" in body and "文井江镇" not in body


def test_it_shows_leaders_and_units_beside_the_rates(world, login):
    client = login(world.city_admin)
    body = page(client, list="regions")
    assert "李市长" in body and "无市级领导联系" in body
    # Villages unfold for one township.
    body = page(client, list="regions", township=world.township.pk)
    assert "中共崇州市委宣传部" in body and "无责任单位" in body and "双河村" in body
    body = page(client, list="units")
    assert "中共崇州市委宣传部" in body and "大坪村" in body and "崇州市民政局" in body


def test_it_answers_as_of_a_past_day(world, login):
    day = today()
    old = do_create_cadre(
        unit=world.unit,
        staff_no="C0009",
        name="老干部",
        joined_on=dt.date(2020, 1, 1),
        acting_user=None,
    )
    pairing = do_pair(
        cadre=old, household=world.household2, acting_user=None, valid_from=day - dt.timedelta(30)
    )
    do_end_pairing(pairing, valid_to=day - dt.timedelta(1), acting_user=None)
    client = login(world.city_admin)
    assert "51018411000000002" in page(client)
    then = page(client, on=(day - dt.timedelta(5)).isoformat())
    assert (
        "51018411000000002" not in then
        and "51018411000000001" in then
        and "按当日有效的结对" in then
    )


def test_it_refuses_a_bad_or_future_date(world, login):
    client = login(world.city_admin)
    response = client.get(URL, {"on": "2024-13-01"})
    assert response.status_code == 400 and "YYYY-MM-DD" in response.content.decode()
    response = client.get(URL, {"on": (today() + dt.timedelta(1)).isoformat()})
    assert response.status_code == 400 and "不能晚于今天" in response.content.decode()
    response = client.get(URL, {"list": "everything"})
    assert response.status_code == 400 and "无法识别的清单" in response.content.decode()
    response = client.get(URL, {"township": "abc"})
    assert response.status_code == 400


def test_it_refuses_a_village_outside_the_chosen_township(world, login):
    response = login(world.city_admin).get(
        URL, {"township": world.township.pk, "village": world.other_village.pk}
    )
    assert response.status_code == 400 and "不属于" in response.content.decode()


def test_it_shows_township_staff_their_township_only(world, login):
    body = page(login(world.township_staff))
    assert (
        "51018411000000001" in body
        and "51018411000000002" in body
        and "51018411000000101" not in body
    )
    assert "道明镇" not in body


@pytest.mark.parametrize(
    "param", ["township", "village", "unit"], ids=["township", "village", "unit"]
)
def test_it_answers_404_for_a_filter_outside_the_scope(world, login, param):
    value = {
        "township": world.township.pk,
        "village": world.village.pk,
        "unit": world.unit.pk,
    }[param]
    response = login(world.outsider).get(URL, {param: value})
    assert response.status_code == 404
    assert login(world.outsider).get(URL, {param: 999999}).status_code == 404


def test_it_answers_404_for_a_region_of_the_wrong_level(world, login):
    response = login(world.city_admin).get(URL, {"township": world.village.pk})
    assert response.status_code == 404


def test_it_shows_a_cadre_only_their_own_households(world, login):
    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    client = login(world.cadre_user)
    assert "51018411000000002" not in page(client) and "51018411000000101" not in page(client)
    assert "1 / 1 户" in page(client)


def test_it_answers_404_to_the_separated_admins(world, login):
    for admin in (world.system_admin, world.security_admin, world.audit_admin):
        assert login(admin).get(URL).status_code == 404


def test_it_asks_anonymous_visitors_to_log_in(client, world):
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize(
    "name", ["households", "cadres", "villages", "townships", "regions", "units"]
)
def test_it_does_not_grow_queries_with_rows(world, login, django_assert_max_num_queries, name):
    add_rows(world, 3)
    client = login(world.city_admin)
    with CaptureQueriesContext(connection) as few:
        page(client, list=name, township=world.township.pk)
    add_rows(world, 30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = page(client, list=name, township=world.township.pk)
    assert "双向全覆盖" in body
