"""Each household's stored covered days (lianxin.pairing.cover): equal to a recount from the
pairings after every action that changes them, right across day boundaries, and read by
today's coverage figures."""

from __future__ import annotations

import datetime as dt

import pytest

from lianxin.core.models import today
from lianxin.jobs.periodic import refresh_expired_cover
from lianxin.org.services import do_cadre_leaves, do_create_cadre
from lianxin.pairing.cover import (
    cover_drift,
    pairing_span,
    refresh_county,
    refresh_cover,
    refresh_expired,
    run_from,
)
from lianxin.pairing.coverage import Coverage, county_coverage
from lianxin.pairing.coverage_figures import CoverageQuery, Ratio
from lianxin.pairing.models import Pairing
from lianxin.pairing.services import do_end_pairing, do_pair, do_pair_manually
from lianxin.people.models import Household
from tests.pairing.runs_support import apply, build_county, inline_runs  # noqa: F401

DAY = dt.timedelta(days=1)
D = dt.date(2026, 3, 10)


# --- the span arithmetic -------------------------------------------------------------------


def test_it_ends_a_span_at_the_earlier_of_the_pairing_and_the_cadre():
    assert pairing_span(D, None, None) == (D, None)
    assert pairing_span(D, D + 9 * DAY, D + 3 * DAY) == (D, D + 3 * DAY)
    assert pairing_span(D, D + 3 * DAY, None) == (D, D + 3 * DAY)
    assert pairing_span(D, None, D) == (D, D)
    # A cadre gone before the pairing began covers nothing.
    assert pairing_span(D, None, D - DAY) is None


def test_it_merges_spans_that_follow_on_and_stops_at_a_gap():
    handover = [(D - 9 * DAY, D - DAY), (D, None)]
    assert run_from(handover, D - 5 * DAY) == (D - 9 * DAY, None)
    # A gap of one day: the run ends, the later span is the next run once the first is over.
    gap = [(D - 9 * DAY, D - 2 * DAY), (D, D + 5 * DAY)]
    assert run_from(gap, D - 5 * DAY) == (D - 9 * DAY, D - 2 * DAY)
    assert run_from(gap, D - DAY) == (D, D + 5 * DAY)
    assert run_from(gap, D + 6 * DAY) == (None, None)
    # Overlapping spans (made and replaced the same day) and spans given in any order.
    assert run_from([(D, None), (D, D)], D) == (D, None)
    assert run_from([(D + 3 * DAY, D + 8 * DAY), (D, D + 4 * DAY)], D) == (D, D + 8 * DAY)
    assert run_from([None, (D, D)], D) == (D, D)
    assert run_from([], D) == (None, None)


# --- kept by every action ------------------------------------------------------------------


def _stored(h):
    h.refresh_from_db()
    return h.covered_from, h.covered_until


def test_it_is_kept_by_pairing_ending_and_handing_over(world):
    t = today()
    do_pair(cadre=world.cadre, household=world.household, acting_user=world.city_admin)
    assert _stored(world.household) == (t, None)
    assert cover_drift(world.county.pk) == []

    pairing = Pairing.objects.get(household=world.household)
    do_end_pairing(pairing, valid_to=t + 5 * DAY, acting_user=world.city_admin)
    assert _stored(world.household) == (t, t + 5 * DAY)

    # A handover from tomorrow: the old pairing ends today and the run goes on unbroken.
    do_pair(cadre=world.cadre, household=world.household2, acting_user=world.city_admin)
    other = do_create_cadre(unit=world.unit, staff_no="C0099", name="王五", acting_user=None)
    do_pair(
        cadre=other,
        household=world.household2,
        acting_user=world.city_admin,
        valid_from=t + DAY,
    )
    assert _stored(world.household2) == (t, None)
    assert cover_drift(world.county.pk) == []
    for day in (t, t + 5 * DAY, t + 6 * DAY, t + 30 * DAY):
        assert cover_drift(world.county.pk, day) == [], day


def test_it_is_kept_by_a_pairing_ended_today_and_by_manual_pairing(world):
    t = today()
    pairing = do_pair(cadre=world.cadre, household=world.household, acting_user=world.city_admin)
    do_end_pairing(pairing, valid_to=t, acting_user=world.city_admin)
    # Ended today: still covered today (the last day counts), gone tomorrow.
    assert _stored(world.household) == (t, t)
    assert county_coverage(world.county).household_ratio() == Ratio(1, 3)
    assert county_coverage(world.county, t + DAY).household_ratio() == Ratio(0, 3)

    from lianxin.org.services import do_assign_zone

    do_assign_zone(unit=world.unit, village=world.village, acting_user=None)
    do_pair_manually(household=world.household2, cadre=world.cadre, acting_user=world.city_admin)
    assert _stored(world.household2) == (t, None)
    assert cover_drift(world.county.pk) == []


