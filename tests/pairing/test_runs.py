"""Dry runs and applying them: what is written, what is audited, history, staleness, locks."""

from __future__ import annotations

import datetime as dt

import pytest

from lianxin.audit.models import AuditEntry
from lianxin.core.errors import Refused
from lianxin.core.models import today
from lianxin.org.services import do_cadre_leaves, do_create_cadre
from lianxin.pairing import engine
from lianxin.pairing.choices import RunStatus
from lianxin.pairing.models import Pairing, PairingRun
from lianxin.pairing.services import (
    cadre_on,
    do_apply_pairing_run,
    do_lock_pairing,
    do_pair,
    do_start_pairing_run,
)
from tests.pairing.runs_support import (  # noqa: F401
    apply,
    build_county,
    current_cadre,
    dry_run,
    inline_runs,
)

pytestmark = pytest.mark.usefixtures("inline_runs")

YESTERDAY = dt.timedelta(days=1)


def test_it_writes_nothing_on_a_dry_run(world):
    run = dry_run(world.county, world.city_admin)
    assert run.status == RunStatus.PREVIEWED
    assert run.created_by == world.city_admin
    assert not Pairing.objects.exists()
    assert run.changes.count() == 2
    started = AuditEntry.objects.get(action="计算自动结对预览")
    assert started.actor == world.city_admin and started.target_id == str(run.pk)


def test_it_applies_in_one_transaction_with_one_audit_row(world):
    c = build_county(world, households=60, cadres=10)
    run = dry_run(world.county, world.city_admin)

    do_apply_pairing_run(run, acting_user=world.city_admin)

    run.refresh_from_db()
    assert run.status == RunStatus.APPLIED and run.applied_at is not None
    pairings = Pairing.objects.filter(valid_to__isnull=True)
    assert pairings.count() == 62
    assert set(pairings.values_list("valid_from", flat=True)) == {today()}
    assert set(pairings.values_list("made_by", flat=True)) == {world.city_admin.pk}
    assert not pairings.filter(locked=True).exists()
    [entry] = AuditEntry.objects.filter(action="执行自动结对")
    assert entry.actor == world.city_admin
    assert entry.changes["new"] == [None, 62] and entry.changes["ended"] == [None, 0]
    # Nothing per household: the run is the audit record of its pairings.
    assert not AuditEntry.objects.filter(action="结对").exists()
    assert all(current_cadre(h) for h in c.households)
    assert run.summary["applied"]["new"] == 62


def test_it_changes_nothing_when_rerun_with_nothing_changed(world):
    build_county(world, households=30, cadres=6)
    apply(world.county, world.city_admin)
    before = set(Pairing.objects.values_list("id", "household_id", "cadre_id", "valid_to"))

    again = dry_run(world.county, world.city_admin)
    assert again.summary["counts"]["new"] == 0
    assert again.summary["counts"]["ended"] == 0
    assert again.summary["counts"]["kept"] == 32
    assert again.changes.count() == 0

    do_apply_pairing_run(again, acting_user=world.city_admin)
    again.refresh_from_db()
    assert again.status == RunStatus.APPLIED
    assert set(Pairing.objects.values_list("id", "household_id", "cadre_id", "valid_to")) == before
    # A no-op writes no second audit row.
    assert AuditEntry.objects.filter(action="执行自动结对").count() == 1


def test_it_refuses_a_stale_preview_and_marks_it_superseded(world):
    run = dry_run(world.county, world.city_admin)
    do_pair(cadre=world.cadre, household=world.household, acting_user=world.city_admin)

    with pytest.raises(Refused) as exc:
        do_apply_pairing_run(run, acting_user=world.city_admin)

    assert exc.value.status == 409 and "重新计算" in exc.value.message
    run.refresh_from_db()
    assert run.status == RunStatus.SUPERSEDED
    assert Pairing.objects.count() == 1
    assert not AuditEntry.objects.filter(action="执行自动结对").exists()


