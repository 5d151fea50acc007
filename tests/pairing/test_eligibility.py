"""Who may take households on a day: one date-aware definition (policy.eligible_cadres) that
the pairing engine pairs from and the coverage report counts as capacity."""

from __future__ import annotations

import datetime as dt

import pytest

from lianxin.core.models import today
from lianxin.org.services import do_cadre_leaves, do_create_cadre
from lianxin.pairing import engine
from lianxin.pairing.choices import Coverage
from lianxin.pairing.coverage import county_coverage, county_summary
from lianxin.pairing.models import Pairing
from lianxin.pairing.services import do_exclude_cadre, do_set_policy
from tests.pairing.runs_support import (  # noqa: F401
    apply,
    build_county,
    dry_run,
    inline_runs,
)

pytestmark = pytest.mark.usefixtures("inline_runs")

DAY = dt.timedelta(days=1)


def _small_loads(world) -> None:
    """Loads of 1–15, so a single cadre can take the world's two households."""
    do_set_policy(
        county=world.county,
        acting_user=world.city_admin,
        coverage=Coverage.ALL,
        min_load=1,
        max_load=15,
        keep_groups_together=False,
        exclude_city_leaders=True,
    )


def _newcomer(world, staff_no: str = "C0100", joined_on: dt.date | None = None):
    """A cadre of the world's unit whose first assignment starts tomorrow."""
    return do_create_cadre(
        unit=world.unit,
        staff_no=staff_no,
        name="杨新来",
        acting_user=world.city_admin,
        joined_on=joined_on or today() + DAY,
    )


def test_it_does_not_pair_a_cadre_who_joins_tomorrow(world):
    _small_loads(world)
    newcomer = _newcomer(world)
    # The unit's only other cadre who takes households leaves today: nobody may take its zone.
    do_cadre_leaves(world.cadre, left_on=today(), acting_user=world.city_admin)

    run = apply(world.county, world.city_admin)

    assert not Pairing.objects.filter(cadre=newcomer).exists()
    assert run.summary["coverage"]["after"]["cadres_eligible"] == 0
    assert run.summary["coverage"]["after"]["households_covered"] == 0


def test_it_does_not_count_a_cadre_who_joins_tomorrow_as_capacity(world):
    _small_loads(world)
    newcomer = _newcomer(world)

    today_ids = set(county_coverage(world.county).cadres().values_list("pk", flat=True))
    tomorrow_ids = set(
        county_coverage(world.county, today() + DAY).cadres().values_list("pk", flat=True)
    )

    assert newcomer.pk not in today_ids
    assert world.cadre.pk in today_ids
    assert county_summary(world.county).cadres.total == 1
    # From the day the assignment starts, the newcomer is capacity like anyone else.
    assert newcomer.pk in tomorrow_ids
    assert county_summary(world.county, today() + DAY).cadres.total == 2


def test_it_pairs_and_counts_the_same_cadres_on_every_day(world):
    c = build_county(world, households=20, cadres=8)  # all joined on 2020-01-01
    admin = world.city_admin
    left_long_ago, leaving_soon, excluded, excluded_later = c.cadres[:4]
    do_cadre_leaves(left_long_ago, left_on=today() - 10 * DAY, acting_user=admin)
    do_cadre_leaves(leaving_soon, left_on=today() + 10 * DAY, acting_user=admin)
    do_exclude_cadre(
        cadre=excluded,
        reason="病假",
        acting_user=admin,
        valid_from=today() - 5 * DAY,
        valid_to=today() + 5 * DAY,
    )
    do_exclude_cadre(
        cadre=excluded_later, reason="借调", acting_user=admin, valid_from=today() + 3 * DAY
    )
    newcomer = _newcomer(world, joined_on=today() + 2 * DAY)
    # world.leader is a city leader, kept out by the default policy.

    days = {
        "twenty days ago": today() - 20 * DAY,
        "a week ago": today() - 7 * DAY,
        "today": today(),
        "in two days": today() + 2 * DAY,
        "in four days": today() + 4 * DAY,
        "in a fortnight": today() + 14 * DAY,
    }
    for label, day in days.items():
        paired_from = engine.build_instance(world.county, on=day).eligible
        counted = set(county_coverage(world.county, day).cadres().values_list("pk", flat=True))
        assert paired_from == counted, label
        assert world.leader.pk not in counted, label
        assert (left_long_ago.pk in counted) == (day < today() - 10 * DAY), label
        assert (leaving_soon.pk in counted) == (day < today() + 10 * DAY), label
        assert (excluded.pk in counted) == (not today() - 5 * DAY <= day <= today() + 5 * DAY), (
            label
        )
        assert (excluded_later.pk in counted) == (day < today() + 3 * DAY), label
        assert (newcomer.pk in counted) == (day >= today() + 2 * DAY), label

    run = dry_run(world.county, admin)
    assert run.summary["coverage"]["after"]["cadres_eligible"] == (
        county_summary(world.county).cadres.total
    )
