"""The county's pairing policy as the optimiser reads it: coverage, loads, exclusions, leaders."""

from __future__ import annotations

import datetime as dt

import pytest

from lianxin.audit.models import AuditEntry
from lianxin.core.errors import Refused
from lianxin.core.models import today
from lianxin.geo.choices import Level
from lianxin.pairing import engine
from lianxin.pairing.choices import Coverage
from lianxin.pairing.models import CadreExclusion, Pairing, UnitLoadOverride
from lianxin.pairing.policy import policy_for
from lianxin.pairing.services import (
    do_end_exclusion,
    do_exclude_cadre,
    do_lock_pairing,
    do_remove_unit_override,
    do_set_policy,
    do_set_unit_override,
)
from lianxin.people.choices import HardshipKind
from lianxin.people.services import do_add_hardship
from tests.pairing.runs_support import (  # noqa: F401
    apply,
    build_county,
    current_cadre,
    dry_run,
    inline_runs,
)

pytestmark = pytest.mark.usefixtures("inline_runs")


def policy_args(**kw):
    args = {
        "coverage": Coverage.ALL,
        "min_load": 5,
        "max_load": 15,
        "keep_groups_together": True,
        "exclude_city_leaders": True,
    }
    args.update(kw)
    return args


def test_it_covers_only_hardship_households_when_told_to(world):
    c = build_county(world, households=30, cadres=6)
    poor = c.households[:4]
    for h in poor:
        do_add_hardship(h, kind=HardshipKind.SUBSISTENCE, acting_user=None)
    do_add_hardship(c.households[5], kind=HardshipKind.DISABILITY, acting_user=None)
    do_set_policy(
        county=world.county,
        acting_user=world.city_admin,
        **policy_args(coverage=Coverage.HARDSHIP, hardship_kinds=[HardshipKind.SUBSISTENCE]),
    )

    run = apply(world.county, world.city_admin)

    assert run.summary["coverage"]["after"]["households_must"] == 4
    assert set(Pairing.objects.values_list("household_id", flat=True)) == {h.pk for h in poor}
    assert run.summary["policy"]["hardship_kinds"] == ["低保"]


def test_it_covers_the_chosen_villages_and_groups(world):
    do_set_policy(
        county=world.county,
        acting_user=world.city_admin,
        **policy_args(coverage=Coverage.REGIONS, regions=[world.group2]),
    )
    apply(world.county, world.city_admin)
    assert list(Pairing.objects.values_list("household_id", flat=True)) == [world.household2.pk]


def test_it_ends_pairings_outside_a_narrowed_policy_unless_locked(world):
    apply(world.county, world.city_admin)
    pinned = Pairing.objects.get(household=world.household)
    do_lock_pairing(pinned, acting_user=world.city_admin)
    do_set_policy(
        county=world.county,
        acting_user=world.city_admin,
        **policy_args(coverage=Coverage.HARDSHIP),
    )

    run = dry_run(world.county, world.city_admin)

    [ended] = run.changes.all()
    assert ended.household_id == world.household2.pk
    assert ended.reason == engine.REASON_NOT_COVERED
    assert run.summary["counts"]["locked_kept"] == 1


def test_it_respects_a_units_own_load_bounds(world):
    c = build_county(world, units=1, households=20, cadres=4)
    do_set_unit_override(unit=c.units[0], min_load=1, max_load=3, acting_user=world.city_admin)

    run = apply(world.county, world.city_admin)

    row = next(u for u in run.summary["units"] if u["id"] == c.units[0].pk)
    assert (row["min_load"], row["max_load"]) == (1, 3)
    assert row["load_max"] == 3 and row["households"] == 12
    [short] = [s for s in run.summary["shortfalls"] if c.units[0].pk in s["unit_ids"]]
    assert short["uncovered"] == 8 and short["max_load_needed"] == 5
    assert "上限提高到 5 户" in short["message_zh"]
    loads = [Pairing.objects.filter(cadre=x).count() for x in c.cadres]
    assert loads == [3, 3, 3, 3]


def test_it_gives_an_excluded_cadre_nothing(world):
    c = build_county(world, units=1, households=12, cadres=3)
    away = c.cadres[0]
    do_exclude_cadre(cadre=away, reason="病假", acting_user=world.city_admin)

    apply(world.county, world.city_admin)

    assert not Pairing.objects.filter(cadre=away).exists()
    assert Pairing.objects.filter(cadre__in=c.cadres[1:]).count() == 12


def test_it_hands_over_an_excluded_cadres_unlocked_households_only(world):
    c = build_county(world, units=1, households=12, cadres=3)
    apply(world.county, world.city_admin)
    away = c.cadres[0]
    held = list(Pairing.objects.filter(cadre=away, valid_to__isnull=True))
    do_lock_pairing(held[0], acting_user=world.city_admin)
    do_exclude_cadre(cadre=away, reason="借调", acting_user=world.city_admin)

    run = dry_run(world.county, world.city_admin)

    ended = run.changes.filter(kind="ended")
    assert {e.household_id for e in ended} == {p.household_id for p in held[1:]}
    assert {e.reason for e in ended} == {engine.REASON_EXCLUDED}
    assert {n.cadre_id for n in run.changes.filter(kind="new")} <= {x.pk for x in c.cadres[1:]}


def test_it_leaves_city_leaders_out_by_default(world):
    apply(world.county, world.city_admin)
    assert not Pairing.objects.filter(cadre=world.leader).exists()


