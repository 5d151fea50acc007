"""Pairing state changes: making, ending, locking pairings; the county's pairing policy, unit
load overrides and cadre exclusions; starting and applying automatic pairing runs; and the
history read `cadre_on`. Every do_* is atomic and writes its audit row in the same
transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from lianxin.audit.services import diff, record
from lianxin.core.access import check_actor, check_in_scope
from lianxin.core.errors import Refused
from lianxin.core.fields import check_fields
from lianxin.core.integrity import refuse_conflicts
from lianxin.core.models import today
from lianxin.geo.choices import Level
from lianxin.geo.models import County, Region, tree_order
from lianxin.jobs import runner
from lianxin.jobs.choices import JobKind
from lianxin.org.models import Cadre, ResponsibilityZone, Unit
from lianxin.people.choices import HardshipKind
from lianxin.people.models import Household

from . import engine
from .choices import Coverage, RunStatus
from .cover import refresh_cover
from .models import CadreExclusion, Pairing, PairingPolicy, PairingRun, UnitLoadOverride
from .policy import policy_for


def handover_last_day(current: Pairing, new_from: dt.date) -> dt.date:
    """The last day of a pairing another replaces from `new_from`: the day before (one cadre
    a day), but a pairing replaced on the day it began ends that day, never before it began."""
    return max(new_from - dt.timedelta(days=1), current.valid_from)


def _mend_rates(county_id: int, household_ids: list[int], since: dt.date | None) -> None:
    """The rates' roll-up of these households, in the pairing change's transaction."""
    from lianxin.visits import rollup

    rollup.touch(county_id, households=household_ids, since=since)


def do_pair(
    *,
    cadre: Cadre,
    household: Household,
    acting_user: Any,
    locked: bool = False,
    valid_from: dt.date | None = None,
) -> Pairing:
    """Pair a cadre with a household; the household's current pairing, if any, is ended."""
    _check_admin(acting_user, household.county_id)
    check_in_scope(acting_user, household, cadre, write=False)
    if cadre.county_id != household.county_id:
        raise Refused("干部和户不在同一县", field="cadre")
    if cadre.left_on is not None:
        raise Refused(f"{cadre.name}已退出，不能结对", field="cadre")
    valid_from = valid_from or today()
    with refuse_conflicts():
        # Two people pairing the same household at once: lock it first.
        Household.objects.select_for_update().get(pk=household.pk)
        current = Pairing.objects.filter(household=household, valid_to__isnull=True).first()
        if current and current.cadre_id == cadre.pk:
            return current
        before = None
        if current:
            before = current.cadre.name
            current.valid_to = handover_last_day(current, valid_from)
            current.save(update_fields=["valid_to"])
        pairing = Pairing.objects.create(
            county_id=cadre.county_id,
            cadre=cadre,
            household=household,
            locked=locked,
            made_by=acting_user,
            valid_from=valid_from,
        )
        refresh_cover([household.pk])
        _mend_rates(
            household.county_id,
            [household.pk],
            min(valid_from, current.valid_to) if current and current.valid_to else valid_from,
        )
        record(
            actor=acting_user,
            action="结对",
            target=household,
            changes={"cadre": [before, cadre.name], "locked": [None, locked]},
        )
        return pairing


def do_end_pairing(pairing: Pairing, *, valid_to: dt.date, acting_user: Any) -> Pairing:
    _check_admin(acting_user, pairing.county_id)
    check_in_scope(acting_user, pairing)
    with transaction.atomic():
        pairing = Pairing.objects.select_for_update().get(pk=pairing.pk)
        if pairing.valid_to is not None:
            return pairing
        if valid_to < pairing.valid_from:
            raise Refused(f"结束日期不能早于结对开始日期{pairing.valid_from}", field="valid_to")
        pairing.valid_to = valid_to
        pairing.save(update_fields=["valid_to"])
        refresh_cover([pairing.household_id])
        _mend_rates(pairing.county_id, [pairing.household_id], valid_to)
        record(
            actor=acting_user,
            action="结束结对",
            target=pairing.household,
            changes={"cadre": [pairing.cadre.name, None]},
        )
        return pairing


