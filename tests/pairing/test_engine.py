"""The engine: reading a county into the solver's records, the preview it saves, the summary."""

from __future__ import annotations

import pytest

from lianxin.pairing import engine
from lianxin.pairing.choices import ChangeKind, RunStatus
from lianxin.pairing.models import Pairing, PairingRunChange
from lianxin.pairing.policy import policy_for
from lianxin.pairing.services import do_pair
from tests.pairing.runs_support import FAST, build_county, dry_run, inline_runs  # noqa: F401

pytestmark = pytest.mark.usefixtures("inline_runs")


def test_it_builds_the_world_instance(world):
    inputs = engine.build_instance(world.county)
    inst = inputs.instance

    households = {h.id: h for h in inst.households}
    assert set(households) == {world.household.pk, world.household2.pk, world.other_household.pk}
    # The group is the household's region, the village its village.
    assert households[world.household.pk].group_id == world.group.pk
    assert households[world.household.pk].village_id == world.village.pk
    # The city leader is left out by default; the cadre carries the default bounds.
    assert [(c.id, c.unit_id, c.min_load, c.max_load) for c in inst.cadres] == [
        (world.cadre.pk, world.unit.pk, 5, 15)
    ]
    assert {z.unit_id: z.village_ids for z in inst.zones} == {
        world.unit.pk: (world.village.pk,),
        world.other_unit.pk: (world.other_village.pk,),
    }
    assert inst.existing == []
    assert "大坪村" in inst.names[world.village.pk]


def test_it_reads_the_county_in_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    build_county(world, households=60, cadres=10)
    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    policy_for(world.county)  # made once, on first use
    # policy, households, overrides, cadres, zones, open pairings, village names
    with django_assert_max_num_queries(7):
        inputs = engine.build_instance(world.county.pk)
    assert len(inputs.instance.households) == 63
    assert len(inputs.instance.cadres) == 11
    assert len(inputs.instance.existing) == 1


def test_it_fingerprints_what_the_solver_reads(world):
    before = engine.build_instance(world.county).fingerprint
    assert engine.build_instance(world.county).fingerprint == before
    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    assert engine.build_instance(world.county).fingerprint != before


def test_it_saves_a_preview_with_the_summary_and_the_changes(world):
    run = dry_run(world.county)

    assert run.status == RunStatus.PREVIEWED
    assert run.finished_at is not None
    assert not Pairing.objects.exists()
    s = run.summary
    assert s["counts"] == {
        "new": 2,
        "ended": 0,
        "kept": 0,
        "uncovered": 1,
        "locked_kept": 0,
        "locked_out_of_zone": 0,
    }
    assert s["coverage"]["before"] == {
        "households_covered": 0,
        "households_must": 3,
        "cadres_paired": 0,
        "cadres_eligible": 1,
    }
    assert s["coverage"]["after"]["households_covered"] == 2
    assert s["coverage"]["after"]["cadres_paired"] == 1
    assert s["status"] == "OPTIMAL"
    assert s["solver_seconds"] >= 0 and s["wall_seconds"] >= s["solver_seconds"]
    assert s["fingerprint"] == engine.build_instance(world.county).fingerprint
    # 三龙村 is the other unit's zone, and that unit has no cadres: a shortfall.
    [short] = s["shortfalls"]
    assert "三龙村" in short["message_zh"] and short["uncovered"] == 1
    assert short["units"] == ["崇州市民政局"]
    units = {u["name"]: u for u in s["units"]}
    assert units["中共崇州市委宣传部"]["new"] == 2
    assert units["中共崇州市委宣传部"]["load_min"] == units["中共崇州市委宣传部"]["load_max"] == 2
    assert units["崇州市民政局"]["cadres"] == 0
    villages = {v["id"]: v for v in s["villages"]}
    assert villages[world.village.pk]["new"] == 2 and villages[world.village.pk]["must"] == 2
    assert villages[world.other_village.pk]["uncovered"] == 1

    changes = PairingRunChange.objects.filter(run=run)
    assert changes.count() == 2
    assert {c.household_id for c in changes} == {world.household.pk, world.household2.pk}
    assert {(c.kind, c.cadre_id, c.unit_id, c.village_id, c.reason) for c in changes} == {
        (ChangeKind.NEW, world.cadre.pk, world.unit.pk, world.village.pk, engine.REASON_NEW)
    }


def test_it_round_trips_a_generated_county(world):
    c = build_county(world, units=3, households=60, cadres=10)
    run = dry_run(world.county)

    s = run.summary
    assert s["counts"]["uncovered"] == 1  # the world's 三龙村 household, nobody else
    assert s["counts"]["new"] == 62
    units = {u["id"]: u for u in s["units"]}
    for unit in c.units:
        row = units[unit.pk]
        assert row["households"] == 20 and row["idle"] == 0
        # Twenty households over three or four cadres, each within 5–15 (min_load comes before
        # keeping groups together, which comes before evening out the loads).
        assert row["below_min"] == row["over_max"] == 0
        assert 5 <= row["load_min"] <= row["load_max"] <= 15
        assert row["status"] == "OPTIMAL"
    # Every new pairing stays inside the cadre's unit's zone.
    zone = {}
    for i, unit in enumerate(c.units):
        for v in c.villages[2 * i : 2 * i + 2]:
            zone[v.pk] = unit.pk
    for ch in PairingRunChange.objects.filter(run=run, village_id__in=zone):
        assert zone[ch.village_id] == ch.unit_id


def test_it_keeps_a_runs_policy_as_it_was(world):
    run = dry_run(world.county)
    policy = policy_for(world.county)
    assert run.summary["policy"]["min_load"] == policy.min_load == 5
    assert run.summary["policy"]["coverage_label"] == "全部户"
    assert run.summary["params"]["time_limit"] == FAST
