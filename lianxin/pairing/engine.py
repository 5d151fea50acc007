"""Automatic pairing (自动结对) against the database: read, solve, preview, apply.

- :func:`build_instance` reads one county into the solver's plain records in a fixed handful of
  queries (``values_list`` rows, never model instances: a county holds ~230,000 households and
  ~6,000 cadres), and fingerprints what it read.
- :func:`compute_run` solves it (``solver.solve``, progress per component) within the run's
  wall-clock budget and saves the preview: the run's summary JSON (with the components whose
  result is not proved optimal) and one :class:`PairingRunChange` per pairing that would start
  or end. It takes the job runner's ``deadline`` and ``should_stop`` hooks; a stop raises
  :class:`RunCancelled` before anything is saved.
- :func:`apply_changes` writes exactly that preview; ``services.do_apply_pairing_run`` calls it
  inside its transaction, after checking that the fingerprint still matches.
- In production a computation runs in the job worker: lianxin/pairing/jobs.py registers the
  kind, and :func:`compute_run` reports progress, honours a cancel and saves its preview through
  the job's context (lianxin.jobs.runner).

What goes in
    Households: the policy's must-cover households (group = the household's region, so a
    household placed directly at a village counts its village as its group). Cadres: the
    policy's eligible cadres with their unit's load bounds. Zones: units' current villages.
    Existing: every open pairing of the county. Two additions keep locked pairings untouched:
    an active cadre outside the eligible set (on leave, a city leader) who holds locked
    pairings is passed with bounds 0..(locked count), so they keep exactly those and get
    nothing new; a household outside the must-cover set with a locked pairing is passed so the
    pairing is kept. Every other pairing the solver cannot keep is ended, with its reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from lianxin.core.models import today
from lianxin.geo.choices import Level
from lianxin.geo.models import County, Region, tree_order
from lianxin.jobs.runner import Cancelled, JobContext
from lianxin.org.models import CadreAssignment, Unit

from . import solver as S
from .choices import ChangeKind, RunStatus
from .cover import refresh_cover
from .models import Pairing, PairingPolicy, PairingRun, PairingRunChange
from .policy import eligible_cadres, load_bounds, must_cover, policy_for, zones

logger = logging.getLogger(__name__)

# CP-SAT deterministic seconds for the whole run's search for fewer split groups, after the
# min-cost flow has answered every other tier (solver/dispatch.py). Deterministic, so answers
# are reproducible; the run's wall-clock budget (the policy's run_budget) bounds it as well. At
# scale 1 a deterministic second cost 10–15 wall seconds on a shared 2-core machine and saved
# 6 of ~5,000 split pieces (docs/pairing.md); 0 leaves the flow answers (1.3 s, not 12.7 s).
DEFAULT_TIME_LIMIT = 1.0
# Of a run's budget, what summarising and saving the preview are given after the solver's
# deadline: a second, plus per change row that may be written. The scale-1 county saved 80,000
# rows in 28–105 s on a shared 2-core machine at load 11–18 (seconds when it is quiet).
SAVE_SECONDS = 1.0
SAVE_SECONDS_PER_ROW = 1e-4
# Reading takes about this long (fixed, and per household) on a quiet machine; a slower read
# says how loaded the machine is now, and the save reserve grows by the same factor.
READ_SECONDS = 0.2
READ_SECONDS_PER_HOUSEHOLD = 1e-5
# Rows per INSERT/UPDATE: well under SQLite's variable limit, few round trips on PostgreSQL.
BATCH = 1000

# Why a pairing ends or starts, as stored on PairingRunChange.reason and shown in the preview.
REASON_NEW = "尚未结对"
REASON_LEFT = "干部已退出"
REASON_TRANSFERRED = "干部已调往其他单位"
REASON_EXCLUDED = "干部暂不参与结对"
REASON_LEADER = "市级领导不承接户"
REASON_NOT_COVERED = "该户不在结对规则的覆盖范围"
REASON_OUT_OF_ZONE = "该户不在干部所在单位的责任区"
REASON_OVER_MAX = "干部联系户数超过上限"
REPLACES = "接替："


@dataclass(frozen=True, slots=True)
class OpenPairing:
    """An open pairing (valid_to empty) as read for the run, with what its ending needs."""

    id: int
    household_id: int
    cadre_id: int
    locked: bool
    valid_from: dt.date
    unit_id: int
    left_on: dt.date | None
    is_city_leader: bool
    village_id: int


@dataclass(slots=True)
class Inputs:
    """One county read for the solver, plus what the summary and the apply step need."""

    county_id: int
    on: dt.date
    policy: PairingPolicy
    instance: S.Instance
    must_cover: set[int]  # household ids the policy says must be covered
    eligible: set[int]  # cadre ids the policy lets take households
    holders: set[int]  # other active cadres, passed only to keep their locked pairings
    open_pairings: dict[int, OpenPairing]  # household id → its open pairing
    village_of: dict[int, int]  # household id → village, for every household read
    unit_of: dict[int, int]  # cadre id → unit, for every cadre read
    bounds: dict[int | None, tuple[int, int]]
    fingerprint: str


def build_instance(
    county: County | int, policy: PairingPolicy | None = None, *, on: dt.date | None = None
) -> Inputs:
    """Read the county into a solver Instance in seven queries (eight with a region list),
    whatever its size (the policy row is made on first use)."""
    county_id = county if isinstance(county, int) else county.pk
    policy = policy or policy_for(county_id)
    on = on or today()

    rows = must_cover(policy, on).order_by().values_list("id", "region_id", "village_id")
    households: dict[int, tuple[int, int]] = {hid: (g, v) for hid, g, v in rows}
    must = set(households)
    bounds = load_bounds(policy)
    default = bounds[None]
    cadre_rows = dict(eligible_cadres(policy, on).order_by().values_list("id", "unit_id"))
    eligible = set(cadre_rows)
    zone_map = zones(county_id, on)

    open_rows = (
        Pairing.objects.filter(county_id=county_id, valid_to__isnull=True)
        .order_by()
        .values_list(
            "id",
            "household_id",
            "cadre_id",
            "locked",
            "valid_from",
            "cadre__unit_id",
            "cadre__left_on",
            "cadre__is_city_leader",
            "household__region_id",
            "household__village_id",
        )
    )
    open_pairings: dict[int, OpenPairing] = {}
    group_of_open: dict[int, int] = {}
    for pid, hid, cid, locked, since, unit, left_on, leader, group, village in open_rows:
        open_pairings[hid] = OpenPairing(
            pid, hid, cid, locked, since, unit, left_on, leader, village
        )
        group_of_open[hid] = group

    # Locked pairings are the administrator's word: an active cadre the policy leaves out keeps
    # exactly their locked households (bounds 0..n), and a locked household outside the policy
    # stays paired. Both come into the instance only for that.
    locked_held: Counter[int] = Counter(
        p.cadre_id
        for p in open_pairings.values()
        if p.locked and p.left_on is None and p.cadre_id not in eligible
    )
    holders = set(locked_held)
    unit_of = dict(cadre_rows)
    for p in open_pairings.values():
        unit_of.setdefault(p.cadre_id, p.unit_id)
    for p in open_pairings.values():
        if p.household_id not in households and p.locked and p.cadre_id in eligible | holders:
            households[p.household_id] = (group_of_open[p.household_id], p.village_id)

    cadres = [S.Cadre(cid, unit, *bounds.get(unit, default)) for cid, unit in cadre_rows.items()]
    cadres += [S.Cadre(cid, unit_of[cid], 0, n) for cid, n in locked_held.items()]
    instance = S.Instance(
        households=[S.Household(hid, g, v) for hid, (g, v) in sorted(households.items())],
        cadres=sorted(cadres, key=lambda c: c.id),
        zones=[S.Zone(u, tuple(vs)) for u, vs in sorted(zone_map.items())],
        existing=[
            S.Existing(p.household_id, p.cadre_id, p.locked, p.unit_id)
            for _, p in sorted(open_pairings.items())
        ],
        keep_groups_together=policy.keep_groups_together,
        names=village_names(county_id),
    )
    village_of = {hid: v for hid, (_, v) in households.items()}
    for hid, p in open_pairings.items():
        village_of.setdefault(hid, p.village_id)
    return Inputs(
        county_id=county_id,
        on=on,
        policy=policy,
        instance=instance,
        must_cover=must,
        eligible=eligible,
        holders=holders,
        open_pairings=open_pairings,
        village_of=village_of,
        unit_of=unit_of,
        bounds=bounds,
        fingerprint=fingerprint(instance),
    )


def village_names(county_id: int) -> dict[int, str]:
    """village id → "township village" (short names), for shortfall messages and tables."""
    rows = Region.objects.filter(county_id=county_id, level=Level.VILLAGE).values_list(
        "id", "short_name", "parent__short_name"
    )
    return {pk: f"{township or ''}{name}" for pk, name, township in rows}


def fingerprint(instance: S.Instance) -> str:
    """A digest of everything the solver reads: equal digests mean an equal answer, so a
    preview may be applied only while the county still hashes the same."""
    digest = hashlib.sha256()
    parts: Iterable[Iterable[tuple[Any, ...]]] = (
        sorted((h.id, h.group_id, h.village_id) for h in instance.households),
        sorted((c.id, c.unit_id, c.min_load, c.max_load) for c in instance.cadres),
        sorted((z.unit_id, z.village_ids) for z in instance.zones),
        sorted((e.household_id, e.cadre_id, e.locked, e.unit_id or 0) for e in instance.existing),
        [(int(instance.keep_groups_together),)],
    )
    for part in parts:
        digest.update(repr(list(part)).encode())
        digest.update(b"|")
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# Computing a preview


class _Reporter:
    """Carries the solver's per-component progress to the run's job (which writes it at most
    twice a second) and to an optional extra callback such as a CLI progress bar; between
    components it is where a cancelled job stops."""

    def __init__(self, ctx: JobContext | None, extra: Callable[[int, int], None] | None) -> None:
        self.ctx = ctx
        self.extra = extra

    def __call__(self, done: int, total: int) -> None:
        if self.extra:
            self.extra(done, total)
        if self.ctx is not None:
            self.ctx.progress(done, total, force=done >= total)
            self.ctx.check()


def _phase(ctx: JobContext | None, note: str) -> None:
    if ctx is not None:
        ctx.check()
        ctx.progress(0, None, note, force=True)


class RunCancelled(Cancelled):
    """``should_stop()`` answered True: the computation stopped and saved no preview (the run
    row is left as it was for the caller to mark)."""


def compute_run(
    run: PairingRun,
    *,
    time_limit: float | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    deadline: float | None = None,
    should_stop: Callable[[], bool] | None = None,
    ctx: JobContext | None = None,
) -> PairingRun:
    """Solve the run's county and save the preview; writes no Pairing. Returns the run,
    PREVIEWED.

    The run computes for at most its budget (``params["budget_seconds"]``, the policy's
    default for runs that have none) or until ``deadline`` (a ``time.monotonic()`` value),
    whichever is first: the solver stops early enough to save in the rest, with the best
    answer found and its unproven components marked. ``should_stop`` is asked between the
    phases, between components and during the search; when it answers True,
    :class:`RunCancelled` is raised and nothing is saved.

    Given its job's context (the worker), it reports progress there, takes the job's cancel as
    ``should_stop`` and its deadline, and saves only while the job and the run are still
    running: a status set meanwhile is never overwritten."""
    started = time.monotonic()
    if ctx is not None:
        should_stop = should_stop or ctx.should_stop
        if ctx.deadline is not None:
            deadline = ctx.deadline if deadline is None else min(deadline, ctx.deadline)
    params = run.summary.get("params", {})
    time_limit = time_limit if time_limit is not None else params.get("time_limit")
    time_limit = DEFAULT_TIME_LIMIT if time_limit is None else float(time_limit)
    workers = int(workers or params.get("workers") or 1)
    budget = int(params.get("budget_seconds") or policy_for(run.county_id).run_budget)
    ends = started + budget if deadline is None else min(started + budget, deadline)
    note = run.summary.get("note", "")
    params = {"time_limit": time_limit, "workers": workers, "budget_seconds": budget}
    run.summary = {"params": params, "note": note}
    _phase(ctx, "读取数据")
    PairingRun.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(status=RunStatus.RUNNING)
    run.status = RunStatus.RUNNING
    inputs = build_instance(run.county_id)
    _check_stop(should_stop)
    _phase(ctx, "求解")
    phases = {"read": time.monotonic() - started}
    try:
        solution = S.solve(
            inputs.instance,
            time_limit=time_limit,
            workers=workers,
            progress=_Reporter(ctx, progress),
            deadline=ends - save_reserve(inputs, ends - time.monotonic(), phases["read"]),
            should_stop=should_stop,
        )
    except S.Cancelled:
        raise RunCancelled from None
    _check_stop(should_stop)
    _phase(ctx, "保存预览")
    phases["solve"] = time.monotonic() - started - sum(phases.values())
    summary, changes = summarise(inputs, solution)
    summary["params"] = params
    summary["note"] = note
    phases["summarise"] = time.monotonic() - started - sum(phases.values())
    _check_stop(should_stop)
    with ctx.finishing() if ctx is not None else transaction.atomic():
        if not (
            PairingRun.objects.select_for_update()
            .filter(pk=run.pk, status=RunStatus.RUNNING)
            .exists()
        ):
            raise RunCancelled  # failed, cancelled or superseded meanwhile: its status stands
        _insert_changes(run, changes)
        # Everything but the commit itself counts against the budget.
        phases["save"] = time.monotonic() - started - sum(phases.values())
        summary["wall_seconds"] = round(time.monotonic() - started, 3)
        summary["phase_seconds"] = {k: round(v, 3) for k, v in phases.items()}
        summary["budget"] = {
            "seconds": budget,
            "exhausted": solution.deadline_hit,
            "within": summary["wall_seconds"] <= budget,
        }
        run.summary = summary
        run.status = RunStatus.PREVIEWED
        run.finished_at = timezone.now()
        run.save(update_fields=["summary", "status", "finished_at"])
    return run


CHANGE_COLUMNS = ("household_id", "cadre_id", "unit_id", "village_id", "reason")


def _insert_changes(run: PairingRun, changes: list[dict[str, Any]]) -> None:
    """Insert the preview's change rows with plain executemany: a county-wide run writes
    ~100,000 of them, and model instances through bulk_create cost several times the
    database's own work, inside the run's budget (the rows carry no logic of their own)."""
    table = connection.ops.quote_name(PairingRunChange._meta.db_table)
    columns = ("run_id", "county_id", "kind", *CHANGE_COLUMNS)
    sql = (
        f"INSERT INTO {table} ({', '.join(connection.ops.quote_name(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as cursor:
        for batch in _batches(changes, BATCH):
            cursor.executemany(
                sql,
                [
                    (run.pk, run.county_id, str(c["kind"]), *(c[k] for k in CHANGE_COLUMNS))
                    for c in batch
                ],
            )


def _check_stop(should_stop: Callable[[], bool] | None) -> None:
    if should_stop is not None and should_stop():
        raise RunCancelled


def save_reserve(inputs: Inputs, left: float, read_seconds: float = 0.0) -> float:
    """Seconds kept back from the solver for summarising and saving the preview: a second plus
    SAVE_SECONDS_PER_ROW per change row that may be written (households without a pairing, as
    far as the cadres have room, and pairings whose cadre or household is gone), times how
    much slower than on a quiet machine the county was read; at most half of what is left."""
    instance = inputs.instance
    held = Counter(e.cadre_id for e in instance.existing)
    room = sum(max(0, c.max_load - held[c.id]) for c in instance.cadres)
    cadres = {c.id for c in instance.cadres}
    households = {h.id for h in instance.households}
    gone = sum(
        1 for e in instance.existing if e.cadre_id not in cadres or e.household_id not in households
    )
    rows = min(max(0, len(households) - len(instance.existing) + gone), room) + gone
    slower = max(1.0, read_seconds / (READ_SECONDS + READ_SECONDS_PER_HOUSEHOLD * len(households)))
    return min(max(0.0, left) / 2, SAVE_SECONDS + SAVE_SECONDS_PER_ROW * rows * slower)


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _end_reasons(inputs: Inputs, solution: S.Solution) -> dict[int, str]:
    """household id → why its pairing ends, in the office's words (more precise than the
    solver's four reasons: it knows who left, who was transferred and who is on leave)."""
    policy = inputs.policy
    moved = [
        e
        for e in solution.ended
        if e.reason == "out_of_zone" and inputs.open_pairings[e.household_id].left_on is None
    ]
    started: dict[int, dt.date] = {}
    if moved:
        # One query over the moved cadres only: when did their current assignment begin?
        ids = sorted({e.cadre_id for e in moved})
        for batch in _batches(ids, BATCH):
            started.update(
                CadreAssignment.objects.filter(cadre_id__in=batch, valid_to__isnull=True)
                .order_by()
                .values_list("cadre_id", "valid_from")
            )
    reasons: dict[int, str] = {}
    for e in solution.ended:
        p = inputs.open_pairings[e.household_id]
        if p.left_on is not None:
            reason = REASON_LEFT
        elif e.reason == "cadre_gone" or p.cadre_id in inputs.holders:
            leader_out = p.is_city_leader and policy.exclude_city_leaders
            reason = REASON_LEADER if leader_out else REASON_EXCLUDED
        elif e.reason == "household_gone":
            reason = REASON_NOT_COVERED
        elif e.reason == "out_of_zone":
            since = started.get(p.cadre_id)
            reason = REASON_TRANSFERRED if since and since > p.valid_from else REASON_OUT_OF_ZONE
        else:
            reason = REASON_OVER_MAX
        reasons[e.household_id] = reason
    return reasons