# ---------------------------------------------------------------------------------------------
# Reading history


def cadre_on(household: Household | int, day: dt.date) -> Cadre | None:
    """The household's cadre on the day, from the dated pairings (history is never
    overwritten). A cadre who had left by then is nobody's cadre; on their last day they still
    are (Pairing.objects.serving). On a day two pairings share (one made and replaced the same
    day) the later one answers."""
    household_id = household if isinstance(household, int) else household.pk
    pairing = (
        Pairing.objects.serving(day)
        .filter(household_id=household_id)
        .select_related("cadre__unit")
        .order_by("-valid_from", "-id")
        .first()
    )
    return pairing.cadre if pairing else None


# ---------------------------------------------------------------------------------------------
# Who may change pairing rules and run the optimiser


NOT_MANAGER = "只有市级管理员可以调整结对"


def _check_admin(acting_user: Any, county_id: int) -> None:
    """The city administrator of the county, or the system itself (CLI, acting_user None)."""
    check_actor(acting_user, "manages_pairing", NOT_MANAGER, county_id=county_id)


# ---------------------------------------------------------------------------------------------
# Manual pairing, locking and unlocking


def do_pair_manually(
    *, household: Household, cadre: Cadre, acting_user: Any, locked: bool = False
) -> Pairing:
    """Pair a household by hand with a cadre of a unit whose zone holds its village; a locked
    pairing is never changed by automatic pairing."""
    _check_admin(acting_user, household.county_id)
    check_in_scope(acting_user, household, cadre, write=False)
    if cadre.county_id != household.county_id:
        raise Refused("干部和户不在同一县", field="cadre")
    if cadre.left_on is not None:
        raise Refused(f"{cadre.name}已于{cadre.left_on}退出，不能结对", field="cadre")
    on = today()
    policy = policy_for(household.county_id)
    if cadre.is_city_leader and policy.exclude_city_leaders:
        raise Refused(f"按结对规则，市级领导{cadre.name}联系乡镇，不承接户", field="cadre")
    if CadreExclusion.objects.current(on).filter(cadre=cadre).exists():
        raise Refused(f"{cadre.name}目前不参与结对（请假或借调等）", field="cadre")
    in_zone = (
        ResponsibilityZone.objects.current(on)
        .filter(unit_id=cadre.unit_id, village_id=household.village_id)
        .exists()
    )
    if not in_zone:
        raise Refused(
            f"{cadre.name}所在单位“{cadre.unit}”的责任区不含{household.village.short_name}，"
            "请选择负责该村（社区）的单位的干部",
            field="cadre",
        )
    with transaction.atomic():
        current = (
            Pairing.objects.select_for_update()
            .filter(household=household, valid_to__isnull=True)
            .first()
        )
        if current is not None and current.cadre_id == cadre.pk:
            if locked and not current.locked:
                return do_lock_pairing(current, acting_user=acting_user)
            return current
        return do_pair(cadre=cadre, household=household, acting_user=acting_user, locked=locked)


def _set_locked(pairing: Pairing, locked: bool, *, acting_user: Any, action: str) -> Pairing:
    _check_admin(acting_user, pairing.county_id)
    check_in_scope(acting_user, pairing)
    with transaction.atomic():
        # An automatic run applying at the same moment reads the lock: take the row first.
        pairing = Pairing.objects.select_for_update().select_related("household").get(pk=pairing.pk)
        if pairing.valid_to is not None:
            raise Refused("该结对已结束，不能锁定或解锁", field="pairing")
        if pairing.locked == locked:
            return pairing
        pairing.locked = locked
        pairing.save(update_fields=["locked"])
        record(
            actor=acting_user,
            action=action,
            target=pairing.household,
            changes={"locked": [not locked, locked], "cadre": [pairing.cadre.name] * 2},
        )
        return pairing


