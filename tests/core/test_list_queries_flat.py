"""Issue 9: every list answers in a number of queries that does not grow with its rows.

Each list is drawn for the county's administrator (and the auditor for the audit log) with 3
extra households and again with 30 — every one with a head, a hardship and a cadre — and must
run the same number of queries both times."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lianxin.core.models import today
from lianxin.lib.idcard import compose
from lianxin.notices.models import Notice
from lianxin.pairing.services import do_pair
from lianxin.people.choices import HardshipKind, Relation
from lianxin.people.services import do_add_hardship, do_create_household, do_create_resident
from lianxin.stories.services import do_publish_story, do_submit_story, do_write_diary
from lianxin.visits.services import Visited, do_record_visit
from tests.pairing.runs_support import inline_runs  # noqa: F401

PAGES = [
    "/people/households/",
    "/people/households/?has_hardship=1",
    "/people/residents/",
    "/people/search/?q=gz",
    "/org/cadres/",
    "/org/units/",
    "/geo/",
    "/pairing/coverage/",
    "/pairing/coverage/?list=households",
    "/pairing/coverage/?list=cadres",
    "/api/households",
    "/api/residents",
    "/api/cadres",
    "/api/units",
    "/api/regions",
    "/api/coverage/households",
    "/api/coverage/cadres",
    "/api/coverage/regions",
    "/api/coverage/units",
    "/visits/",
    "/visits/?mode=in_person",
    "/api/visits",
    "/stories/",
    "/stories/review/",
    "/notices/",
]
AUDITOR_PAGES = ["/audit/", "/api/audit"]


def add_households(world, n: int, start: int) -> None:
    for i in range(start, start + n):
        household = do_create_household(
            county=world.county,
            number=f"510184110000{i:05d}",
            region=world.group,
            acting_user=world.city_admin,
        )
        do_create_resident(
            household=household,
            name=f"郭{'一二三四五六七八九十'[i % 10]}",
            id_number=compose("510184", dt.date(1960, 1, 1) + dt.timedelta(days=i), 41),
            relation=Relation.HEAD,
            acting_user=world.city_admin,
        )
        do_add_hardship(household, kind=HardshipKind.SUBSISTENCE, acting_user=world.city_admin)
        do_pair(cadre=world.cadre, household=household, acting_user=world.city_admin)
        # Each household with a visit, a diary and a published story (issue 10's pages).
        v = do_record_visit(
            acting_user=world.cadre_user,
            households=[Visited(household)],
            occurred_on=today(),
            mode="in_person",
        ).visit
        diary = do_write_diary(
            acting_user=world.cadre_user,
            title=f"日记{i}",
            text="走访记下的事。",
            date=today(),
            visits=[v],
        )
        do_publish_story(do_submit_story(diary, acting_user=world.cadre_user), acting_user=None)
        Notice.objects.create(
            county=world.county,
            user=world.city_admin,
            kind="story",
            day=today(),
            title=f"通知{i}",
            ref=str(i),
        )


def queries(client, path: str) -> int:
    client.get(path)  # caches a first request fills (sessions, content types)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(captured)


@pytest.mark.parametrize("path", PAGES + AUDITOR_PAGES)
def test_it_lists_3_or_30_rows_in_the_same_queries(world, login, path):
    client = login(world.audit_admin if path in AUDITOR_PAGES else world.city_admin)
    add_households(world, 3, start=9000)
    few = queries(client, path)
    add_households(world, 27, start=9100)
    assert queries(client, path) == few, path


# --- detail pages with a history section (issue 10) ------------------------------------------


@pytest.mark.parametrize("persona", ["city_admin", "cadre_user"])
def test_it_draws_the_household_and_cadre_pages_with_3_or_30_visits(world, login, persona):
    from lianxin.pairing.services import do_pair as pair_

    pair_(cadre=world.cadre, household=world.household, acting_user=None)
    client = login(getattr(world, persona))

    def add(n):
        for _ in range(n):
            do_record_visit(
                acting_user=world.cadre_user,
                households=[Visited(world.household)],
                occurred_on=today(),
                mode="phone",
            )

    paths = [f"/people/households/{world.household.pk}/", f"/org/cadres/{world.cadre.pk}/"]
    add(3)
    few = {p: queries(client, p) for p in paths}
    add(27)
    assert {p: queries(client, p) for p in paths} == few


# --- the pairing run pages: a run's changes are its rows ------------------------------------

RUN_PAGES = [
    "/pairing/runs/",
    "/pairing/runs/{pk}/",
    "/pairing/runs/{pk}/?kind=new",
    "/api/pairing/runs",
    "/api/pairing/runs/{pk}",
    "/api/pairing/runs/{pk}/changes",
]


@pytest.mark.usefixtures("inline_runs")
@pytest.mark.parametrize("path", RUN_PAGES)
def test_it_lists_a_run_of_3_or_30_changes_in_the_same_queries(world, login, path):
    """A dry run over 3 unpaired households, then another once 27 more are registered: each
    household is one change row (and the second run one more row of the run list)."""
    from lianxin.people.services import do_create_household
    from tests.pairing.runs_support import build_county, dry_run

    client = login(world.city_admin)
    c = build_county(world, households=3, cadres=4)
    few_run = dry_run(world.county, world.city_admin)
    few = queries(client, path.format(pk=few_run.pk))
    for i in range(27):
        do_create_household(
            county=world.county,
            number=f"51018420000009{i:03d}",
            region=c.groups[i % len(c.groups)],
            acting_user=None,
        )
    many_run = dry_run(world.county, world.city_admin)
    assert many_run.changes.count() >= few_run.changes.count() + 27
    assert queries(client, path.format(pk=many_run.pk)) == few, path


# --- account lists ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/accounts/users/", "/accounts/users/?q=u"])
def test_it_lists_3_or_30_accounts_in_the_same_queries(world, login, path):
    from lianxin.accounts.choices import Role
    from tests.factories import user

    client = login(world.system_admin)

    def add(n, start):
        for i in range(start, start + n):
            user(world.county, Role.VILLAGE_STAFF, f"u{i}", region=world.village)
            user(world.county, Role.CADRE, f"uc{i}", unit=world.unit)

    add(3, 0)
    few = queries(client, path)
    add(27, 100)
    assert queries(client, path) == few, path


# --- the cadre's phone: 我联系的户 ----------------------------------------------------------


def _visit_each(world, start: int, n: int) -> None:
    from lianxin.core.models import today
    from lianxin.people.models import Household
    from lianxin.visits.services import Need, Visited, do_record_visit

    numbers = [f"510184110000{i:05d}" for i in range(start, start + n)]
    for h in Household.objects.filter(number__in=numbers):
        do_record_visit(
            acting_user=world.cadre_user,
            households=[Visited(h)],
            occurred_on=today(),
            mode="in_person",
            needs=[Need(h, "想了解医保报销")],
        )


@pytest.mark.parametrize("path", ["/", "/visits/new/{household}/"])
def test_it_draws_the_cadres_phone_pages_for_3_or_30_households_in_the_same_queries(
    world, login, path
):
    """Each household with a head (whose phone is shown in full), a hardship, a visit and a
    need raised on it."""
    client = login(world.cadre_user)
    add_households(world, 3, start=9000)
    _visit_each(world, 9000, 3)
    url = path.format(household=world.cadre.pairings.first().household_id)
    few = queries(client, url)
    add_households(world, 27, start=9100)
    _visit_each(world, 9100, 27)
    assert queries(client, url) == few, path
