"""The rates' roll-up (lianxin.visits.rollup): read instead of the records, it must give the
same figures as the records for every level, scope and period it answers — after a rebuild, and
after each kind of change mended in place without one — and step aside (the rates then count the
records) whenever it cannot answer or is stale."""

from __future__ import annotations

import datetime as dt

import pytest

from lianxin.cards.services import do_issue_token
from lianxin.core.models import today as real_today
from lianxin.org.models import CadreAssignment
from lianxin.org.services import do_cadre_leaves, do_create_cadre, do_transfer_cadre
from lianxin.pairing.services import do_end_pairing, do_pair
from lianxin.people.choices import HardshipKind
from lianxin.people.services import do_add_hardship, do_update_household
from lianxin.visits import rollup
from lianxin.visits.choices import VisitMode
from lianxin.visits.models import ContactMonths, OverdueDay, RollupState, VisitHousehold
from lianxin.visits.periods import date_range, month, quarter, year
from lianxin.visits.rates import KEYS, Level, rates_for
from lianxin.visits.services import (
    do_confirm_contact,
    do_edit_visit,
    do_set_cadence,
    do_withdraw_visit,
)

from .support import pair, visit
from .test_rates import TODAY, random_program

D = dt.date

# Whole-month periods the roll-up answers, across the year boundary too.
PERIODS = [
    month(2025, 1),
    month(2025, 4),
    month(2025, 6),
    quarter(2025, 2),
    year(2025),
    date_range(D(2024, 11, 1), D(2025, 4, 30)),
]


# The months the changes below reach.
CHANGED = [month(2025, 5), month(2025, 6), date_range(D(2024, 11, 1), D(2025, 6, 30))]


@pytest.fixture
def frozen(monkeypatch):
    for where in ("services", "plan", "rates", "rollup"):
        monkeypatch.setattr(f"lianxin.visits.{where}.today", lambda: TODAY)
    monkeypatch.setattr("lianxin.pairing.services.today", lambda: TODAY)


def figures(rates):
    rows = {
        r.id: (r.households, r.met, r.talked, r.visits, r.overdue, r.confirmed) for r in rates.rows
    }
    t = rates.total
    return rows, (t.households, t.met, t.talked, t.visits, t.overdue, t.confirmed)


def views(world):
    """(user, level, narrowing) of every figure the roll-up answers in the small world."""
    out = []
    for level in KEYS:
        out.append((world.city_admin, level, {}))
        out.append((world.city_admin, level, {"region": world.township}))
        out.append((world.city_admin, level, {"region": world.village}))
        out.append((world.city_admin, level, {"unit": world.unit}))
        out.append((world.township_staff, level, {}))
    # A whole county by household is counted from the records (the roll-up would gain nothing).
    return [
        v
        for v in out
        if not (v[1] == Level.HOUSEHOLD and v[0] is world.city_admin and "region" not in v[2])
    ]


def from_records(world, periods=PERIODS):
    """Every view's figures counted from the records (the roll-up stepped aside)."""
    state = RollupState.objects.filter(county=world.county)
    was = list(state.values_list("fresh", flat=True))
    state.update(fresh=False)
    try:
        found = {}
        for period in periods:
            for user, level, narrow in views(world):
                got = rates_for(user, period, level, **narrow)
                assert got.source == "records"
                found[period.code, user.username, level, tuple(narrow)] = figures(got)
        return found
    finally:
        if was:
            state.update(fresh=was[0])


def from_rollup(world, periods=PERIODS):
    found = {}
    for period in periods:
        for user, level, narrow in views(world):
            got = rates_for(user, period, level, **narrow)
            assert got.source == "rollup", (period.code, level, narrow)
            found[period.code, user.username, level, tuple(narrow)] = figures(got)
    return found


def assert_same(world, periods=PERIODS):
    assert rollup.drift(world.county.pk) == {
        "places": 0,
        "people": 0,
        "visits": 0,
        "overdue": 0,
        "units": 0,
    }
    expected, got = from_records(world, periods), from_rollup(world, periods)
    for key, value in expected.items():
        assert got[key] == value, key