def do_lock_pairing(pairing: Pairing, *, acting_user: Any) -> Pairing:
    """Pin a pairing: automatic pairing keeps it even outside the zone or above max_load."""
    return _set_locked(pairing, True, acting_user=acting_user, action="锁定结对")


def do_unlock_pairing(pairing: Pairing, *, acting_user: Any) -> Pairing:
    return _set_locked(pairing, False, acting_user=acting_user, action="解除结对锁定")


# Kept under the brief's name as well: the page and API call it "unlock".
do_unlock = do_unlock_pairing


# ---------------------------------------------------------------------------------------------
# The county's policy, unit load overrides and cadre exclusions

# A cadre visits each household about monthly: more than this is not a pairing but a list.
MAX_LOAD_CAP = 100
# The bounds check names min_load, as _check_bounds does.
LOAD_FIELDS = {
    "pairing_pairingpolicy_load_bounds": "min_load",
    "pairing_unitloadoverride_load_bounds": "min_load",
}


def _check_bounds(min_load: int, max_load: int) -> None:
    if min_load < 0:
        raise Refused("最少联系户数不能为负数", field="min_load")
    if max_load < 1:
        raise Refused("最多联系户数至少为1户", field="max_load")
    if max_load > MAX_LOAD_CAP:
        raise Refused(f"最多联系户数不能超过{MAX_LOAD_CAP}户", field="max_load")
    if min_load > max_load:
        raise Refused("最少联系户数不能大于最多联系户数", field="min_load")


def _policy_snapshot(policy: PairingPolicy) -> dict[str, Any]:
    regions = policy.regions.order_by(*tree_order())
    return {
        "coverage": policy.get_coverage_display(),
        "hardship_kinds": "、".join(HardshipKind(k).label for k in policy.hardship_kinds),
        "regions": "、".join(r.short_name for r in regions),
        "min_load": policy.min_load,
        "max_load": policy.max_load,
        "keep_groups_together": policy.keep_groups_together,
        "exclude_city_leaders": policy.exclude_city_leaders,
    }


def do_set_policy(
    *,
    county: County | int,
    acting_user: Any,
    coverage: str,
    min_load: int,
    max_load: int,
    keep_groups_together: bool,
    exclude_city_leaders: bool,
    hardship_kinds: list[str] | None = None,
    regions: list[Region] | None = None,
) -> PairingPolicy:
    """Set which households must be covered, the default load bounds and the pairing rules.
    Takes effect at the next automatic pairing run; nothing is re-paired here."""
    county_id = county if isinstance(county, int) else county.pk
    _check_admin(acting_user, county_id)
    if coverage not in Coverage.values:
        raise Refused(f"无法识别的覆盖范围“{coverage}”", field="coverage")
    kinds = list(dict.fromkeys(hardship_kinds or []))
    for kind in kinds:
        if kind not in HardshipKind.values:
            raise Refused(f"无法识别的困难类型“{kind}”", field="hardship_kinds")
    regions = list(regions or [])
    check_in_scope(acting_user, *regions, write=False)
    for region in regions:
        if region.county_id != county_id or region.level not in (Level.VILLAGE, Level.GROUP):
            raise Refused(f"“{region.short_name}”不是本县的村（社区）或组", field="regions")
        if region.valid_to is not None and region.valid_to < today():
            raise Refused(f"“{region.short_name}”已于{region.valid_to}撤销", field="regions")
    if coverage == Coverage.REGIONS and not regions:
        raise Refused("请至少选择一个村（社区）或组", field="regions")
    _check_bounds(min_load, max_load)
    policy_for(county_id)
    with refuse_conflicts(LOAD_FIELDS):
        # Lock the policy row: an apply running now reads it under the same lock.
        policy = PairingPolicy.objects.select_for_update().get(county_id=county_id)
        before = _policy_snapshot(policy)
        policy.coverage = coverage
        policy.hardship_kinds = kinds
        policy.min_load, policy.max_load = min_load, max_load
        policy.keep_groups_together = keep_groups_together
        policy.exclude_city_leaders = exclude_city_leaders
        policy.save()
        policy.regions.set(regions)
        changes = diff(before, _policy_snapshot(policy))
        if changes:
            record(
                actor=acting_user,
                action="修改结对规则",
                county_id=county_id,
                target=policy,
                target_label="结对规则",
                changes=changes,
            )
        return policy