def summarise(inputs: Inputs, solution: S.Solution) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The run's summary JSON and its change rows (as field dicts), from one solution."""
    county_id = inputs.county_id
    unit_names = dict(Unit.objects.filter(county_id=county_id).values_list("id", "name"))
    names = inputs.instance.names
    must = inputs.must_cover
    eligible = inputs.eligible
    village_of = inputs.village_of
    unit_of = inputs.unit_of

    reasons = _end_reasons(inputs, solution)
    changes: list[dict[str, Any]] = []
    for e in solution.ended:
        changes.append(
            {
                "kind": ChangeKind.ENDED,
                "household_id": e.household_id,
                "cadre_id": e.cadre_id,
                "unit_id": inputs.open_pairings[e.household_id].unit_id,
                "village_id": village_of[e.household_id],
                "reason": reasons[e.household_id],
            }
        )
    for pair in solution.new:
        ended_reason = reasons.get(pair.household_id)
        changes.append(
            {
                "kind": ChangeKind.NEW,
                "household_id": pair.household_id,
                "cadre_id": pair.cadre_id,
                "unit_id": unit_of[pair.cadre_id],
                "village_id": village_of[pair.household_id],
                "reason": REPLACES + ended_reason if ended_reason else REASON_NEW,
            }
        )

    # Per unit and per village: new (by the new cadre's unit), ended (by the former cadre's
    # unit), kept; villages also get must-cover households and those left without a cadre.
    per_unit: dict[int, Counter[str]] = defaultdict(Counter)
    per_village: dict[int, Counter[str]] = defaultdict(Counter)
    for c in changes:
        per_unit[c["unit_id"]][c["kind"]] += 1
        per_village[c["village_id"]][c["kind"]] += 1
    for pair in solution.kept:
        per_unit[unit_of[pair.cadre_id]]["kept"] += 1
        per_village[village_of[pair.household_id]]["kept"] += 1
    for hid in must:
        per_village[village_of[hid]]["must"] += 1
    for hid in solution.uncovered:
        if hid in must:
            per_village[village_of[hid]]["uncovered"] += 1

    # Coverage as the coverage page defines it: a pairing whose cadre has left covers nobody.
    covered_before = sum(
        1 for hid in must if (p := inputs.open_pairings.get(hid)) and p.left_on is None
    )
    paired_before = {p.cadre_id for p in inputs.open_pairings.values()} & eligible
    covered_after = sum(1 for hid in solution.assignment if hid in must)
    paired_after = set(solution.assignment.values()) & eligible

    unproven = _unproven(solution, unit_names)
    unproven_of_unit = {u: row["tiers_zh"] for row in unproven for u in row["unit_ids"]}
    default = inputs.bounds[None]
    units = []
    for unit_id in sorted(set(solution.units) | set(per_unit), key=lambda u: unit_names.get(u, "")):
        stats = solution.units.get(unit_id)
        counts = per_unit.get(unit_id, Counter())
        row: dict[str, Any] = {
            "id": unit_id,
            "name": unit_names.get(unit_id, str(unit_id)),
            "min_load": inputs.bounds.get(unit_id, default)[0],
            "max_load": inputs.bounds.get(unit_id, default)[1],
            "new": counts[ChangeKind.NEW],
            "ended": counts[ChangeKind.ENDED],
            "kept": counts["kept"],
        }
        if stats is not None:
            row.update(
                cadres=stats.cadres,
                households=stats.households,
                load_min=stats.load_min,
                load_max=stats.load_max,
                load_spread=stats.load_spread,
                groups_split=stats.groups_split,
                split_pieces=stats.split_pieces,
                idle=len(stats.idle_cadres),
                below_min=len(stats.below_min),
                over_max=len(stats.over_max),
                status=stats.status,
                unproven=unproven_of_unit.get(unit_id, []),
            )
        else:
            row.update(cadres=0, households=0, load_min=0, load_max=0, load_spread=0)
            row.update(groups_split=0, split_pieces=0, idle=0, below_min=0, over_max=0)
            row.update(status="OPTIMAL", unproven=[])
        units.append(row)

    villages = []
    for village_id in sorted(per_village, key=lambda v: names.get(v, "")):
        counts = per_village[village_id]
        villages.append(
            {
                "id": village_id,
                "name": names.get(village_id, str(village_id)),
                "must": counts["must"],
                "uncovered": counts["uncovered"],
                "new": counts[ChangeKind.NEW],
                "ended": counts[ChangeKind.ENDED],
                "kept": counts["kept"],
            }
        )

    summary: dict[str, Any] = {
        "fingerprint": inputs.fingerprint,
        "on": inputs.on.isoformat(),
        "policy": describe_policy(inputs.policy),
        "coverage": {
            "before": {
                "households_covered": covered_before,
                "households_must": len(must),
                "cadres_paired": len(paired_before),
                "cadres_eligible": len(eligible),
            },
            "after": {
                "households_covered": covered_after,
                "households_must": len(must),
                "cadres_paired": len(paired_after),
                "cadres_eligible": len(eligible),
            },
        },
        "counts": {
            "new": len(solution.new),
            "ended": len(solution.ended),
            "kept": len(solution.kept),
            "uncovered": sum(1 for hid in solution.uncovered if hid in must),
            "locked_kept": sum(
                1
                for pair in solution.kept
                if (p := inputs.open_pairings.get(pair.household_id)) and p.locked
            ),
            "locked_out_of_zone": len(solution.locked_out_of_zone),
        },
        "units": units,
        "villages": villages,
        "shortfalls": [
            {
                "message_zh": s.message_zh,
                "unit_ids": list(s.unit_ids),
                "units": [unit_names.get(u, str(u)) for u in s.unit_ids],
                "village_ids": list(s.village_ids),
                "households_needing": s.households_needing,
                "capacity": s.capacity,
                "uncovered": s.uncovered,
                "cadres_missing": s.cadres_missing,
                "max_load_needed": s.max_load_needed,
            }
            for s in solution.shortfalls
        ],
        "objective": asdict(solution.objective),
        "bound": asdict(solution.bound),
        "status": solution.status,
        "components": solution.components,
        "components_solved": len(solution.outcomes),
        # Components whose answer is not proved optimal in some tier, and why.
        "unproven": unproven,
        "coverage_proved": not any("uncovered" in row["tiers"] for row in unproven),
        "solver_seconds": round(solution.solver_seconds, 3),
        "solve_wall_seconds": round(solution.wall_seconds, 3),
    }
    return summary, changes