@pytest.mark.parametrize("seed", [1, 2])
def test_it_gives_the_records_figures_for_every_level_scope_and_period(world, frozen, seed):
    random_program(world, seed)
    do_confirm_contact(
        token=do_issue_token(world.household, acting_user=None).token,
        acting_user=None,
        on=D(2025, 4, 9),
    )
    rollup.rebuild(world.county.pk, on=TODAY)
    assert ContactMonths.objects.exists() and OverdueDay.objects.exists()
    assert_same(world)


def test_it_stays_equal_after_each_change_without_a_rebuild(world, frozen):
    random_program(world, 3)
    # 独居 households owed three visits a month: adding one changes that household's plan.
    do_set_cadence(
        county=world.county,
        acting_user=None,
        visits_per_month=1,
        overrides={HardshipKind.EXTREME_POVERTY: 2, HardshipKind.LIVING_ALONE: 3},
    )
    rollup.rebuild(world.county.pk, on=TODAY)
    generation = RollupState.objects.get(county=world.county).generation

    do_pair(
        cadre=world.cadre, household=world.household, acting_user=None, valid_from=D(2025, 5, 1)
    )
    assert_same(world, CHANGED)
    v = visit(world, world.household, D(2025, 6, 18))
    assert_same(world, CHANGED)
    do_edit_visit(
        v,
        acting_user=world.cadre_user,
        expected_version=v.version,
        occurred_on=D(2025, 5, 30),
        mode=VisitMode.PHONE,
    )
    assert_same(world, CHANGED)
    v.refresh_from_db()
    do_withdraw_visit(v, acting_user=world.cadre_user, expected_version=v.version)
    assert_same(world, CHANGED)

    do_confirm_contact(
        token=do_issue_token(world.household2, acting_user=None).token, acting_user=None
    )
    assert_same(world, CHANGED)

    newcomer = do_create_cadre(
        unit=world.other_unit, staff_no="N0001", name="新来", acting_user=None
    )
    p = do_pair(
        cadre=newcomer, household=world.household2, acting_user=None, valid_from=D(2025, 5, 20)
    )
    assert_same(world, CHANGED)
    do_end_pairing(p, valid_to=D(2025, 6, 10), acting_user=None)
    assert_same(world, CHANGED)

    # (Assignments begin on the real day the world was built: the transfer comes after it.)
    later = real_today() + dt.timedelta(days=2)
    do_transfer_cadre(world.cadre, unit=world.other_unit, acting_user=None, effective_on=later)
    assert_same(world, CHANGED)
    do_add_hardship(
        world.household,
        kind=HardshipKind.LIVING_ALONE,
        acting_user=None,
        valid_from=D(2025, 3, 1),
    )
    assert_same(world, CHANGED)
    do_update_household(world.household, acting_user=None, region=world.other_group)
    assert_same(world, CHANGED)
    # The newcomer leaves before their pairing's end (their assignment dated back to allow it).
    CadreAssignment.objects.filter(cadre=newcomer).update(valid_from=D(2025, 1, 1))
    do_cadre_leaves(newcomer, left_on=D(2025, 6, 5), acting_user=None)
    assert_same(world, CHANGED)
    # All of it mended in place: the roll-up never went stale.
    state = RollupState.objects.get(county=world.county)
    assert state.fresh and state.generation == generation


def test_it_steps_aside_while_stale_and_a_rebuild_that_raced_a_wide_change_stays_stale(
    world, frozen
):
    pair(world, world.household, since=D(2025, 1, 1))
    visit(world, world.household, D(2025, 3, 3))
    rollup.rebuild(world.county.pk, on=TODAY)
    march = month(2025, 3)
    assert rates_for(world.city_admin, march).source == "rollup"
    # A new cadence changes every plan: stale until rebuilt, the records counted meanwhile.
    do_set_cadence(county=world.county, acting_user=None, visits_per_month=2)
    state = RollupState.objects.get(county=world.county)
    assert not state.fresh and state.stale_reason == "走访频次变更"
    assert rates_for(world.city_admin, march).source == "records"

    def meanwhile(done, steps):
        if done == 1:
            rollup.invalidate(world.county.pk, "又一次变更")

    rollup.rebuild(world.county.pk, on=TODAY, progress=meanwhile)
    assert not RollupState.objects.get(county=world.county).fresh
    rollup.rebuild(world.county.pk, on=TODAY)
    assert RollupState.objects.get(county=world.county).fresh
    assert rates_for(world.city_admin, march).source == "rollup"
    assert_same(world)