# Wall-clock seconds a pairing run may compute: long enough to read and save a whole county,
# short enough that a forgotten run does not hold the county's one computing slot for an hour.
BUDGET_MIN = 10
BUDGET_CAP = 1800


def do_set_run_budget(
    *, county: County | int, acting_user: Any, run_budget: int, run_budget_max: int
) -> PairingPolicy:
    """Set how long an automatic pairing run may compute: the default offered to whoever starts
    one and the most they may choose (wall-clock seconds). Takes effect at the next run."""
    county_id = county if isinstance(county, int) else county.pk
    _check_admin(acting_user, county_id)
    if not BUDGET_MIN <= run_budget_max <= BUDGET_CAP:
        raise Refused(f"计算时限上限须在{BUDGET_MIN}到{BUDGET_CAP}秒之间", field="run_budget_max")
    if not BUDGET_MIN <= run_budget <= BUDGET_CAP:
        raise Refused(f"默认计算时限须在{BUDGET_MIN}到{BUDGET_CAP}秒之间", field="run_budget")
    if run_budget > run_budget_max:
        raise Refused(
            f"默认计算时限（{run_budget}秒）不能大于计算时限上限（{run_budget_max}秒）",
            field="run_budget",
        )
    policy_for(county_id)
    # The checks above are the constraint's (pairing_pairingpolicy_run_budget_bounds).
    with transaction.atomic():
        # Lock the policy row: a run being started reads the limits under the same lock.
        policy = PairingPolicy.objects.select_for_update().get(county_id=county_id)
        before = (policy.run_budget, policy.run_budget_max)
        if before == (run_budget, run_budget_max):
            return policy
        policy.run_budget, policy.run_budget_max = run_budget, run_budget_max
        policy.save(update_fields=["run_budget", "run_budget_max", "updated_at"])
        record(
            actor=acting_user,
            action="修改自动结对计算时限",
            county_id=county_id,
            target=policy,
            target_label="结对规则",
            changes={
                "run_budget": [before[0], run_budget],
                "run_budget_max": [before[1], run_budget_max],
            },
        )
        return policy


def do_set_unit_override(
    *, unit: Unit, min_load: int, max_load: int, acting_user: Any
) -> UnitLoadOverride:
    """Give one unit's cadres their own load bounds (e.g. a small unit with a large zone)."""
    _check_admin(acting_user, unit.county_id)
    check_in_scope(acting_user, unit, write=False)
    _check_bounds(min_load, max_load)
    policy = policy_for(unit.county_id)
    with refuse_conflicts(LOAD_FIELDS):
        PairingPolicy.objects.select_for_update().get(pk=policy.pk)
        override = UnitLoadOverride.objects.filter(policy=policy, unit=unit).first()
        before = (override.min_load, override.max_load) if override else (None, None)
        if before == (min_load, max_load):
            return override  # type: ignore[return-value]
        if override is None:
            override = UnitLoadOverride(county_id=unit.county_id, policy=policy, unit=unit)
        override.min_load, override.max_load = min_load, max_load
        override.save()
        record(
            actor=acting_user,
            action="设置单位联系户数",
            target=unit,
            changes={"min_load": [before[0], min_load], "max_load": [before[1], max_load]},
        )
        return override