def _unproven(solution: S.Solution, unit_names: dict[int, str]) -> list[dict[str, Any]]:
    """One row per component with a tier not proved optimal: its units, its free households,
    the tiers, and whether the deadline cut it short or never let it be searched."""
    rows = []
    for o in solution.outcomes:
        if not o.unproven:
            continue
        if not o.reached and o.timed_out:
            why = "时限已到，未搜索，采用最小费用流方案（覆盖、均衡最优）"
        elif not o.reached:
            why = "减少拆分组的计算量已用完，采用最小费用流方案（覆盖、均衡最优）"
        elif o.timed_out:
            why = "求解至时限截止"
        else:
            why = "在求解时限内未能证明"
        rows.append(
            {
                "unit_ids": list(o.unit_ids),
                "units": [unit_names.get(u, str(u)) for u in o.unit_ids],
                "households": o.households,
                "tiers": list(o.unproven),
                "tiers_zh": [S.TIER_ZH[t] for t in o.unproven],
                "reached": o.reached,
                "timed_out": o.timed_out,
                "reason": why,
                "seconds": o.seconds,
            }
        )
    return rows


def describe_policy(policy: PairingPolicy) -> dict[str, Any]:
    """The policy the run used, as plain values (a later policy change must not rewrite it)."""
    from lianxin.people.choices import HardshipKind

    return {
        "coverage": policy.coverage,
        "coverage_label": policy.get_coverage_display(),
        "hardship_kinds": [HardshipKind(k).label for k in policy.hardship_kinds or []],
        "regions": [r.short_name for r in policy.regions.order_by(*tree_order())]
        if policy.pk
        else [],
        "min_load": policy.min_load,
        "max_load": policy.max_load,
        "keep_groups_together": policy.keep_groups_together,
        "exclude_city_leaders": policy.exclude_city_leaders,
        "run_budget": policy.run_budget,
        "run_budget_max": policy.run_budget_max,
    }


