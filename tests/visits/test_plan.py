"""The visit plan: cadence, due and overdue across month ends, cadre changes mid-month and
hardship overrides — computed at query time from the pairing and its visits."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lianxin.accounts.choices import Role
from lianxin.org.services import do_create_cadre
from lianxin.people.choices import HardshipKind
from lianxin.people.services import do_add_hardship
from lianxin.visits.choices import PlanStatus, VisitMode
from lianxin.visits.periods import month
from lianxin.visits.plan import due_day, plan_for, plans_for_cadre
from lianxin.visits.services import do_set_cadence
from tests.factories import household as make_household
from tests.factories import user

from .support import pair, visit

D = dt.date


@pytest.fixture
def freeze(monkeypatch):
    """Move "today" (lianxin.core.models.today) to a fixed day for the services' date check."""

    def _freeze(day: dt.date):
        monkeypatch.setattr("lianxin.visits.services.today", lambda: day)
        monkeypatch.setattr("lianxin.visits.plan.today", lambda: day)

    return _freeze


def test_it_places_due_dates_through_the_month():
    feb, mar = month(2025, 2), month(2025, 3)
    assert due_day(mar, 1, 1) == D(2025, 3, 31)
    assert due_day(feb, 1, 1) == D(2025, 2, 28)
    assert [due_day(mar, k, 2) for k in (1, 2)] == [D(2025, 3, 16), D(2025, 3, 31)]
    assert [due_day(feb, k, 2) for k in (1, 2)] == [D(2025, 2, 14), D(2025, 2, 28)]


def test_it_is_due_through_the_month_and_overdue_from_the_first_of_the_next(world, freeze):
    freeze(D(2025, 4, 30))
    p = pair(world, world.household, since=D(2025, 1, 10))
    jan = plan_for(p, D(2025, 1, 31))
    assert (jan.status, jan.required, jan.done, jan.due_on) == (
        PlanStatus.DUE,
        1,
        0,
        D(2025, 1, 31),
    )
    feb1 = plan_for(p, D(2025, 2, 1))
    assert feb1.status == PlanStatus.OVERDUE and feb1.overdue_since == D(2025, 1, 31)
    visit(world, world.household, D(2025, 2, 3))
    feb3 = plan_for(p, D(2025, 2, 3))
    assert (feb3.status, feb3.done, feb3.due_on, feb3.last_on) == (
        PlanStatus.DONE,
        1,
        None,
        D(2025, 2, 3),
    )
    # Done in February: March starts due, not overdue.
    assert plan_for(p, D(2025, 3, 1)).status == PlanStatus.DUE
    assert plan_for(p, D(2025, 3, 31)).status == PlanStatus.DUE
    # March went by without a visit.
    assert plan_for(p, D(2025, 4, 1)).status == PlanStatus.OVERDUE


def test_it_counts_only_meeting_in_person_by_default(world, freeze):
    freeze(D(2025, 3, 31))
    p = pair(world, world.household, since=D(2025, 1, 1))
    visit(world, world.household, D(2025, 3, 2), met=False)  # 家中无人
    visit(world, world.household, D(2025, 3, 3), mode=VisitMode.PHONE)
    plan = plan_for(p, D(2025, 3, 10))
    assert plan.done == 0 and plan.last_on is None
    assert (plan.last_contact_on, plan.last_contact_mode) == (D(2025, 3, 3), VisitMode.PHONE)
    do_set_cadence(county=world.county, acting_user=None, visits_per_month=1, remote_counts=True)
    assert plan_for(p, D(2025, 3, 10)).status == PlanStatus.DONE


def test_it_counts_two_visits_on_one_day_once(world, freeze):
    freeze(D(2025, 3, 31))
    do_set_cadence(county=world.county, acting_user=None, visits_per_month=2)
    p = pair(world, world.household, since=D(2025, 1, 1))
    visit(world, world.household, D(2025, 3, 5))
    visit(world, world.household, D(2025, 3, 5), mode=VisitMode.MET_ELSEWHERE)
    assert plan_for(p, D(2025, 3, 6)).done == 1