def do_remove_unit_override(override: UnitLoadOverride, *, acting_user: Any) -> None:
    """The unit's cadres go back to the county's default load bounds."""
    _check_admin(acting_user, override.county_id)
    check_in_scope(acting_user, override)
    with transaction.atomic():
        PairingPolicy.objects.select_for_update().get(pk=override.policy_id)
        override = UnitLoadOverride.objects.select_related("unit").get(pk=override.pk)
        record(
            actor=acting_user,
            action="取消单位联系户数",
            target=override.unit,
            changes={
                "min_load": [override.min_load, None],
                "max_load": [override.max_load, None],
            },
        )
        override.delete()


def do_exclude_cadre(
    *,
    cadre: Cadre,
    reason: str,
    acting_user: Any,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
) -> CadreExclusion:
    """Keep a cadre out of automatic pairing for a period (long leave, secondment). Their
    unlocked households are re-paired by the next run; locked ones stay with them."""
    _check_admin(acting_user, cadre.county_id)
    check_in_scope(acting_user, cadre, write=False)
    reason = reason.strip()
    if not reason:
        raise Refused("请填写原因（如病假、借调）", field="reason")
    check_fields(CadreExclusion, {"reason": reason})
    if cadre.left_on is not None:
        raise Refused(f"{cadre.name}已于{cadre.left_on}退出，无需设置", field="cadre")
    valid_from = valid_from or today()
    if valid_to is not None and valid_to < valid_from:
        raise Refused("结束日期不能早于开始日期", field="valid_to")
    with transaction.atomic():
        # Two administrators excluding the same cadre at once: lock the cadre first.
        Cadre.objects.select_for_update().get(pk=cadre.pk)
        overlapping = CadreExclusion.objects.filter(cadre=cadre).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from)
        )
        if valid_to is not None:
            overlapping = overlapping.filter(valid_from__lte=valid_to)
        if overlapping.exists():
            raise Refused(f"{cadre.name}在这段时间已设置为不参与结对", field="cadre", status=409)
        exclusion = CadreExclusion.objects.create(
            county_id=cadre.county_id,
            cadre=cadre,
            reason=reason,
            valid_from=valid_from,
            valid_to=valid_to,
        )
        record(
            actor=acting_user,
            action="设置干部不参与结对",
            target=cadre,
            changes={
                "valid_from": [None, str(valid_from)],
                "valid_to": [None, str(valid_to) if valid_to else None],
            },
            reason=reason,
        )
        return exclusion


def do_end_exclusion(
    exclusion: CadreExclusion, *, valid_to: dt.date, acting_user: Any
) -> CadreExclusion:
    """The cadre takes households again after valid_to (the exclusion's last day)."""
    _check_admin(acting_user, exclusion.county_id)
    check_in_scope(acting_user, exclusion)
    with transaction.atomic():
        exclusion = (
            CadreExclusion.objects.select_for_update().select_related("cadre").get(pk=exclusion.pk)
        )
        if exclusion.valid_to is not None and exclusion.valid_to <= valid_to:
            return exclusion
        if valid_to < exclusion.valid_from:
            raise Refused(f"最后一天不能早于开始日期{exclusion.valid_from}", field="valid_to")
        before = str(exclusion.valid_to) if exclusion.valid_to else None
        exclusion.valid_to = valid_to
        exclusion.save(update_fields=["valid_to"])
        record(
            actor=acting_user,
            action="结束干部不参与结对",
            target=exclusion.cadre,
            changes={"valid_to": [before, str(valid_to)]},
        )
        return exclusion


# ---------------------------------------------------------------------------------------------
# Automatic pairing runs