# ---------------------------------------------------------------------------------------------
# Applying a preview


def end_date(
    pairing: OpenPairing, apply_day: dt.date, *, transferred_on: dt.date | None = None
) -> dt.date:
    """The last day of an ended pairing, so that history is exact.

    Normally the day before the new pairings start. A cadre who left ends on the day they
    left, and one transferred out of the zone on the day before the transfer, when that is
    earlier. Never before the pairing began: a pairing made today and replaced today ends
    today (the day has both; ``cadre_on`` answers with the later one).
    """
    last = apply_day - dt.timedelta(days=1)
    if pairing.left_on is not None:
        last = min(last, pairing.left_on)
    if transferred_on is not None:
        last = min(last, transferred_on - dt.timedelta(days=1))
    return max(last, pairing.valid_from)


class Stale(Exception):
    """The county no longer matches the preview (raised inside the apply transaction)."""


def apply_changes(
    run: PairingRun, inputs: Inputs, *, acting_user: Any, day: dt.date
) -> dict[str, int]:
    """End and start the run's pairings with bulk statements; the caller holds the transaction
    and has checked the fingerprint. Returns the counts written."""
    ended = list(
        run.changes.filter(kind=ChangeKind.ENDED)
        .order_by("household_id")
        .values_list("household_id", "cadre_id", "reason")
    )
    new = list(
        run.changes.filter(kind=ChangeKind.NEW)
        .order_by("household_id")
        .values_list("household_id", "cadre_id")
    )
    transferred = sorted(
        {inputs.open_pairings[h].cadre_id for h, _, r in ended if r == REASON_TRANSFERRED}
    )
    transfer_start: dict[int, dt.date] = {}
    for batch in _batches(transferred, BATCH):
        transfer_start.update(
            CadreAssignment.objects.filter(cadre_id__in=batch, valid_to__isnull=True)
            .order_by()
            .values_list("cadre_id", "valid_from")
        )
    by_date: dict[dt.date, list[int]] = defaultdict(list)
    for household_id, cadre_id, reason in ended:
        p = inputs.open_pairings.get(household_id)
        if p is None or p.cadre_id != cadre_id:
            raise Stale
        moved = transfer_start.get(cadre_id) if reason == REASON_TRANSFERRED else None
        by_date[end_date(p, day, transferred_on=moved)].append(p.id)
    ended_count = 0
    for last, ids in sorted(by_date.items()):
        for batch in _batches(ids, BATCH):
            ended_count += Pairing.objects.filter(pk__in=batch, valid_to__isnull=True).update(
                valid_to=last
            )
    if ended_count != len(ended):
        raise Stale
    # A run dated in the past (do_apply_pairing_run's effective_on) pairs a cadre no earlier
    # than the start of the post they hold now: one who joined later is paired from then.
    post_start: dict[int, dt.date] = {}
    for batch in _batches(sorted({c for _, c in new}), BATCH):
        post_start.update(
            CadreAssignment.objects.filter(
                cadre_id__in=batch, valid_to__isnull=True, valid_from__gt=day
            )
            .order_by()
            .values_list("cadre_id", "valid_from")
        )
    rows = [
        Pairing(
            county_id=run.county_id,
            household_id=h,
            cadre_id=c,
            locked=False,
            made_by=acting_user,
            valid_from=max(day, post_start.get(c, day)),
        )
        for h, c in new
    ]
    Pairing.objects.bulk_create(rows, batch_size=BATCH)
    touched = [h for h, _, _ in ended] + [h for h, _ in new]
    refresh_cover(touched)
    from lianxin.visits import rollup

    # A run changes thousands of households at once: touch marks the county for a rebuild.
    rollup.touch(run.county_id, households=touched, since=day)
    return {"new": len(rows), "ended": ended_count}


STALLED_MESSAGE = "计算中断：服务重启或进程退出，计算没有完成。未写入任何结对，请重新计算。"
FAILED_MESSAGE = "计算出错（{name}），未写入任何结对。请联系系统管理员查看日志。"
