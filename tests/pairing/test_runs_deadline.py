"""Runs with a wall-clock budget: a run whose model needs minutes stops at its budget (or the
job runner's deadline) with the best answer found, coverage still optimal, the unproven
components marked, and can be applied as is; a stop hook cancels it before anything is saved.
"""

from __future__ import annotations

import datetime as dt
import random
import time

import pytest
from django.urls import reverse

from lianxin.geo.choices import Level
from lianxin.geo.services import do_create_region
from lianxin.org.choices import UnitKind
from lianxin.org.services import do_assign_zone, do_create_cadre, do_create_unit
from lianxin.pairing import engine
from lianxin.pairing.choices import RunStatus
from lianxin.pairing.models import Pairing, PairingRunChange
from lianxin.pairing.policy import policy_for
from lianxin.pairing.services import (
    do_apply_pairing_run,
    do_set_policy,
    do_set_run_budget,
    do_start_pairing_run,
)
from lianxin.people.services import do_create_household
from tests.pairing.runs_support import FAST, inline_runs  # noqa: F401

pytestmark = pytest.mark.usefixtures("inline_runs")

# The most deterministic seconds a run may ask for per component: minutes of wall time here.
NEEDS_MINUTES = 600


def _raised_unit(world) -> int:
    """A unit of 20 cadres with a zone of three villages holding 600-odd households in uneven
    groups, paired and applied at loads 5–15 (300 households), then the county's max load
    raised to 40: the next run has 300-odd free households and a split/evenness problem that
    CP-SAT does not prove in minutes. Returns how many households the unit has."""
    rnd = random.Random(7)
    county = world.county
    township = do_create_region(
        county=county, level=Level.TOWNSHIP, name="隆兴镇人民政府", code="510184120"
    )
    unit = do_create_unit(
        county=county, name="测试大单位", kind=UnitKind.CITY_DEPARTMENT, acting_user=None
    )
    groups = []
    for v in range(3):
        village = do_create_region(
            county=county, level=Level.VILLAGE, name=f"测试{v + 1}村村民委员会", parent=township
        )
        do_assign_zone(unit=unit, village=village, acting_user=None)
        for g in range(5):
            groups.append(
                do_create_region(
                    county=county, level=Level.GROUP, name=f"{g + 1}组", parent=village
                )
            )
    made = 0
    for group in groups:
        for _ in range(rnd.randint(25, 55)):
            made += 1
            do_create_household(
                county=county, number=f"5101842100000{made:04d}", region=group, acting_user=None
            )
    for i in range(20):
        do_create_cadre(
            unit=unit,
            staff_no=f"D{i + 1:04d}",
            name=f"大单位干部{i + 1}",
            acting_user=None,
            joined_on=dt.date(2020, 1, 1),
        )
    first = do_start_pairing_run(county=county, acting_user=None, time_limit=FAST)
    first.refresh_from_db()
    do_apply_pairing_run(first, acting_user=None)
    policy = policy_for(county)
    do_set_policy(
        county=county,
        acting_user=None,
        coverage=policy.coverage,
        min_load=policy.min_load,
        max_load=40,
        keep_groups_together=True,
        exclude_city_leaders=True,
    )
    return made


def _check_preview(run, made: int) -> None:
    s = run.summary
    must = made + 3  # and the world's own three households
    assert run.status == RunStatus.PREVIEWED
    assert s["budget"]["exhausted"] is True
    assert s["coverage_proved"] is True
    # Coverage stays optimal: every household the zones and capacities allow has a cadre.
    assert s["coverage"]["after"]["households_must"] == must
    assert s["counts"]["uncovered"] == 1  # the world's household in a zone with no cadre
    big = [row for row in s["unproven"] if row["units"] == ["测试大单位"]]
    assert len(big) == 1
    assert big[0]["timed_out"] and big[0]["households"] == made - 300
    assert "uncovered" not in big[0]["tiers"]
    assert big[0]["tiers_zh"] and big[0]["reason"]
    [row] = [u for u in s["units"] if u["name"] == "测试大单位"]
    assert row["status"] == "FEASIBLE" and row["unproven"] == big[0]["tiers_zh"]


def test_it_stops_a_run_at_its_budget_and_the_preview_can_be_applied(world):
    made = _raised_unit(world)
    do_set_run_budget(county=world.county, acting_user=None, run_budget=10, run_budget_max=10)
    run = do_start_pairing_run(
        county=world.county, acting_user=None, time_limit=NEEDS_MINUTES, start=False
    )
    assert run.summary["params"]["budget_seconds"] == 10

    started = time.monotonic()
    run = engine.compute_run(run)
    took = time.monotonic() - started

    # Without the budget this runs for minutes; the margin is for a busy machine.
    assert took < 60
    assert run.summary["budget"]["seconds"] == 10
    _check_preview(run, made)
    new = run.summary["counts"]["new"]
    assert new == made - 300

    do_apply_pairing_run(run, acting_user=None)
    run.refresh_from_db()
    assert run.status == RunStatus.APPLIED
    assert Pairing.objects.filter(valid_to__isnull=True).count() == 300 + new + 2


def test_it_stops_at_the_job_runners_deadline(world):
    made = _raised_unit(world)
    run = do_start_pairing_run(
        county=world.county, acting_user=None, time_limit=NEEDS_MINUTES, start=False
    )
    started = time.monotonic()
    run = engine.compute_run(run, deadline=started + 2)
    assert time.monotonic() - started < 60
    assert run.summary["budget"]["seconds"] == 120  # the policy's default; the deadline came first
    _check_preview(run, made)


def test_it_shows_the_unproven_components_on_the_preview_and_in_the_api(world, client):
    _raised_unit(world)
    run = do_start_pairing_run(
        county=world.county, acting_user=None, time_limit=NEEDS_MINUTES, start=False
    )
    run = engine.compute_run(run, deadline=time.monotonic() + 1)
    client.force_login(world.city_admin)

    page = client.get(reverse("pairing:run_detail", args=[run.pk])).content.decode()
    assert "未能证明最优" in page and "测试大单位" in page
    assert "可以直接确认执行" in page and "放宽计算时限后重新计算" in page

    answer = client.get(f"/api/pairing/runs/{run.pk}").json()
    assert answer["budget_exhausted"] is True
    assert answer["unproven_components"] == len(answer["summary"]["unproven"]) >= 1
    assert answer["summary"]["coverage_proved"] is True


def test_it_raises_run_cancelled_when_asked_to_stop_and_saves_nothing(world):
    _raised_unit(world)
    run = do_start_pairing_run(
        county=world.county, acting_user=None, time_limit=NEEDS_MINUTES, start=False
    )
    started = time.monotonic()
    asked = []

    def should_stop() -> bool:
        asked.append(time.monotonic())
        return time.monotonic() - started > 1

    with pytest.raises(engine.RunCancelled):
        engine.compute_run(run, should_stop=should_stop)

    assert time.monotonic() - started < 30
    assert len(asked) > 2  # asked while CP-SAT searched, not only between phases
    assert not PairingRunChange.objects.filter(run=run).exists()
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING  # the job runner marks it cancelled
    assert "unproven" not in run.summary


def test_it_cancels_before_solving_when_asked_at_once(world):
    run = do_start_pairing_run(county=world.county, acting_user=None, start=False)
    with pytest.raises(engine.RunCancelled):
        engine.compute_run(run, should_stop=lambda: True)
    assert not PairingRunChange.objects.filter(run=run).exists()