def do_start_pairing_run(
    *,
    county: County | int,
    acting_user: Any,
    time_limit: float | None = None,
    workers: int = 1,
    budget: int | None = None,
    note: str = "",
    start: bool = True,
) -> PairingRun:
    """Queue a dry run (nothing is paired) and start computing it in the background; the run
    page follows its progress. ``budget`` is the wall-clock seconds it may compute (the
    policy's default when None, never above the policy's maximum); when they run out the run
    stops with the best answer found so far, its unproven parts marked. ``start=False`` leaves
    it queued for the caller (the CLI runs it in the foreground with its own progress bar)."""
    county_id = county if isinstance(county, int) else county.pk
    _check_admin(acting_user, county_id)
    time_limit = float(time_limit) if time_limit is not None else engine.DEFAULT_TIME_LIMIT
    if not 0 <= time_limit <= 600:
        raise Refused("减少拆分组的计算量须在0到600确定性秒之间", field="time_limit")
    if not 1 <= workers <= 64:
        raise Refused("并行进程数须在1到64之间", field="workers")
    with transaction.atomic():
        # Lock the policy row so two administrators cannot start two runs at the same moment.
        policy_for(county_id)
        policy = PairingPolicy.objects.select_for_update().get(county_id=county_id)
        budget = policy.run_budget if budget is None else budget
        if budget > policy.run_budget_max:
            raise Refused(
                f"计算时限不能超过结对规则规定的上限{policy.run_budget_max}秒", field="budget"
            )
        if budget < BUDGET_MIN:
            raise Refused(f"计算时限至少为{BUDGET_MIN}秒", field="budget")
        busy = PairingRun.objects.filter(
            county_id=county_id, status__in=(RunStatus.QUEUED, RunStatus.RUNNING)
        ).first()
        if busy is not None:
            raise Refused(
                f"自动结对 #{busy.pk} 正在计算，请等它完成后再发起", field="run", status=409
            )
        params = {"time_limit": time_limit, "workers": workers, "budget_seconds": budget}
        job = runner.create(
            JobKind.PAIRING, county_id=county_id, created_by=acting_user, budget_seconds=budget
        )
        run = PairingRun.objects.create(
            county_id=county_id,
            created_by=acting_user,
            job=job,
            summary={"params": params, "note": note.strip()[:200]},
        )
        record(
            actor=acting_user,
            action="计算自动结对预览",
            county_id=county_id,
            target=run,
            target_label=f"自动结对 #{run.pk}",
            changes={k: [None, v] for k, v in params.items()},
            reason=note.strip()[:200],
        )
    if start:
        # After the commit: the worker must see the row, and an inline run (tests) must not
        # hold the policy lock while it computes.
        runner.start(job)
        run.refresh_from_db()
    return run


def do_cancel_pairing_run(run: PairingRun, *, acting_user: Any) -> PairingRun:
    """Cancel a run that is queued or computing: a queued one at once, a computing one between
    two of its components (within a second or two). Nothing is paired either way."""
    _check_admin(acting_user, run.county_id)
    if run.job is None or run.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
        raise Refused(
            f"自动结对 #{run.pk} {run.get_status_display()}，无法取消", field="run", status=409
        )
    runner.do_cancel_job(run.job, acting_user=acting_user)
    run.refresh_from_db()
    return run


STALE_MESSAGE = (
    "计算预览之后，户、干部、责任区、结对或结对规则已有变化，该预览已过期；请重新计算预览后再执行"
)


