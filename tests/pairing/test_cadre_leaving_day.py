"""The one leaving rule (Cadre.objects.serving_on): 退出日期 is the cadre's last day in office, as
every end date is the last day in force (lianxin.core.ending). Coverage and the household's
cadre on a day answer the same on the day before, the day itself and the day after."""

import datetime as dt

import pytest

from lianxin.core.models import today
from lianxin.org.models import Cadre, CadreAssignment
from lianxin.org.services import do_cadre_leaves
from lianxin.pairing.coverage import coverage_for
from lianxin.pairing.coverage_figures import CoverageQuery
from lianxin.pairing.models import Pairing
from lianxin.pairing.policy import eligible_cadres, policy_for
from lianxin.pairing.services import cadre_on, do_pair

DAY = dt.timedelta(days=1)
LEFT_ON = today() - 3 * DAY


@pytest.fixture
def left(world):
    """马林增, paired with 罗选志's household and in office since last month, left on LEFT_ON."""
    month_ago = today() - 30 * DAY
    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    Pairing.objects.filter(cadre=world.cadre).update(valid_from=month_ago)
    CadreAssignment.objects.filter(cadre=world.cadre).update(valid_from=month_ago)
    Cadre.objects.filter(pk=world.cadre.pk).update(joined_on=month_ago)
    do_cadre_leaves(world.cadre, left_on=LEFT_ON, acting_user=None)
    return world


def _uncovered(world, day):
    cov = coverage_for(world.city_admin, CoverageQuery(on=day))
    return set(cov.households_without_cadre().values_list("number", flat=True))


@pytest.mark.parametrize(
    ("day", "serving"),
    [(LEFT_ON - DAY, True), (LEFT_ON, True), (LEFT_ON + DAY, False)],
    ids=["the day before", "the last day", "the day after"],
)
def test_it_counts_a_leaving_cadre_through_their_last_day(left, day, serving):
    w = left
    assert (w.cadre in Cadre.objects.serving_on(day)) is serving
    assert (cadre_on(w.household, day) == w.cadre) is serving
    assert (cadre_on(w.household, day) is None) is not serving
    assert (w.household.number in _uncovered(w, day)) is not serving


def test_it_pairs_no_new_households_to_a_cadre_on_their_last_day(left):
    # A run's pairings stay open past its day, so on the last day the cadre takes none.
    policy = policy_for(left.county)
    assert left.cadre in eligible_cadres(policy, LEFT_ON - DAY)
    assert left.cadre not in eligible_cadres(policy, LEFT_ON)
