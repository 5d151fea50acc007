"""The visit history at county scale (issue 10): the list counts at most LIANXIN_COUNT_CAP
visits and says honestly that there are more; the scope of its rows and needs (written for
SQLite's planner) is exactly the rule — a yard meeting's households outside the reader's scope
stay hidden; the household and cadre filters keep the scope; and no list grows its queries
with its rows."""

from __future__ import annotations

import datetime as dt

import pytest

from lianxin.accounts.choices import Role
from lianxin.core.models import today
from lianxin.people.models import Household
from lianxin.visits.choices import VisitMode
from lianxin.visits.models import Visit, VisitHousehold, VisitNeed
from lianxin.visits.services import Need, Visited, do_record_visit
from tests.core.test_list_queries_flat import queries

from .support import pair, visit

DAY = dt.timedelta(days=1)

PERSONAS = (
    "city_admin",
    "township_staff",
    "village_staff",
    "outsider",
    "cadre_user",
    "handler",
    "info_group",
    "leader_user",
    "system_admin",
    "security_admin",
    "audit_admin",
)


@pytest.fixture
def visits(world):
    """Three home visits in 文井江镇 and one yard meeting covering a 文井江镇 household and a
    道明镇 one (three villages, two townships; the handler's zone is 三龙村 of 道明镇)."""
    since = today() - 40 * DAY
    for h in (world.household, world.household2, world.other_household):
        pair(world, h, since=since)
    meeting = do_record_visit(
        acting_user=world.cadre_user,
        households=[Visited(world.household), Visited(world.other_household)],
        occurred_on=today() - 3 * DAY,
        mode=VisitMode.MEETING,
        needs=[Need(world.household, "修水渠"), Need(world.other_household, "办低保")],
    ).visit
    return {
        "home": visit(world, world.household, today() - 2 * DAY),
        "phone": visit(world, world.household2, today() - DAY, mode=VisitMode.PHONE),
        "old": visit(world, world.household, today() - 35 * DAY),
        "meeting": meeting,
    }


def _shown(client, query: str = "") -> list[int]:
    return [v["id"] for v in client.get("/api/visits" + query).json()["items"]]


# --- the bounded count -----------------------------------------------------------------------


def test_it_counts_the_history_only_up_to_the_cap_and_says_there_are_more(
    world, login, visits, settings
):
    settings.LIANXIN_COUNT_CAP = 2
    client = login(world.city_admin)
    body = client.get("/visits/").content.decode()
    assert "超过 2 条，请用日期等条件缩小范围" in body
    assert "共 2 条" not in body
    # The pages stop at the cap: its 2 rows, newest first, and no next page.
    shown = [k for k, v in visits.items() if f'href="/visits/{v.pk}/"' in body]
    assert sorted(shown) == ["home", "phone"]
    assert "下一页" not in body
    # Narrowed under the cap, the total is exact again.
    body = client.get(f"/visits/?household={world.household2.pk}").content.decode()
    assert "共 1 条" in body and "超过" not in body


def test_it_pages_through_the_capped_rows(world, login, visits, settings):
    settings.LIANXIN_COUNT_CAP, settings.LIANXIN_PAGE_SIZE = 3, 2
    client = login(world.city_admin)
    first = client.get("/visits/").content.decode()
    assert "超过 3 条" in first and "第 1/2 页" in first and "page=2" in first
    last = client.get("/visits/?page=9").content.decode()  # past the cap: the last page
    assert "第 2/2 页" in last and "上一页" in last and "下一页" not in last
    assert f'href="/visits/{visits["meeting"].pk}/"' in last


def test_it_answers_the_capped_count_in_the_api(world, login, visits, settings):
    client = login(world.city_admin)
    settings.LIANXIN_COUNT_CAP = 2
    page = client.get("/api/visits").json()
    assert (page["count"], page["count_capped"]) == (2, True)
    # The items follow limit and offset as ever, past the cap too.
    assert len(page["items"]) == 4
    assert _shown(client, "?offset=3") == [visits["old"].pk]
    settings.LIANXIN_COUNT_CAP = 4
    page = client.get("/api/visits").json()
    assert (page["count"], page["count_capped"]) == (4, False)


def test_it_documents_the_capped_count_in_the_schema(world, login):
    document = login(world.city_admin).get("/api/openapi.json").json()
    schema = document["components"]["schemas"]["VisitPage"]
    assert {"count", "count_capped", "items"} <= set(schema["required"])
    assert "缩小范围" in schema["properties"]["count_capped"]["description"]