def test_it_refuses_to_apply_twice_or_before_the_preview_is_ready(world):
    run = dry_run(world.county, world.city_admin)
    do_apply_pairing_run(run, acting_user=world.city_admin)
    with pytest.raises(Refused, match="已于"):
        do_apply_pairing_run(run, acting_user=world.city_admin)

    queued = do_start_pairing_run(county=world.county, acting_user=world.city_admin, start=False)
    with pytest.raises(Refused, match="待确认"):
        do_apply_pairing_run(queued, acting_user=world.city_admin)


def test_it_supersedes_other_previews_when_one_is_applied(world):
    first = dry_run(world.county, world.city_admin)
    second = dry_run(world.county, world.city_admin)
    do_apply_pairing_run(second, acting_user=world.city_admin)
    first.refresh_from_db()
    assert first.status == RunStatus.SUPERSEDED


def test_it_refuses_a_second_run_while_one_computes(world):
    do_start_pairing_run(county=world.county, acting_user=world.city_admin, start=False)
    with pytest.raises(Refused, match="正在计算") as exc:
        do_start_pairing_run(county=world.county, acting_user=world.city_admin)
    assert exc.value.status == 409


def test_it_refuses_anyone_but_the_city_administrator(world):
    for user in (world.leader_user, world.township_staff, world.outsider):
        with pytest.raises(Refused) as exc:
            do_start_pairing_run(county=world.county, acting_user=user)
        assert exc.value.status == 403
    run = dry_run(world.county, world.city_admin)
    with pytest.raises(Refused):
        do_apply_pairing_run(run, acting_user=world.leader_user)


def test_it_keeps_a_locked_pairing_even_out_of_zone(world):
    # 三龙村 is not in the 宣传部's zone; an administrator pinned this pairing anyway.
    pinned = do_pair(
        cadre=world.cadre, household=world.other_household, acting_user=world.city_admin
    )
    do_lock_pairing(pinned, acting_user=world.city_admin)

    run = apply(world.county, world.city_admin)

    pinned.refresh_from_db()
    assert pinned.valid_to is None and pinned.locked
    assert run.summary["counts"]["locked_kept"] == 1
    assert run.summary["counts"]["locked_out_of_zone"] == 1
    assert current_cadre(world.household) == world.cadre.pk


def test_it_ends_an_unlocked_out_of_zone_pairing(world):
    stray = do_pair(cadre=world.cadre, household=world.other_household, acting_user=None)
    run = dry_run(world.county, world.city_admin)
    [ended] = run.changes.filter(kind="ended")
    assert ended.household_id == world.other_household.pk
    assert ended.reason == engine.REASON_OUT_OF_ZONE
    do_apply_pairing_run(run, acting_user=world.city_admin)
    stray.refresh_from_db()
    # Made today and ended today: it ends on the day it began, never before.
    assert stray.valid_to == stray.valid_from == today()


def test_it_keeps_history_exact_across_a_cadre_leaving(world):
    c = build_county(world, households=12, cadres=6)
    start = today() - dt.timedelta(days=40)
    household = c.households[0]
    unit = c.cadres[0].unit
    first, other = [x for x in c.cadres if x.unit_id == unit.pk][:2]
    do_pair(cadre=first, household=household, acting_user=None, valid_from=start)
    left_on = today() - dt.timedelta(days=10)
    do_cadre_leaves(first, left_on=left_on, acting_user=None)

    run = dry_run(world.county, world.city_admin)
    [ended] = run.changes.filter(kind="ended", household=household)
    assert ended.reason == engine.REASON_LEFT
    [new] = run.changes.filter(kind="new", household=household)
    assert new.reason == engine.REPLACES + engine.REASON_LEFT
    assert new.unit_id == unit.pk
    do_apply_pairing_run(run, acting_user=world.city_admin)

    old = Pairing.objects.get(household=household, cadre=first)
    # Ends the day the cadre left, not the day the run was applied.
    assert old.valid_to == left_on
    assert cadre_on(household, start).pk == first.pk
    assert cadre_on(household, left_on).pk == first.pk
    assert cadre_on(household, left_on + dt.timedelta(days=1)) is None
    assert cadre_on(household, today()).unit_id == unit.pk
    assert cadre_on(household, today()).pk != first.pk
    assert cadre_on(household.pk, start - YESTERDAY) is None
    assert other.unit_id == unit.pk