def do_apply_pairing_run(
    run: PairingRun, *, acting_user: Any, effective_on: dt.date | None = None
) -> PairingRun:
    """Write a previewed run in one transaction: end its ended pairings, start its new ones
    (valid from today, or from `effective_on`), and leave one audit row for the whole run.

    `effective_on` dates a run that records pairings made earlier (a county entering its
    programme's history, the demo's 2013 launch): never after today, never before a day the
    county's pairing history already holds (the new rows must follow it, not overlap it). A
    new pairing starts no earlier than its cadre's current post (a cadre who joined later is
    paired from that day).

    Refused when the run is not a preview waiting to be applied, or when anything the solver
    read has changed since (the run is then marked superseded: recompute it)."""
    _check_admin(acting_user, run.county_id)
    check_in_scope(acting_user, run)
    policy_for(run.county_id)
    if effective_on is not None:
        _check_effective_on(run.county_id, effective_on)
    stale = False
    try:
        with transaction.atomic():
            # Two applies (or an apply and a policy change) of one county must not interleave:
            # both take the policy row first.
            policy = PairingPolicy.objects.select_for_update().get(county_id=run.county_id)
            run = PairingRun.objects.select_for_update().get(pk=run.pk)
            _check_applicable(run)
            day = today()
            inputs = engine.build_instance(run.county_id, policy, on=day)
            if inputs.fingerprint != run.summary.get("fingerprint"):
                _supersede(run)
                stale = True
            else:
                if effective_on is not None:
                    # Again under the policy lock: no pairing written meanwhile may follow it.
                    _check_effective_on(run.county_id, effective_on)
                day = effective_on or day
                counts = engine.apply_changes(run, inputs, acting_user=acting_user, day=day)
                _finish_apply(run, counts, acting_user=acting_user, day=day)
    except (engine.Stale, IntegrityError):
        # Someone paired one of these households between our read and our write.
        with transaction.atomic():
            _supersede(PairingRun.objects.select_for_update().get(pk=run.pk))
        stale = True
    if stale:
        raise Refused(STALE_MESSAGE, field="run", status=409)
    return run


def _check_effective_on(county_id: int, effective_on: dt.date) -> None:
    if effective_on > today():
        raise Refused("生效日期不能晚于今天", field="effective_on")
    history = Pairing.objects.filter(county_id=county_id).aggregate(
        started=Max("valid_from"), ended=Max("valid_to")
    )
    latest = max((d for d in history.values() if d is not None), default=None)
    if latest is not None and effective_on <= latest:
        raise Refused(
            f"生效日期须晚于本县已有结对记录的最后日期{latest}，不能与已有结对重叠",
            field="effective_on",
        )


def _check_applicable(run: PairingRun) -> None:
    if run.status == RunStatus.APPLIED:
        raise Refused(f"自动结对 #{run.pk} 已于{run.applied_at:%Y-%m-%d %H:%M}执行", status=409)
    if run.status == RunStatus.SUPERSEDED:
        raise Refused(STALE_MESSAGE, field="run", status=409)
    if run.status != RunStatus.PREVIEWED:
        raise Refused(
            f"自动结对 #{run.pk} {run.get_status_display()}，只有“待确认”的预览可以执行",
            field="run",
            status=409,
        )


def _supersede(run: PairingRun) -> None:
    if run.status == RunStatus.PREVIEWED:
        run.status = RunStatus.SUPERSEDED
        run.save(update_fields=["status"])


def _finish_apply(run: PairingRun, counts: dict[str, int], *, acting_user: Any, day: dt.date):
    """Mark the run applied, retire the county's other previews, and write the one audit row
    (skipped when the run changed nothing: a no-op leaves no trace but the run itself)."""
    run.status = RunStatus.APPLIED
    run.applied_at = timezone.now()
    run.summary["applied"] = {
        "on": day.isoformat(),
        "by": "系统" if acting_user is None else str(acting_user),
        **counts,
    }
    run.save(update_fields=["status", "applied_at", "summary"])
    # Every other preview was computed against the pairings just replaced.
    PairingRun.objects.filter(county_id=run.county_id, status=RunStatus.PREVIEWED).exclude(
        pk=run.pk
    ).update(status=RunStatus.SUPERSEDED)
    if not counts["new"] and not counts["ended"]:
        return
    figures = run.summary.get("counts", {})
    record(
        actor=acting_user,
        action="执行自动结对",
        county_id=run.county_id,
        target=run,
        target_label=f"自动结对 #{run.pk}",
        changes={
            "new": [None, counts["new"]],
            "ended": [None, counts["ended"]],
            "kept": [None, figures.get("kept", 0)],
            "uncovered": [None, figures.get("uncovered", 0)],
            "valid_from": [None, day.isoformat()],
        },
    )