def test_it_sends_a_change_too_wide_to_a_rebuild(world, frozen, monkeypatch):
    pair(world, world.household, since=D(2025, 1, 1))
    rollup.rebuild(world.county.pk, on=TODAY)
    monkeypatch.setattr(rollup, "TOUCH_LIMIT", 1)
    pair(world, world.household2, since=D(2025, 2, 1))  # one household: mended in place
    assert RollupState.objects.get(county=world.county).fresh
    rollup.touch(world.county.pk, households=[world.household.pk, world.household2.pk])
    assert not RollupState.objects.get(county=world.county).fresh


def test_it_answers_only_what_it_holds(world, frozen):
    pair(world, world.household, since=D(2025, 1, 1))
    rollup.rebuild(world.county.pk, on=TODAY)
    june = month(2025, 6)
    assert rates_for(world.city_admin, june).source == "rollup"
    assert rates_for(world.township_staff, june, Level.VILLAGE).source == "rollup"
    # Not whole months, a group, a cadre's own figures, a handler's zone: from the records.
    assert rates_for(world.city_admin, date_range(D(2025, 6, 2), TODAY)).source == "records"
    assert rates_for(world.city_admin, june, region=world.group).source == "records"
    assert rates_for(world.cadre_user, june).source == "records"
    assert rates_for(world.handler, june).source == "records"
    # The overdue count of a day the roll-up does not hold (mid-May).
    assert rates_for(world.city_admin, date_range(D(2025, 5, 1), D(2025, 5, 15))).source == (
        "records"
    )


def test_it_adds_each_new_day_once(world, frozen):
    pair(world, world.household, since=D(2025, 1, 1))
    rollup.rebuild(world.county.pk, on=TODAY)
    tomorrow = TODAY + dt.timedelta(days=1)
    assert rollup.keep_up(on=tomorrow) == {"days": 1, "rebuilt": 0}
    assert rollup.keep_up(on=tomorrow) == {"days": 0, "rebuilt": 0}
    days = RollupState.objects.get(county=world.county).days
    # Yesterday was no month's end: only the new day and the month ends are kept.
    assert tomorrow.isoformat() in days and TODAY.isoformat() not in days
    assert D(2025, 5, 31).isoformat() in days
    assert not OverdueDay.objects.filter(day=TODAY).exists()


def test_it_reads_whole_months_as_one_mask(world):
    assert rollup.period_mask(month(2025, 1)) == (2025, 1 << 12)
    assert rollup.period_mask(year(2025)) == (2025, 0xFFF000)
    # November 2024 – April 2025: the year before's last two months and this year's first four.
    assert rollup.period_mask(date_range(D(2024, 11, 1), D(2025, 4, 30))) == (
        2025,
        0xF << 12 | 0b11 << 10,
    )
    assert rollup.period_mask(date_range(D(2025, 1, 2), D(2025, 1, 31))) is None
    assert rollup.period_mask(date_range(D(2023, 12, 1), D(2025, 1, 31))) is None
    assert VisitHousehold.objects.count() == 0


def test_it_answers_up_to_today_unless_a_pairing_begins_later_this_month(world, frozen):
    pair(world, world.household, since=D(2025, 1, 1))
    visit(world, world.household, D(2025, 6, 3))
    rollup.rebuild(world.county.pk, on=TODAY)
    to_today = date_range(D(2025, 1, 1), TODAY)
    assert rates_for(world.city_admin, to_today).source == "rollup"
    assert_same(world, [to_today])
    # A handover dated ahead, within this month: the month's masks would count it already.
    do_pair(
        cadre=world.leader, household=world.household2, acting_user=None, valid_from=D(2025, 6, 25)
    )
    assert rates_for(world.city_admin, to_today).source == "records"