def test_it_answers_who_was_the_cadre_on_a_past_day(world):
    march = dt.date(2025, 3, 1)
    do_pair(
        cadre=world.cadre,
        household=world.household,
        acting_user=None,
        valid_from=dt.date(2025, 1, 1),
    )
    from lianxin.org.services import do_create_cadre

    newcomer = do_create_cadre(unit=world.unit, staff_no="C0002", name="王新", acting_user=None)
    do_pair(
        cadre=newcomer, household=world.household, acting_user=None, valid_from=dt.date(2025, 4, 1)
    )

    assert cadre_on(world.household, march) == world.cadre
    assert cadre_on(world.household, dt.date(2025, 3, 31)) == world.cadre
    assert cadre_on(world.household, dt.date(2025, 4, 1)) == newcomer
    assert cadre_on(world.household, dt.date(2024, 12, 31)) is None
    assert Pairing.objects.filter(household=world.household).count() == 2


def test_it_counts_coverage_before_and_after(world):
    build_county(world, households=30, cadres=6)
    first = apply(world.county, world.city_admin)
    assert first.summary["coverage"]["before"]["households_covered"] == 0
    assert first.summary["coverage"]["after"]["households_covered"] == 32
    again = dry_run(world.county, world.city_admin)
    assert again.summary["coverage"]["before"] == again.summary["coverage"]["after"]
    assert again.summary["coverage"]["before"]["cadres_paired"] == 7


def test_it_lists_runs_newest_first(world):
    a = dry_run(world.county, world.city_admin)
    b = dry_run(world.county, world.city_admin)
    assert list(PairingRun.objects.visible_to(world.city_admin)) == [b, a]
    assert list(PairingRun.objects.visible_to(world.leader_user)) == [b, a]
    assert not PairingRun.objects.visible_to(world.township_staff).exists()


def test_it_dates_an_applied_run_from_its_effective_day(world):
    c = build_county(world, households=30, cadres=6)
    late = do_create_cadre(
        unit=c.units[0],
        staff_no="T0099",
        name="后到干部",
        acting_user=None,
        joined_on=dt.date(2021, 6, 1),
    )
    run = dry_run(world.county, world.city_admin)

    do_apply_pairing_run(run, acting_user=world.city_admin, effective_on=dt.date(2021, 3, 1))

    pairings = Pairing.objects.filter(valid_to__isnull=True).select_related("cadre")
    assert pairings.exists()
    # From the effective day, or from the day a cadre who joined later took up the post.
    assert all(p.valid_from == max(dt.date(2021, 3, 1), p.cadre.joined_on) for p in pairings)
    assert {p.valid_from for p in pairings if p.cadre.joined_on == dt.date(2020, 1, 1)} == {
        dt.date(2021, 3, 1)
    }
    assert all(p.valid_from == late.joined_on for p in pairings if p.cadre_id == late.pk)
    entry = AuditEntry.objects.get(action="执行自动结对")
    assert entry.changes["valid_from"] == [None, "2021-03-01"]
    run.refresh_from_db()
    assert run.summary["applied"]["on"] == "2021-03-01"
    assert cadre_on(c.households[0], dt.date(2021, 3, 1)) is not None


def test_it_refuses_an_effective_day_ahead_or_inside_the_history(world):
    build_county(world, households=10, cadres=3)
    run = dry_run(world.county, world.city_admin)
    with pytest.raises(Refused, match="生效日期不能晚于今天") as exc:
        do_apply_pairing_run(
            run, acting_user=world.city_admin, effective_on=today() + dt.timedelta(days=1)
        )
    assert exc.value.field == "effective_on"

    do_pair(
        cadre=world.cadre,
        household=world.household,
        acting_user=world.city_admin,
        valid_from=dt.date(2022, 1, 1),
    )
    run = dry_run(world.county, world.city_admin)
    with pytest.raises(Refused, match="不能与已有结对重叠"):
        do_apply_pairing_run(run, acting_user=world.city_admin, effective_on=dt.date(2022, 1, 1))
    run.refresh_from_db()
    assert run.status == RunStatus.PREVIEWED  # nothing written; it can still be applied
    assert not AuditEntry.objects.filter(action="执行自动结对").exists()