@pytest.mark.parametrize("offset", [-3, 0, 4])
def test_it_is_kept_when_the_cadre_leaves(world, offset):
    t = today()
    do_pair(
        cadre=world.cadre,
        household=world.household,
        acting_user=world.city_admin,
        valid_from=t - 10 * DAY,
    )
    from lianxin.org.models import CadreAssignment

    CadreAssignment.objects.filter(cadre=world.cadre).update(valid_from=t - 30 * DAY)
    do_cadre_leaves(world.cadre, left_on=t + offset * DAY, acting_user=world.city_admin)
    expected = (None, None) if offset < 0 else (t - 10 * DAY, t + offset * DAY)
    assert _stored(world.household) == expected
    assert cover_drift(world.county.pk) == []
    assert county_coverage(world.county).household_ratio() == Ratio(0 if offset < 0 else 1, 3)


@pytest.mark.usefixtures("inline_runs")
def test_it_is_kept_by_an_automatic_run(world):
    c = build_county(world, households=60, cadres=10)
    apply(world.county, world.city_admin)
    assert Household.objects.filter(covered_from=today(), covered_until=None).count() == 62
    assert cover_drift(world.county.pk) == []
    # A second run that moves households (a cadre leaves, the run hands theirs on).
    leaving = Pairing.objects.filter(household__in=c.households).first().cadre
    do_cadre_leaves(leaving, left_on=today(), acting_user=world.city_admin)
    apply(world.county, world.city_admin)
    assert cover_drift(world.county.pk) == []
    for day in (today(), today() + DAY):
        assert cover_drift(world.county.pk, day) == [], day


# --- across day boundaries -------------------------------------------------------------------


def test_it_needs_no_refresh_at_midnight_for_an_ending_pairing(world):
    """Refreshed on one day and read on the next ones: right without anyone touching it."""
    t = today()
    pairing = do_pair(cadre=world.cadre, household=world.household, acting_user=world.city_admin)
    do_end_pairing(pairing, valid_to=t + 2 * DAY, acting_user=world.city_admin)
    for day in (t + DAY, t + 2 * DAY, t + 3 * DAY, t + 40 * DAY):
        assert cover_drift(world.county.pk, day) == [], day


def test_it_counts_a_pairing_dated_ahead_after_a_gap_before_the_nightly_refresh(world):
    """A run ended days ago, then a later pairing came into force: today's figures see it
    (checked against the pairings) though the stored days were last refreshed before."""
    t = today()
    past = t - 20 * DAY
    old = Pairing.objects.create(
        county=world.county,
        cadre=world.cadre,
        household=world.household,
        valid_from=past,
        valid_to=past + 5 * DAY,
    )
    Pairing.objects.create(
        county=world.county, cadre=world.cadre, household=world.household, valid_from=t - DAY
    )
    # As the pairing actions left it on the day the first pairing was in force.
    refresh_cover([world.household.pk], on=past)
    assert _stored(world.household) == (old.valid_from, old.valid_to)
    assert cover_drift(world.county.pk) == [world.household.pk]

    # Today's figures already count it, and agree with the live computation of a past day.
    cov = county_coverage(world.county)
    assert cov.household_ratio() == Ratio(1, 3)
    assert world.household not in cov.households_without_cadre()

    # The periodic refresh folds it in, and a second run changes nothing.
    refresh_expired_cover.call_local()
    assert _stored(world.household) == (t - DAY, None)
    assert cover_drift(world.county.pk) == []
    assert refresh_expired() == 0


def test_it_repairs_a_county_changed_by_hand(world):
    do_pair(cadre=world.cadre, household=world.household, acting_user=world.city_admin)
    Household.objects.update(covered_from=None, covered_until=None)
    assert cover_drift(world.county.pk) == [world.household.pk]
    assert refresh_county(world.county.pk) == 1
    assert cover_drift(world.county.pk) == []
    assert refresh_county(world.county.pk) == 0


def test_it_reads_the_stored_days_only_for_today(world):
    """Today's figures read the columns; any other day is computed from the pairings (a
    stored value wrong on purpose shows which path answered)."""
    t = today()
    do_pair(
        cadre=world.cadre,
        household=world.household,
        acting_user=world.city_admin,
        valid_from=t - 10 * DAY,
    )
    Household.objects.filter(pk=world.household.pk).update(covered_from=None)
    assert county_coverage(world.county).household_ratio() == Ratio(0, 3)
    past = Coverage(county_id=world.county.pk, query=CoverageQuery(on=t - DAY))
    assert past.household_ratio() == Ratio(1, 3)