def test_it_owes_the_strictest_hardship_override(world, freeze):
    freeze(D(2025, 3, 31))
    do_set_cadence(
        county=world.county,
        acting_user=None,
        visits_per_month=1,
        overrides={HardshipKind.EXTREME_POVERTY: 2, HardshipKind.LIVING_ALONE: 3},
    )
    # Paired from March: nothing owed from February.
    p = pair(world, world.household, since=D(2025, 3, 1))
    assert plan_for(p, D(2025, 3, 10)).required == 1
    do_add_hardship(
        world.household,
        kind=HardshipKind.EXTREME_POVERTY,
        acting_user=None,
        valid_from=D(2025, 1, 1),
    )
    do_add_hardship(
        world.household, kind=HardshipKind.SUBSISTENCE, acting_user=None, valid_from=D(2025, 1, 1)
    )
    plan = plan_for(p, D(2025, 3, 10))
    assert (plan.required, plan.due_on, plan.status) == (2, D(2025, 3, 16), PlanStatus.DUE)
    # The first due date (16 March) passed without a visit.
    late = plan_for(p, D(2025, 3, 17))
    assert (late.status, late.overdue_since) == (PlanStatus.OVERDUE, D(2025, 3, 16))
    visit(world, world.household, D(2025, 3, 17))
    assert plan_for(p, D(2025, 3, 18)).status == PlanStatus.DUE
    do_add_hardship(
        world.household, kind=HardshipKind.LIVING_ALONE, acting_user=None, valid_from=D(2025, 3, 20)
    )
    assert plan_for(p, D(2025, 3, 21)).required == 3


def test_it_makes_a_household_handed_over_mid_month_due_for_the_new_cadre(world, freeze):
    freeze(D(2025, 3, 31))
    old = pair(world, world.household, since=D(2025, 1, 1))
    visit(world, world.household, D(2025, 3, 3))
    assert plan_for(old, D(2025, 3, 10)).status == PlanStatus.DONE
    other = do_create_cadre(unit=world.unit, staff_no="C0002", name="王新", acting_user=None)
    other.user = user(world.county, Role.CADRE, "wangxin", unit=world.unit)
    other.save(update_fields=["user"])
    new = pair(world, world.household, cadre=other, since=D(2025, 3, 15))
    plan = plan_for(new, D(2025, 3, 15))
    assert (plan.status, plan.done) == (PlanStatus.DUE, 0)
    # Nothing carries over from before the new pairing began.
    assert plan_for(new, D(2025, 4, 1)).status == PlanStatus.OVERDUE  # March unmet by him
    visit(world, world.household, D(2025, 3, 20), by=other.user)
    assert plan_for(new, D(2025, 3, 21)).status == PlanStatus.DONE
    assert plan_for(new, D(2025, 4, 1)).status == PlanStatus.DUE


def test_it_lists_a_cadres_households_overdue_first_in_flat_queries(world, freeze):
    freeze(D(2025, 3, 31))
    p1 = pair(world, world.household, since=D(2025, 1, 1))
    p2 = pair(world, world.household2, since=D(2025, 1, 1))
    visit(world, world.household2, D(2025, 2, 10))
    visit(world, world.household2, D(2025, 3, 10))

    def listed():
        with CaptureQueriesContext(connection) as q:
            rows = plans_for_cadre(world.cadre, D(2025, 3, 12))
            [r.pairing.household.current_hardships() for r in rows]
        return rows, len(q)

    rows, few = listed()
    assert [(r.pairing.pk, r.status) for r in rows] == [
        (p1.pk, PlanStatus.OVERDUE),
        (p2.pk, PlanStatus.DONE),
    ]
    for i in range(8):
        h = make_household(world.county, world.group, f"5101841100000100{i}")
        pair(world, h, since=D(2025, 1, 1))
    rows, many = listed()
    assert len(rows) == 10 and many == few