# --- the scope of the rows, the needs and the filters ----------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_scopes_visit_rows_and_needs_by_the_rule(world, visits, persona):
    """The rule, written plainly: a visit's rows and needs are those of visible visits, and
    only of households the user sees — except for the cadre (all of their own visits) and the
    county-wide roles (all)."""
    user = getattr(world, persona)
    seen_visits = Visit.objects.visible_to(user)
    seen_households = set(Household.objects.visible_to(user).values_list("pk", flat=True))
    whole = user.role == Role.CADRE or (user.is_county_wide and not user.region_id)
    for model in (VisitHousehold, VisitNeed):
        expected = {
            r.pk
            for r in model.objects.filter(visit__in=seen_visits)
            if whole or r.household_id in seen_households
        }
        assert set(model.objects.visible_to(user).values_list("pk", flat=True)) == expected


@pytest.mark.parametrize(
    ("persona", "households"),
    [
        ("city_admin", {"household", "other_household"}),
        ("cadre_user", {"household", "other_household"}),
        ("township_staff", {"household"}),
        ("village_staff", {"household"}),
        ("outsider", {"other_household"}),
        ("handler", {"other_household"}),
    ],
)
def test_it_shows_a_yard_meeting_with_only_the_households_in_scope(
    world, login, visits, persona, households
):
    client = login(getattr(world, persona))
    [meeting] = [
        v for v in client.get("/api/visits").json()["items"] if v["id"] == visits["meeting"].pk
    ]
    names = {"household": world.household.pk, "other_household": world.other_household.pk}
    expected = {names[h] for h in households}
    assert {r["household"]["id"] for r in meeting["households"]} == expected
    assert {n["household_id"] for n in meeting["needs"]} == expected


def test_it_filters_by_household_within_the_scope(world, login, visits):
    """Filtering by a household out of scope finds only the visits seen through another: the
    yard meeting the township's staff see through their own household."""
    wenjing = login(world.township_staff)
    assert _shown(wenjing, f"?household={world.household.pk}") == [
        visits["home"].pk,
        visits["meeting"].pk,
        visits["old"].pk,
    ]
    assert _shown(wenjing, f"?household={world.other_household.pk}") == [visits["meeting"].pk]
    handler = login(world.handler)
    assert _shown(handler, f"?household={world.household.pk}") == [visits["meeting"].pk]
    assert _shown(handler, f"?household={world.household2.pk}") == []
    # The filters combine with the household's: its phone call is its only one.
    admin = login(world.city_admin)
    assert _shown(admin, f"?household={world.household2.pk}&mode=phone") == [visits["phone"].pk]
    assert _shown(admin, f"?household={world.household2.pk}&mode=in_person") == []
    assert _shown(admin, f"?household={world.household.pk}&cadre={world.cadre.pk}") == [
        visits["home"].pk,
        visits["meeting"].pk,
        visits["old"].pk,
    ]
    start = (today() - 10 * DAY).isoformat()
    assert _shown(admin, f"?household={world.household.pk}&from={start}") == [
        visits["home"].pk,
        visits["meeting"].pk,
    ]


def test_it_filters_by_cadre_within_the_scope(world, login, visits):
    daping = login(world.village_staff)
    assert set(_shown(daping, f"?cadre={world.cadre.pk}")) == {v.pk for v in visits.values()}
    for persona in ("outsider", "handler"):
        client = login(getattr(world, persona))
        assert _shown(client, f"?cadre={world.cadre.pk}") == [visits["meeting"].pk]
    assert _shown(login(world.city_admin), f"?cadre={world.leader.pk}") == []


# --- queries that do not grow with the rows --------------------------------------------------


@pytest.mark.parametrize("persona", ["city_admin", "township_staff", "handler"])
def test_it_lists_3_or_30_visits_in_the_same_queries(world, login, visits, persona):
    client = login(getattr(world, persona))
    paths = [
        "/visits/",
        "/api/visits",
        f"/visits/?household={world.household.pk}",
        f"/api/visits?household={world.other_household.pk}",
        f"/visits/?cadre={world.cadre.pk}",
    ]

    def add(n):
        for i in range(n):
            do_record_visit(
                acting_user=world.cadre_user,
                households=[Visited(world.household), Visited(world.other_household)],
                occurred_on=today() - (i % 20) * DAY,
                mode=VisitMode.MEETING,
                needs=[Need(world.household, "需求"), Need(world.other_household, "需求")],
            )

    few = {p: queries(client, p) for p in paths}
    add(27)
    assert {p: queries(client, p) for p in paths} == few