def test_it_lets_city_leaders_take_households_when_the_policy_says_so(world):
    do_set_policy(
        county=world.county,
        acting_user=world.city_admin,
        **policy_args(exclude_city_leaders=False, min_load=1),
    )
    run = apply(world.county, world.city_admin)
    assert run.summary["coverage"]["after"]["cadres_eligible"] == 2
    # Two households, two cadres, each at least one: the leader takes one.
    assert Pairing.objects.filter(cadre=world.leader).count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ({"coverage": "everyone"}, "coverage", "无法识别"),
        ({"coverage": Coverage.HARDSHIP, "hardship_kinds": ["rich"]}, "hardship_kinds", "困难类型"),
        ({"coverage": Coverage.REGIONS}, "regions", "至少选择"),
        ({"min_load": 9, "max_load": 3}, "min_load", "不能大于"),
        ({"max_load": 0, "min_load": 0}, "max_load", "至少为1"),
        ({"max_load": 500}, "max_load", "不能超过"),
    ],
)
def test_it_refuses_a_bad_policy_naming_the_field(world, changes, field, text):
    with pytest.raises(Refused) as exc:
        do_set_policy(county=world.county, acting_user=world.city_admin, **policy_args(**changes))
    assert exc.value.field == field and text in exc.value.message


def test_it_refuses_regions_of_the_wrong_level(world):
    with pytest.raises(Refused, match="不是本县的村") as exc:
        do_set_policy(
            county=world.county,
            acting_user=world.city_admin,
            **policy_args(coverage=Coverage.REGIONS, regions=[world.township]),
        )
    assert exc.value.field == "regions"


def test_it_audits_policy_changes(world):
    do_set_policy(county=world.county, acting_user=world.city_admin, **policy_args(max_load=20))
    entry = AuditEntry.objects.get(action="修改结对规则")
    assert entry.changes["max_load"] == [15, 20]
    assert policy_for(world.county).max_load == 20
    # Saving the same again is not a change.
    do_set_policy(county=world.county, acting_user=world.city_admin, **policy_args(max_load=20))
    assert AuditEntry.objects.filter(action="修改结对规则").count() == 1


def test_it_names_the_chosen_regions_in_official_order(world):
    """The audit row and the run's copy of the policy list regions as the map does: each
    township's villages with their groups, 6组 before 10组, not by character code."""
    from lianxin.geo.services import do_create_region
    from lianxin.pairing.models import PairingPolicy

    group10 = do_create_region(
        county=world.county, level=Level.GROUP, name="10组", parent=world.village
    )
    chosen = [world.other_village, group10, world.village2, world.group]
    do_set_policy(
        county=world.county,
        acting_user=world.city_admin,
        **policy_args(coverage=Coverage.REGIONS, regions=chosen),
    )
    entry = AuditEntry.objects.get(action="修改结对规则")
    assert entry.changes["regions"] == ["", "双河村、6组、10组、三龙村"]
    policy = PairingPolicy.objects.get(county=world.county)
    assert engine.describe_policy(policy)["regions"] == ["双河村", "6组", "10组", "三龙村"]


def test_it_sets_and_removes_a_unit_override(world):
    o = do_set_unit_override(unit=world.unit, min_load=2, max_load=8, acting_user=world.city_admin)
    assert (
        do_set_unit_override(unit=world.unit, min_load=2, max_load=8, acting_user=world.city_admin)
        == o
    )
    with pytest.raises(Refused, match="不能大于"):
        do_set_unit_override(unit=world.unit, min_load=9, max_load=8, acting_user=world.city_admin)
    do_remove_unit_override(o, acting_user=world.city_admin)
    assert not UnitLoadOverride.objects.exists()
    assert (
        AuditEntry.objects.filter(action__in=["设置单位联系户数", "取消单位联系户数"]).count() == 2
    )


def test_it_refuses_overlapping_or_bad_exclusions(world):
    start = today()
    do_exclude_cadre(
        cadre=world.cadre,
        reason="病假",
        acting_user=world.city_admin,
        valid_from=start,
        valid_to=start + dt.timedelta(days=30),
    )
    with pytest.raises(Refused, match="已设置") as exc:
        do_exclude_cadre(
            cadre=world.cadre,
            reason="借调",
            acting_user=world.city_admin,
            valid_from=start + dt.timedelta(days=10),
        )
    assert exc.value.status == 409
    with pytest.raises(Refused) as exc:
        do_exclude_cadre(cadre=world.cadre, reason="  ", acting_user=world.city_admin)
    assert exc.value.field == "reason"
    with pytest.raises(Refused) as exc:
        do_exclude_cadre(
            cadre=world.cadre,
            reason="借调",
            acting_user=world.city_admin,
            valid_from=start + dt.timedelta(days=60),
            valid_to=start + dt.timedelta(days=40),
        )
    assert exc.value.field == "valid_to"


def test_it_ends_an_exclusion_and_the_cadre_takes_households_again(world):
    x = do_exclude_cadre(
        cadre=world.cadre,
        reason="病假",
        acting_user=world.city_admin,
        valid_from=today() - dt.timedelta(days=20),
    )
    assert dry_run(world.county).summary["coverage"]["after"]["households_covered"] == 0
    with pytest.raises(Refused, match="不能早于"):
        do_end_exclusion(x, valid_to=today() - dt.timedelta(days=30), acting_user=world.city_admin)
    do_end_exclusion(x, valid_to=today() - dt.timedelta(days=1), acting_user=world.city_admin)
    assert not CadreExclusion.objects.current().exists()
    assert dry_run(world.county).summary["coverage"]["after"]["households_covered"] == 2
