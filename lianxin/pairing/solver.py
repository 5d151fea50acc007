"""Automatic cadre–household pairing (自动结对), solved exactly where it can be proved.

Pure Python + OR-Tools; nothing here knows about Django. The caller passes plain records
(:class:`Instance`) and gets plain records back (:class:`Solution`).

What is fixed before any optimisation
    An existing pairing is *kept* when its cadre is still passed in and the household lies in a
    village of the cadre's unit's zone; a locked pairing is kept whenever its cadre and household
    are still passed in, even out of zone (an administrator pinned it). A cadre over ``max_load``
    releases only the excess, never locked households, starting with its smallest group
    fragments so that releasing also removes splits. Everything else that still needs a cadre is
    *free*. Stability follows: a re-run with nothing changed has no free households and changes
    nothing; a cadre who leaves frees only their own households; new households are free and
    nobody else moves.

What is optimised (lexicographically, over the free households only)
    1. uncovered households                       (coverage first)
    2. released households given to another unit  (they stay with their former cadre's unit)
    3. idle cadres (load 0), then 4. the ``min_load`` deficit  (the "two-way" side)
    5. split pieces: Σ over groups of (distinct cadres holding it − 1), kept pairings included
    6. Σ load² over cadres (a convex cost: with the total fixed it is least when loads are even)
    Tiers are solved as successive CP-SAT stages; each stage's optimum is then imposed as a
    constraint on the next, so the order is strict without big weights.

Decomposition
    Units sharing a village are joined into a component (usually one unit); components are
    independent and solved one by one. Tiers 1, 3 and 4 have closed forms in a single-unit
    component (every cadre may take every free household there), and tier 1 is a max-flow in
    general; those values are imposed directly instead of being searched for.

Two CP-SAT formulations
    *Block model* — a single-unit component with no kept pairings (a first run). Any assignment
    can be rearranged, without changing loads or coverage, so that its (group, cadre) support is a
    forest (cancel cycles); a tree with g groups and c cadres has g + c − 1 pieces. So the model
    partitions groups into blocks (each led by its first group), gives each block n cadres per
    cadre type and load L, and counts splits as Σ n − #blocks. Within a block the load is split
    evenly, whose Σ load² is max_q (2q+1)·L − q(q+1)·n — linear in (L, n), exact at integers.
    With full coverage, a block needs at least Σ⌊s/H⌋ + [some residue ≠ 0] cadres (H the
    largest max_load); that cut gives the LP the counting bound that makes splits provable in
    well under a second, where the per-cadre model below stalls for minutes.
    *Flow model* — everything else (re-runs, multi-unit components): x[k,c] households of class
    k (group, village, former unit) to cadre c, y[g,c] = "c gets some of group g". Re-runs free
    few households, so this stays small.

Honesty
    Coverage, idle cadres and deficit are always proved optimal. Splits are a bin-packing of the
    groups' remainders (sizes mod max_load): proved in under a second when the counting bound is
    tight, which was about four units in five of a synthetic county; otherwise the best found
    is kept with its bound. Σ load² after optimal splits is again a partitioning problem and is
    seldom proved within the limit, though the solution is typically within 0.1 % of the bound.
    Any unproven tier makes its component FEASIBLE, and :attr:`Solution.bound` carries what was
    proved. CP-SAT runs single-threaded under a deterministic time limit, and households are
    handed out in sorted id order, so equal inputs give equal outputs on any machine load.

Note on the order of tiers
    Splits come before evenness, as policy asks ("as even as the groups allow"): a group of 20
    stays whole with one cadre even when the unit's others carry 38. ``min_load`` is the lever
    that ranks above splits: raising it makes the solver split groups to lift such cadres.
"""

from __future__ import annotations

import heapq
import itertools
import math
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Literal

from ortools.graph.python import max_flow
from ortools.sat.python import cp_model

__all__ = [
    "END_REASON_ZH",
    "Cadre",
    "EndReason",
    "Ended",
    "Existing",
    "Household",
    "Instance",
    "Objective",
    "Pair",
    "Shortfall",
    "Solution",
    "Status",
    "UnitStats",
    "Zone",
    "evaluate",
    "solve",
]

# ---------------------------------------------------------------------------------------------
# Input


@dataclass(frozen=True, slots=True)
class Household:
    """A household that policy says must be covered."""

    id: int
    group_id: int
    village_id: int


@dataclass(frozen=True, slots=True)
class Cadre:
    """An eligible, active cadre; pass only those who may be paired."""

    id: int
    unit_id: int
    min_load: int
    max_load: int


@dataclass(frozen=True, slots=True)
class Zone:
    """A unit's responsibility zone (责任区): the villages its cadres may pair inside."""

    unit_id: int
    village_ids: tuple[int, ...]

    def __post_init__(self) -> None:
        # Callers naturally pass lists or sets; a sorted tuple keeps the record hashable and
        # iteration order (hence the output) independent of how it was built.
        object.__setattr__(self, "village_ids", tuple(sorted(set(self.village_ids))))


@dataclass(frozen=True, slots=True)
class Existing:
    """A current pairing. ``unit_id`` is the cadre's unit, needed only if the cadre has left
    (then the households should stay with that unit); it may be omitted otherwise."""

    household_id: int
    cadre_id: int
    locked: bool = False
    unit_id: int | None = None


@dataclass(frozen=True, slots=True)
class Instance:
    households: Sequence[Household]
    cadres: Sequence[Cadre]
    zones: Sequence[Zone]
    existing: Sequence[Existing] = ()
    keep_groups_together: bool = True
    names: Mapping[int, str] = field(default_factory=dict)  # village id → name, for messages


# ---------------------------------------------------------------------------------------------
# Output

EndReason = Literal["cadre_gone", "household_gone", "out_of_zone", "over_max_load"]
END_REASON_ZH: dict[str, str] = {
    "cadre_gone": "干部已不在岗",
    "household_gone": "该户无需覆盖",
    "out_of_zone": "该户不在本单位责任区",
    "over_max_load": "干部结对户数超过上限",
}
Status = Literal["OPTIMAL", "FEASIBLE"]
_TIERS = (
    "uncovered",
    "cross_unit",
    "idle_cadres",
    "min_load_deficit",
    "split_pieces",
    "load_squares",
)


@dataclass(frozen=True, slots=True)
class Pair:
    household_id: int
    cadre_id: int


@dataclass(frozen=True, slots=True)
class Ended:
    household_id: int
    cadre_id: int
    locked: bool
    reason: EndReason


@dataclass(frozen=True, slots=True)
class Shortfall:
    """Households a zone cannot cover, and what would fix it.

    ``unit_ids`` is empty for villages in no unit's zone; it has several units only when zones
    overlap. ``cadres_missing`` assumes new cadres at the unit's typical (median) max_load;
    ``max_load_needed`` is the smallest common max_load that lets the current cadres cover
    every household (None when there are no cadres to raise).
    """

    unit_ids: tuple[int, ...]
    village_ids: tuple[int, ...]
    households_needing: int
    capacity: int
    uncovered: int
    cadres_missing: int | None
    max_load_needed: int | None
    message_zh: str


@dataclass(frozen=True, slots=True, order=True)
class Objective:
    """The lexicographic objective; field order is priority order (smaller is better)."""

    uncovered: int
    cross_unit: int
    idle_cadres: int
    min_load_deficit: int
    split_pieces: int
    load_squares: int

    def as_tuple(self) -> tuple[int, int, int, int, int, int]:
        return (
            self.uncovered,
            self.cross_unit,
            self.idle_cadres,
            self.min_load_deficit,
            self.split_pieces,
            self.load_squares,
        )


@dataclass(frozen=True, slots=True)
class UnitStats:
    unit_id: int
    cadres: int
    households: int
    load_min: int
    load_max: int
    load_spread: int
    groups_split: int  # groups held by more than one of this unit's cadres
    split_pieces: int  # Σ over those groups of (cadres − 1)
    idle_cadres: tuple[int, ...]
    below_min: tuple[int, ...]
    over_max: tuple[int, ...]  # only locked pairings can leave a cadre over max_load
    status: Status


@dataclass(slots=True)
class Solution:
    assignment: dict[int, int]  # household id → cadre id, every covered household
    kept: list[Pair]
    new: list[Pair]
    ended: list[Ended]
    uncovered: list[int]
    shortfalls: list[Shortfall]
    units: dict[int, UnitStats]
    objective: Objective
    # Proven lower bounds, tier by tier; equal to ``objective`` wherever status is OPTIMAL.
    # A tier's bound is relative to the values fixed for the tiers above it.
    bound: Objective
    status: Status
    solver_seconds: float  # inside CP-SAT and max-flow only
    wall_seconds: float
    locked_out_of_zone: list[int]  # households kept by a locked pairing outside the zone
    components: int


# ---------------------------------------------------------------------------------------------
# Internal records (picklable, so components can be solved in worker processes)


@dataclass(slots=True)
class _CadreState:
    id: int
    unit_id: int
    lo: int
    hi: int
    kept: int  # households kept from existing pairings

    @property
    def residual(self) -> int:
        return max(0, self.hi - self.kept)

    @property
    def need(self) -> int:
        """Households still wanted to reach min_load."""
        return max(0, min(self.lo, self.hi) - self.kept)


@dataclass(slots=True)
class _Free:
    id: int
    group_id: int
    village_id: int
    prev_unit: int | None  # unit that held it and whose zone holds the village, if any


@dataclass(slots=True)
class _Component:
    index: int
    unit_ids: tuple[int, ...]
    zone: dict[int, frozenset[int]]
    cadres: list[_CadreState]
    free: list[_Free]
    kept_groups: dict[int, frozenset[int]]  # cadre id → groups it already holds
    kept_holders: dict[int, int]  # group id → distinct cadres holding it by kept pairings
    keep_groups_together: bool
    time_limit: float
    relative_gap: float


@dataclass(slots=True)
class _Result:
    index: int
    assignment: dict[int, int]
    gaps: dict[str, int | None]  # tier → value − bound, None when no bound is known
    optimal: bool
    solver_seconds: float


# ---------------------------------------------------------------------------------------------
# Public entry point


def solve(
    instance: Instance,
    *,
    time_limit: float = 2.0,
    relative_gap: float = 0.0,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> Solution:
    """Pair cadres with households.

    ``time_limit`` is CP-SAT deterministic time per component, shared by its stages (unused
    time flows to later stages). It is deterministic so that the result never depends on
    machine load; each unit of it cost about 1.8 CPU seconds here. ``relative_gap``
    lets the last tier (Σ load²) stop once within that fraction of its bound (the component is
    then FEASIBLE, honestly). ``workers`` > 1 solves components in that many processes, with
    identical results. ``progress`` is called as ``progress(done, total)`` after each
    component that had anything to solve.
    """
    started = time.perf_counter()
    _validate(instance)
    cadres = {c.id: c for c in instance.cadres}
    households = {h.id: h for h in instance.households}
    zone: dict[int, frozenset[int]] = {}
    for z in instance.zones:
        zone[z.unit_id] = zone.get(z.unit_id, frozenset()) | frozenset(z.village_ids)
    units_of_village: dict[int, list[int]] = defaultdict(list)
    for unit_id in sorted(zone):
        for v in zone[unit_id]:
            units_of_village[v].append(unit_id)

    # --- 1. keep what may be kept -----------------------------------------------------------
    kept: dict[int, int] = {}
    kept_locked: set[int] = set()
    ended: list[Ended] = []
    prev_unit: dict[int, int] = {}
    locked_out_of_zone: list[int] = []
    for e in sorted(instance.existing, key=lambda e: e.household_id):
        hh = households.get(e.household_id)
        cadre = cadres.get(e.cadre_id)
        if hh is None:
            ended.append(Ended(e.household_id, e.cadre_id, e.locked, "household_gone"))
            continue
        if cadre is None:
            ended.append(Ended(e.household_id, e.cadre_id, e.locked, "cadre_gone"))
            if e.unit_id is not None:
                prev_unit[hh.id] = e.unit_id
            continue
        in_zone = hh.village_id in zone.get(cadre.unit_id, frozenset())
        if not in_zone and not e.locked:
            ended.append(Ended(e.household_id, e.cadre_id, e.locked, "out_of_zone"))
            continue
        if not in_zone:
            locked_out_of_zone.append(hh.id)
        kept[hh.id] = cadre.id
        if e.locked:
            kept_locked.add(hh.id)

    # A cadre over max_load gives back only the excess, and only unlocked households. Small
    # fragments of a group go first: each fragment released whole removes a split.
    held: dict[int, list[int]] = defaultdict(list)
    for hid, cid in kept.items():
        held[cid].append(hid)
    for cid in sorted(held):
        excess = len(held[cid]) - cadres[cid].max_load
        if excess <= 0:
            continue
        per_group: dict[int, int] = defaultdict(int)
        for hid in held[cid]:
            per_group[households[hid].group_id] += 1
        movable = sorted(
            (hid for hid in held[cid] if hid not in kept_locked),
            key=lambda hid: (per_group[households[hid].group_id], households[hid].group_id, hid),
        )
        for hid in movable[:excess]:
            del kept[hid]
            ended.append(Ended(hid, cid, False, "over_max_load"))
            prev_unit[hid] = cadres[cid].unit_id
    ended.sort(key=lambda e: e.household_id)

    # --- 2. split into independent components ----------------------------------------------
    all_units = sorted(set(zone) | {c.unit_id for c in instance.cadres})
    parent = {u: u for u in all_units}

    def find(u: int) -> int:
        while parent[u] != u:
            parent[u] = parent[parent[u]]
            u = parent[u]
        return u

    for v_units in units_of_village.values():
        for u in v_units[1:]:
            a, b = find(v_units[0]), find(u)
            if a != b:
                parent[max(a, b)] = min(a, b)
    comp_units: dict[int, list[int]] = defaultdict(list)
    for u in all_units:
        comp_units[find(u)].append(u)

    kept_load: dict[int, int] = defaultdict(int)
    kept_groups: dict[int, set[int]] = defaultdict(set)
    holders: dict[int, set[int]] = defaultdict(set)
    for hid, cid in kept.items():
        kept_load[cid] += 1
        g = households[hid].group_id
        kept_groups[cid].add(g)
        holders[g].add(cid)

    free_by_root: dict[int, list[_Free]] = defaultdict(list)
    unzoned: dict[int, list[int]] = defaultdict(list)
    for hh in sorted(instance.households, key=lambda h: h.id):
        if hh.id in kept:
            continue
        covering = units_of_village.get(hh.village_id)
        if not covering:
            unzoned[hh.village_id].append(hh.id)
            continue
        p = prev_unit.get(hh.id)
        if p is not None and hh.village_id not in zone.get(p, frozenset()):
            p = None  # its old unit cannot take it back anyway: no preference to honour
        free_by_root[find(covering[0])].append(_Free(hh.id, hh.group_id, hh.village_id, p))

    cadres_by_unit: dict[int, list[Cadre]] = defaultdict(list)
    for c in sorted(instance.cadres, key=lambda c: c.id):
        cadres_by_unit[c.unit_id].append(c)

    components: list[_Component] = []
    for root in sorted(comp_units):
        units = tuple(comp_units[root])
        states = [
            _CadreState(c.id, c.unit_id, c.min_load, c.max_load, kept_load[c.id])
            for u in units
            for c in cadres_by_unit[u]
        ]
        states.sort(key=lambda s: s.id)
        free = free_by_root.get(root, [])
        groups = {f.group_id for f in free}
        components.append(
            _Component(
                index=len(components),
                unit_ids=units,
                zone={u: zone.get(u, frozenset()) for u in units},
                cadres=states,
                free=free,
                kept_groups={s.id: frozenset(kept_groups[s.id]) for s in states},
                kept_holders={g: len(holders[g]) for g in groups},
                keep_groups_together=instance.keep_groups_together,
                time_limit=time_limit,
                relative_gap=relative_gap,
            )
        )

    # --- 3. solve ---------------------------------------------------------------------------
    results: list[_Result] = []
    todo = [c for c in components if c.free]
    for comp in components:
        if not comp.free:
            results.append(_Result(comp.index, {}, {}, True, 0.0))
    if workers > 1 and len(todo) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_solve_component, c) for c in todo]
            for done, fut in enumerate(as_completed(futures), 1):
                results.append(fut.result())
                if progress:
                    progress(done, len(todo))
    else:
        for done, job in enumerate(todo, 1):
            results.append(_solve_component(job))
            if progress:
                progress(done, len(todo))
    results.sort(key=lambda r: r.index)

    # --- 4. assemble ------------------------------------------------------------------------
    assignment = dict(kept)
    for r in results:
        assignment.update(r.assignment)
    assignment = dict(sorted(assignment.items()))
    kept_pairs = [Pair(h, c) for h, c in sorted(kept.items())]
    new_pairs = [Pair(h, c) for h, c in assignment.items() if h not in kept]
    uncovered = sorted(h.id for h in instance.households if h.id not in assignment)

    objective = evaluate(instance, assignment, prev_unit_of=prev_unit)
    gap_total: dict[str, int | None] = defaultdict(int)
    for r in results:
        for tier, gap in r.gaps.items():
            before = gap_total[tier]
            gap_total[tier] = None if gap is None or before is None else before + gap
    values = objective.as_tuple()
    bound = Objective(
        *(
            0 if gap_total.get(n, 0) is None else v - (gap_total.get(n, 0) or 0)
            for n, v in zip(_TIERS, values, strict=True)
        )
    )

    status_of_unit: dict[int, Status] = {}
    for done_comp, r in zip(components, results, strict=True):
        for u in done_comp.unit_ids:
            status_of_unit[u] = "OPTIMAL" if r.optimal else "FEASIBLE"

    t_short = time.perf_counter()
    shortfalls = _shortfalls(components, assignment, instance, unzoned)
    flow_seconds = time.perf_counter() - t_short
    unit_stats = _unit_stats(instance, assignment, status_of_unit)
    return Solution(
        assignment=assignment,
        kept=kept_pairs,
        new=new_pairs,
        ended=ended,
        uncovered=uncovered,
        shortfalls=shortfalls,
        units=unit_stats,
        objective=objective,
        bound=bound,
        status="OPTIMAL" if all(r.optimal for r in results) else "FEASIBLE",
        solver_seconds=sum(r.solver_seconds for r in results) + flow_seconds,
        wall_seconds=time.perf_counter() - started,
        locked_out_of_zone=sorted(locked_out_of_zone),
        components=len(components),
    )


def evaluate(
    instance: Instance,
    assignment: Mapping[int, int],
    *,
    prev_unit_of: Mapping[int, int] | None = None,
) -> Objective:
    """The objective of a complete assignment, computed directly from its definition.

    ``prev_unit_of`` maps a released household to the unit it should stay with; a household
    assigned to a cadre of another unit counts as a cross-unit move, when that unit's zone
    holds the household's village.
    """
    zone: dict[int, set[int]] = defaultdict(set)
    for z in instance.zones:
        zone[z.unit_id].update(z.village_ids)
    cadres = {c.id: c for c in instance.cadres}
    households = {h.id: h for h in instance.households}
    load: dict[int, int] = dict.fromkeys(cadres, 0)
    holders: dict[int, set[int]] = defaultdict(set)
    cross = 0
    for hid, cid in assignment.items():
        load[cid] += 1
        holders[households[hid].group_id].add(cid)
        p = (prev_unit_of or {}).get(hid)
        if p is not None and households[hid].village_id in zone[p] and cadres[cid].unit_id != p:
            cross += 1
    return Objective(
        uncovered=len(households) - len(assignment),
        cross_unit=cross,
        idle_cadres=sum(1 for n in load.values() if n == 0),
        min_load_deficit=sum(max(0, cadres[c].min_load - n) for c, n in load.items()),
        split_pieces=sum(len(s) - 1 for s in holders.values()),
        load_squares=sum(n * n for n in load.values()),
    )


def _validate(instance: Instance) -> None:
    for what, ids in (
        ("household", [h.id for h in instance.households]),
        ("cadre", [c.id for c in instance.cadres]),
        ("existing pairing household", [e.household_id for e in instance.existing]),
    ):
        if len(ids) != len(set(ids)):
            raise ValueError(f"duplicate {what} id")
    for c in instance.cadres:
        if c.min_load < 0 or c.max_load < 0:
            raise ValueError(f"cadre {c.id}: negative load bound")


# ---------------------------------------------------------------------------------------------
# One component


class _Stages:
    """Runs lexicographic stages on one CP-SAT model, carrying each solution over as a hint."""

    def __init__(self, model: cp_model.CpModel, budget: float, n_stages: int) -> None:
        self.model = model
        self.budget = budget
        self.left = n_stages
        self.solution: list[int] | None = None
        self.gaps: dict[str, int | None] = {}
        self.optimal = True
        self.seconds = 0.0

    def run(self, tier: str, objective: cp_model.LinearExprT, *, relative_gap: float = 0.0) -> bool:
        """Minimise ``objective``, then pin it to the value found. False if nothing was found."""
        model = self.model
        model.minimize(objective)
        solver = cp_model.CpSolver()
        # One worker and a deterministic limit: equal inputs give equal outputs, and a
        # component never depends on how busy the machine is. Unused budget flows on.
        limit = self.budget / max(1, self.left)
        self.left -= 1
        solver.parameters.num_workers = 1
        solver.parameters.max_deterministic_time = max(limit, 0.05)
        solver.parameters.relative_gap_limit = relative_gap
        status = solver.solve(model)
        self.seconds += solver.wall_time
        self.budget -= solver.response_proto.deterministic_time
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            # No improvement found in time: the previous stage's solution (still the hint)
            # stands; this tier is unproven and we know no useful bound for it.
            self.optimal = False
            self.gaps[tier] = None
            return False
        value = round(solver.objective_value)
        # CP-SAT says OPTIMAL when it stops at the gap limit too: trust the numbers instead.
        gap = max(0, value - math.ceil(solver.best_objective_bound - 1e-6))
        self.gaps[tier] = gap
        self.optimal = self.optimal and gap == 0
        model.add(objective <= value)
        self.solution = list(solver.response_proto.solution)
        self._hint()
        return True

    def settle(self, values: Iterable[tuple[cp_model.IntVar, int]]) -> None:
        """Overwrite some values of the current solution, still feasible, before the next stage.

        Variables only bounded from below (the Σ load² terms) come back at arbitrary values from
        stages that did not minimise them; starting the next stage from their true values saves
        it the time to find that out.
        """
        if self.solution is None:
            return
        for var, v in values:
            self.solution[var.index] = v
        self._hint()

    def _hint(self) -> None:
        # The next stage starts from this complete solution, so it is feasible at once.
        assert self.solution is not None
        self.model.clear_hints()
        for i, v in enumerate(self.solution):
            self.model.add_hint(self.model.get_int_var_from_proto_index(i), v)

    def value(self, var: cp_model.IntVar) -> int:
        assert self.solution is not None
        return self.solution[var.index]


def _solve_component(comp: _Component) -> _Result:
    usable = [c for c in comp.cadres if c.residual > 0]
    cover, flow_seconds = _max_coverage(comp, usable)
    if cover == 0:
        return _Result(comp.index, {}, {}, True, flow_seconds)
    fresh = all(c.kept == 0 for c in comp.cadres)
    if comp.keep_groups_together and len(comp.unit_ids) == 1 and fresh:
        result = _solve_blocks(comp, usable, cover)
        if result is not None:
            result.solver_seconds += flow_seconds
            return result
    result = _solve_flow(comp, usable, cover)
    result.solver_seconds += flow_seconds
    return result


def _max_coverage(comp: _Component, usable: Sequence[_CadreState]) -> tuple[int, float]:
    """Most free households the component's cadres can take (zones and residual capacity)."""
    if len(comp.unit_ids) == 1:
        return min(len(comp.free), sum(c.residual for c in usable)), 0.0
    t = time.perf_counter()
    return _flow_capacity(comp, {c.id: c.residual for c in usable}), time.perf_counter() - t


def _flow_capacity(comp: _Component, caps: Mapping[int, int]) -> int:
    per_village: dict[int, int] = defaultdict(int)
    for f in comp.free:
        per_village[f.village_id] += 1
    villages = sorted(per_village)
    cadre_ids = sorted(c for c, cap in caps.items() if cap > 0)
    node = {("v", v): i + 2 for i, v in enumerate(villages)}
    node.update({("c", c): len(villages) + 2 + i for i, c in enumerate(cadre_ids)})
    unit_of = {c.id: c.unit_id for c in comp.cadres}
    mf = max_flow.SimpleMaxFlow()
    for v in villages:
        mf.add_arc_with_capacity(0, node["v", v], per_village[v])
    for c in cadre_ids:
        mf.add_arc_with_capacity(node["c", c], 1, caps[c])
        for v in villages:
            if v in comp.zone[unit_of[c]]:
                mf.add_arc_with_capacity(node["v", v], node["c", c], per_village[v])
    mf.solve(0, 1)
    return int(mf.optimal_flow())


def _solve_flow(comp: _Component, usable: Sequence[_CadreState], cover: int) -> _Result:
    """Per-cadre model: x[k,c] households of class k to cadre c, y[g,c] = c holds group g."""
    model = cp_model.CpModel()
    single_unit = len(comp.unit_ids) == 1
    classes: dict[tuple[int, int, int | None], list[int]] = defaultdict(list)
    for f in comp.free:
        # The former unit only matters where cadres of several units could take the household.
        key = (f.group_id, f.village_id, None if single_unit else f.prev_unit)
        classes[key].append(f.id)
    keys = sorted(classes, key=lambda k: (k[0], k[1], -1 if k[2] is None else k[2]))

    x: dict[tuple[int, int], cp_model.IntVar] = {}
    for ki, key in enumerate(keys):
        for ci, c in enumerate(usable):
            if key[1] in comp.zone[c.unit_id]:
                x[ki, ci] = model.new_int_var(0, min(len(classes[key]), c.residual), "")
    by_class: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    by_cadre: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for (ki, ci), var in x.items():
        by_class[ki].append(var)
        by_cadre[ci].append(var)
    for ki, vars_ in by_class.items():
        model.add(sum(vars_) <= len(classes[keys[ki]]))
    f_load: list[cp_model.IntVar] = []
    for ci, c in enumerate(usable):
        fv = model.new_int_var(0, c.residual, "")
        model.add(fv == sum(by_cadre.get(ci, [])))
        f_load.append(fv)
    model.add(sum(x.values()) == cover)

    # Fresh cadres of one unit with equal bounds are interchangeable: order their loads.
    twins: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for ci, c in enumerate(usable):
        if c.kept == 0:
            twins[c.unit_id, c.lo, c.hi].append(ci)
    for members in twins.values():
        for a, b in itertools.pairwise(members):
            model.add(f_load[a] >= f_load[b])

    stages: list[tuple[str, cp_model.LinearExprT]] = []

    # Tier 2: released households going to another unit than the one they came from.
    cross_terms = [
        var
        for (ki, ci), var in x.items()
        if keys[ki][2] is not None and usable[ci].unit_id != keys[ki][2]
    ]
    if cross_terms:
        stages.append(("cross_unit", sum(cross_terms)))

    # Tiers 3–4: idle cadres and min_load deficit.
    used = {ci: model.new_bool_var("") for ci, c in enumerate(usable) if c.kept == 0}
    for ci, u in used.items():
        model.add(f_load[ci] >= u)
    deficit = []
    for ci, c in enumerate(usable):
        if c.need > 0:
            d = model.new_int_var(0, c.need, "")
            model.add(d >= c.need - f_load[ci])
            deficit.append(d)
    idle_expr = len(used) - sum(used.values())
    if single_unit:
        idle_opt, deficit_opt = _idle_and_deficit(usable, cover)
        model.add(idle_expr <= idle_opt)
        model.add(sum(deficit) <= deficit_opt)
    elif used or deficit:
        # Weight strictly above any deficit difference, so idle cadres dominate.
        weight = sum(c.need for c in usable) + 1
        stages.append(("idle_deficit", weight * idle_expr + sum(deficit)))

    # Tier 5: split pieces, counting the groups cadres already hold as free of charge.
    if comp.keep_groups_together:
        group_of = [k[0] for k in keys]
        y: dict[tuple[int, int], cp_model.IntVar] = {}
        parts: dict[tuple[int, int], list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
        for (ki, ci), var in x.items():
            parts[group_of[ki], ci].append((ki, var))
        for (g, ci), plist in sorted(parts.items()):
            if g in comp.kept_groups[usable[ci].id]:
                continue
            yv = model.new_bool_var("")
            for ki, var in plist:
                model.add(var <= min(len(classes[keys[ki]]), usable[ci].residual) * yv)
            model.add(sum(v for _, v in plist) >= yv)
            y[g, ci] = yv
        ys_of: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        for (g, _), yv in y.items():
            ys_of[g].append(yv)
        splits = []
        for g, ys in sorted(ys_of.items()):
            # Non-negative per group, so the solver sees at once that 0 cannot be beaten.
            sv = model.new_int_var(0, len(ys), "")
            if comp.kept_holders.get(g, 0) == 0:
                # The first new holder of a group nobody holds yet is not a split.
                zv = model.new_bool_var("")
                model.add(zv <= sum(ys))
                model.add(sv == sum(ys) - zv)
            else:
                model.add(sv == sum(ys))
            splits.append(sv)
        stages.append(("split_pieces", sum(splits)))

    # Tier 6: Σ load², as tangents of L² at every integer the load can take (exact there).
    squares = []
    for ci, c in enumerate(usable):
        sq = model.new_int_var(0, max(c.hi, c.kept) ** 2, "")
        for load in range(c.kept, c.kept + c.residual):
            model.add(sq >= (2 * load + 1) * (c.kept + f_load[ci]) - load * (load + 1))
        squares.append(sq)
    # Redundant but valid: the LP relaxation of the tangents alone can sit well below it.
    model.add(sum(squares) >= _least_squares(usable, cover))
    stages.append(("load_squares", sum(squares)))

    if single_unit:
        start = _start_loads(usable, cover)
        sizes = [len(classes[k]) for k in keys]
        hinted: dict[tuple[int, int], int] = defaultdict(int)
        for ki, ci, amount in _north_west(sizes, start):
            hinted[ki, ci] += amount
        for key_, var in x.items():
            model.add_hint(var, hinted.get(key_, 0))
        for ci, var in enumerate(f_load):
            model.add_hint(var, start[ci])
    runner = _Stages(model, comp.time_limit, len(stages))
    for tier, expr in stages:
        if tier == "load_squares":
            runner.settle(
                (sq, (c.kept + runner.value(f_load[ci])) ** 2)
                for ci, (c, sq) in enumerate(zip(usable, squares, strict=True))
            )
        gap = comp.relative_gap if tier == "load_squares" else 0.0
        if not runner.run(tier, expr, relative_gap=gap) and runner.solution is None:
            # Not even a first solution in time (never seen in practice): fall back to a
            # plain sequential fill so coverage, the top tier, is still honoured.
            return _Result(
                comp.index,
                _sequential_fill(comp, usable, cover),
                {t: None for t, _ in stages},
                False,
                runner.seconds,
            )

    gaps = dict(runner.gaps)
    if "idle_deficit" in gaps:
        # One weighted stage decided both tiers; unless proven, neither has a separate bound.
        both = gaps.pop("idle_deficit")
        gaps["idle_cadres"] = gaps["min_load_deficit"] = 0 if both == 0 else None
    if not comp.keep_groups_together:
        gaps["split_pieces"] = None  # not optimised at all: no bound to claim

    counts: dict[tuple[int, int], int] = {}
    for (ki, ci), var in x.items():
        n = runner.value(var)
        if n:
            counts[ki, ci] = n
    assignment: dict[int, int] = {}
    for ki, key in enumerate(keys):
        ids = iter(classes[key])
        for ci, c in enumerate(usable):
            for _ in range(counts.get((ki, ci), 0)):
                assignment[next(ids)] = c.id
    return _Result(comp.index, assignment, gaps, runner.optimal, runner.seconds)


def _idle_and_deficit(usable: Sequence[_CadreState], cover: int) -> tuple[int, int]:
    """Least idle cadres, then least min_load deficit, when any cadre may take any household.

    Fewest idle cadres means one household to each fresh cadre while households last, those
    short of min_load first; only then do households go to topping cadres up to min_load.
    """
    fresh = [c for c in usable if c.kept == 0]
    wanting = sum(1 for c in fresh if c.need > 0)
    need = sum(c.need for c in usable)
    if cover <= len(fresh):
        return len(fresh) - cover, need - min(cover, wanting)
    # Every fresh cadre gets one; those without a min_load to reach absorb theirs for nothing.
    return 0, max(0, need - (cover - (len(fresh) - wanting)))


def _start_loads(usable: Sequence[_CadreState], cover: int, *, tiers: bool = True) -> list[int]:
    """Free loads (in ``usable`` order) optimal for idle cadres and deficit, otherwise even.

    Only a starting point for the solver, but one that satisfies every pinned tier, so CP-SAT
    has a solution from its first instant instead of having to search for one. With
    ``tiers=False`` it is plain water-filling, whose Σ load² no assignment can beat.
    """
    f = [0] * len(usable)
    left = cover
    fresh = [i for i, c in enumerate(usable) if c.kept == 0] if tiers else []
    for i in sorted(fresh, key=lambda i: (usable[i].need == 0, usable[i].id)):
        if not left:
            break
        f[i], left = 1, left - 1
    for i, c in enumerate(usable):
        add = min(max(0, c.need - f[i]), left) if tiers else 0
        f[i], left = f[i] + add, left - add
    heap = [(c.kept + f[i], c.id, i) for i, c in enumerate(usable) if f[i] < c.residual]
    heapq.heapify(heap)
    while left:  # water-filling: the next household to the least-loaded cadre with room
        load, cid, i = heapq.heappop(heap)
        f[i], left = f[i] + 1, left - 1
        if f[i] < usable[i].residual:
            heapq.heappush(heap, (load + 1, cid, i))
    return f


def _least_squares(usable: Sequence[_CadreState], cover: int) -> int:
    """Σ load² that no assignment of ``cover`` households can go below (evenest possible)."""
    f = _start_loads(usable, cover, tiers=False)
    return sum((c.kept + fc) ** 2 for c, fc in zip(usable, f, strict=True))


def _even_squares(total: int, k: int) -> int:
    """Σ load² of ``total`` households split as evenly as possible over ``k`` cadres."""
    if k == 0:
        return 0
    q, r = divmod(total, k)
    return k * q * q + r * (2 * q + 1)


def _north_west(sizes: Sequence[int], loads: Sequence[int]) -> list[tuple[int, int, int]]:
    """Fill cadres in order with items in order: (item, cadre, amount) pieces forming paths."""
    out: list[tuple[int, int, int]] = []
    i = j = 0
    have = list(sizes)
    room = list(loads)
    while i < len(have) and j < len(room):
        take = min(have[i], room[j])
        if take:
            out.append((i, j, take))
        have[i] -= take
        room[j] -= take
        if have[i] == 0:
            i += 1
        if room[j] == 0:
            j += 1
    return out


def _sequential_fill(comp: _Component, usable: Sequence[_CadreState], cover: int) -> dict[int, int]:
    room = {c.id: c.residual for c in usable}
    out: dict[int, int] = {}
    for f in sorted(comp.free, key=lambda f: (f.village_id, f.group_id, f.id)):
        if len(out) == cover:
            break
        for c in usable:
            if room[c.id] and f.village_id in comp.zone[c.unit_id]:
                out[f.id] = c.id
                room[c.id] -= 1
                break
    return out


def _solve_blocks(comp: _Component, usable: Sequence[_CadreState], cover: int) -> _Result | None:
    """Block model for a fresh single-unit component (see the module docstring)."""
    model = cp_model.CpModel()
    members: dict[int, list[int]] = defaultdict(list)
    for f in comp.free:
        members[f.group_id].append(f.id)
    # Big groups lead blocks: fewer leader variables end up used, and ties break by id.
    groups = sorted(members, key=lambda g: (-len(members[g]), g))
    size = [len(members[g]) for g in groups]
    n_groups = len(groups)
    types: dict[tuple[int, int], list[_CadreState]] = defaultdict(list)
    for c in usable:
        types[c.lo, c.hi].append(c)
    tkeys = sorted(types)
    full = cover == sum(size)
    drop_budget = sum(size) - cover
    big_h = max(hi for _, hi in tkeys)

    a: dict[tuple[int, int], cp_model.IntVar] = {}
    x: dict[tuple[int, int], cp_model.LinearExprT] = {}
    x_var: dict[tuple[int, int], cp_model.IntVar] = {}  # only when coverage is partial
    for g in range(n_groups):
        for h in range(g + 1):
            a[g, h] = model.new_bool_var("")
            if full:
                x[g, h] = size[g] * a[g, h]
            else:
                xv = model.new_int_var(0, size[g], "")
                model.add(xv <= size[g] * a[g, h])
                model.add(xv >= a[g, h])  # a group in a block has someone in it
                x[g, h] = x_var[g, h] = xv
        row = [a[g, h] for h in range(g + 1)]
        if full:
            model.add_exactly_one(row)
        else:
            model.add_at_most_one(row)
    model.add(sum(x.values()) == cover)

    n: dict[tuple[int, int], cp_model.IntVar] = {}
    load: dict[tuple[int, int], cp_model.IntVar] = {}
    cost: list[cp_model.IntVar] = []
    cost_of: dict[tuple[int, int], cp_model.IntVar] = {}
    deficit: list[cp_model.LinearExprT] = []
    for h in range(n_groups):
        lead = a[h, h]
        for g in range(h + 1, n_groups):
            model.add_implication(a[g, h], lead)
        for t, (lo, hi) in enumerate(tkeys):
            m = len(types[lo, hi])
            nv = model.new_int_var(0, m, "")
            lv = model.new_int_var(0, m * hi, "")
            model.add(nv <= m * lead)
            model.add(lv <= hi * nv)
            model.add(lv >= nv)  # every cadre placed in a block gets someone
            if lo > 0:
                d = model.new_int_var(0, m * min(lo, hi), "")
                model.add(d >= min(lo, hi) * nv - lv)
                deficit.append(d)
            # Σ load² of an even split of L over n cadres = max_q (2q+1)L − q(q+1)n.
            cv = model.new_int_var(0, m * hi * hi, "")
            for q in range(1, hi):
                model.add(cv >= (2 * q + 1) * lv - q * (q + 1) * nv)
            if hi == 1:
                model.add(cv >= lv)
            cost.append(cv)
            n[h, t], load[h, t], cost_of[h, t] = nv, lv, cv
        model.add(
            sum(load[h, t] for t in range(len(tkeys))) == sum(x[g, h] for g in range(h, n_groups))
        )
        block_cadres = sum(n[h, t] for t in range(len(tkeys)))
        model.add(block_cadres >= lead)
        if drop_budget < big_h:
            # Counting cut. A block's cadres carry Σx ≥ Σs − D households (D: how many may be
            # left out, 0 under full coverage), so with s = qH + r it needs at least Σq cadres,
            # and one more as soon as it holds a group whose residue r exceeds D, because
            # leaving out at most D households cannot clear that residue.
            base = sum((size[g] // big_h) * a[g, h] for g in range(h, n_groups) if size[g] >= big_h)
            residue = [a[g, h] for g in range(h, n_groups) if size[g] % big_h > drop_budget]
            if residue:
                rv = model.new_bool_var("")
                for r in residue:
                    model.add_implication(r, rv)
                model.add(block_cadres >= base + rv)
            else:
                model.add(block_cadres >= base)
    for t, key in enumerate(tkeys):
        model.add(sum(n[h, t] for h in range(n_groups)) <= len(types[key]))

    placed = sum(n.values())
    idle_opt, deficit_opt = _idle_and_deficit(usable, cover)
    model.add(placed >= len(usable) - idle_opt)
    # Idle cadres fall short of min_load by all of it.
    idle_deficit: cp_model.LinearExprT = cp_model.LinearExpr.sum(
        [
            min(lo, hi) * (len(types[lo, hi]) - sum(n[h, t] for h in range(n_groups)))
            for t, (lo, hi) in enumerate(tkeys)
            if lo > 0
        ]
    )
    model.add(cp_model.LinearExpr.sum([*deficit, idle_deficit]) <= deficit_opt)
    # Redundant but valid: the LP relaxation of the tangents alone can sit well below it.
    model.add(sum(cost) >= _least_squares(usable, cover))
    blocks = sum(a[h, h] for h in range(n_groups))

    # Start from even loads laid over the groups north-west-corner style; the pieces of that
    # path fall into blocks wherever a group and a cadre end together. When households must be
    # left out, leave out first the few that make a group a whole number of cadres' loads, and
    # lay those groups first, so that each becomes a block of its own.
    start = _start_loads(usable, cover)
    type_of = [tkeys.index((c.lo, c.hi)) for c in usable]
    trimmed = list(size)
    drop = sum(size) - cover
    for g in sorted(range(n_groups), key=lambda g: (size[g] % big_h, g)):
        rest = size[g] % big_h
        if 0 < rest <= drop and rest < size[g]:
            trimmed[g] -= rest
            drop -= rest
    for g in reversed(range(n_groups)):
        cut = min(drop, trimmed[g])
        trimmed[g] -= cut
        drop -= cut
    order = sorted(range(n_groups), key=lambda g: (trimmed[g] % big_h != 0, g))
    pieces = _north_west([trimmed[g] for g in order], start)
    comp_of: list[int] = []  # path component of each piece
    last_g = last_c = -1
    for g, ci, _ in pieces:
        new_comp = not comp_of or (g != last_g and ci != last_c)
        comp_of.append(len(set(comp_of)) if new_comp else comp_of[-1])
        last_g, last_c = g, ci
    leader_of: dict[int, int] = {}
    for (g, _, _), k in zip(pieces, comp_of, strict=True):
        leader_of[k] = min(leader_of.get(k, n_groups), order[g])
    hint_a: dict[tuple[int, int], int] = {}
    hint_x: dict[tuple[int, int], int] = defaultdict(int)
    hint_n: dict[tuple[int, int], int] = defaultdict(int)
    hint_l: dict[tuple[int, int], int] = defaultdict(int)
    seen_c: set[int] = set()
    for (g, ci, amount), k in zip(pieces, comp_of, strict=True):
        h = leader_of[k]
        hint_a[order[g], h] = 1
        hint_x[order[g], h] += amount
        if ci not in seen_c:
            seen_c.add(ci)
            hint_n[h, type_of[ci]] += 1
            hint_l[h, type_of[ci]] += start[ci]
    for key_, var in a.items():
        model.add_hint(var, hint_a.get(key_, 0))
    for key_, var in x_var.items():
        model.add_hint(var, hint_x.get(key_, 0))
    for key_, var in n.items():
        model.add_hint(var, hint_n.get(key_, 0))
    for key_, var in load.items():
        model.add_hint(var, hint_l.get(key_, 0))

    runner = _Stages(model, comp.time_limit, 2)
    if not runner.run("split_pieces", placed - blocks):
        return None  # no block solution in time: the caller falls back to the flow model
    runner.settle(
        (cv, _even_squares(runner.value(load[key_]), runner.value(n[key_])))
        for key_, cv in cost_of.items()
    )
    runner.run("load_squares", sum(cost), relative_gap=comp.relative_gap)

    # Hand out concrete households: cadres of each type in id order, block by block; inside a
    # block an even split of the load, filled north-west-corner style (a path, so a tree).
    queues = {t: iter(sorted(types[key], key=lambda c: c.id)) for t, key in enumerate(tkeys)}
    assignment: dict[int, int] = {}
    for h in range(n_groups):
        if not runner.value(a[h, h]):
            continue
        slots: list[tuple[int, int]] = []  # (cadre id, load)
        for t in range(len(tkeys)):
            k, total = runner.value(n[h, t]), runner.value(load[h, t])
            if k == 0:
                continue
            q, extra = divmod(total, k)
            for i in range(k):
                slots.append((next(queues[t]).id, q + (1 if i < extra else 0)))
        slots.sort()
        stream: list[int] = []
        for g in range(h, n_groups):
            if runner.value(a[g, h]):
                take = size[g] if full else runner.value(x_var[g, h])
                stream.extend(sorted(members[groups[g]])[:take])
        pos = 0
        for cid, k in slots:
            for hid in stream[pos : pos + k]:
                assignment[hid] = cid
            pos += k
    gaps = dict(runner.gaps)
    gaps.update(uncovered=0, idle_cadres=0, min_load_deficit=0)
    return _Result(comp.index, assignment, gaps, runner.optimal, runner.seconds)


# ---------------------------------------------------------------------------------------------
# Reports


def _shortfalls(
    components: Sequence[_Component],
    assignment: Mapping[int, int],
    instance: Instance,
    unzoned: Mapping[int, list[int]],
) -> list[Shortfall]:
    names = instance.names
    all_hi = sorted(c.max_load for c in instance.cadres)
    out: list[Shortfall] = []
    for comp in components:
        left = [f for f in comp.free if f.id not in assignment]
        if not left:
            continue
        villages = tuple(sorted(set().union(*comp.zone.values())))
        needing = len(comp.free)
        capacity = sum(c.residual for c in comp.cadres)
        his = sorted(c.hi for c in comp.cadres) or all_hi
        typical = statistics.median_low(his) if his else 0
        missing = math.ceil(len(left) / typical) if typical > 0 else None
        raise_to = _max_load_needed(comp) if comp.cadres else None
        label = "、".join(names.get(v, str(v)) for v in villages)
        who = "本单位" if len(comp.unit_ids) == 1 else "各单位合计"
        msg = f"{label}: {needing} 户需覆盖, {who}可承接 {capacity} 户"
        if missing is not None and raise_to is not None:
            msg += f", 缺 {missing} 名干部或上限提高到 {raise_to} 户"
        elif missing is not None:
            msg += f", 缺 {missing} 名干部"
        else:
            msg += ", 无可结对的干部"
        out.append(
            Shortfall(comp.unit_ids, villages, needing, capacity, len(left), missing, raise_to, msg)
        )
    for v in sorted(unzoned):
        count = len(unzoned[v])
        msg = f"{names.get(v, str(v))}: {count} 户需覆盖, 该村未划入任何单位的责任区"
        out.append(Shortfall((), (v,), count, 0, count, None, None, msg))
    return out


def _max_load_needed(comp: _Component) -> int | None:
    """Smallest common max_load L (caps become max(max_load, L)) that covers every household."""

    def covers(limit: int) -> bool:
        caps = {c.id: max(0, max(c.hi, limit) - c.kept) for c in comp.cadres}
        if len(comp.unit_ids) == 1:
            return sum(caps.values()) >= len(comp.free)
        return _flow_capacity(comp, caps) >= len(comp.free)

    high = len(comp.free) + max(c.kept for c in comp.cadres)
    if not covers(high):
        return None  # some village has no cadre at all: raising limits cannot help
    low = 0
    while low < high:  # covers() is monotone in the limit
        mid = (low + high) // 2
        if covers(mid):
            high = mid
        else:
            low = mid + 1
    return low


def _unit_stats(
    instance: Instance, assignment: Mapping[int, int], status_of_unit: Mapping[int, Status]
) -> dict[int, UnitStats]:
    households = {h.id: h for h in instance.households}
    load: dict[int, int] = {c.id: 0 for c in instance.cadres}
    group_cadres: dict[tuple[int, int], set[int]] = defaultdict(set)  # (unit, group) → cadres
    cadre_unit = {c.id: c.unit_id for c in instance.cadres}
    for hid, cid in assignment.items():
        load[cid] += 1
        group_cadres[cadre_unit[cid], households[hid].group_id].add(cid)
    by_unit: dict[int, list[Cadre]] = defaultdict(list)
    for c in sorted(instance.cadres, key=lambda c: c.id):
        by_unit[c.unit_id].append(c)
    units = sorted(set(by_unit) | {z.unit_id for z in instance.zones})
    pieces: dict[int, list[int]] = defaultdict(list)
    for (u, _), holders in group_cadres.items():
        if len(holders) > 1:
            pieces[u].append(len(holders) - 1)
    out: dict[int, UnitStats] = {}
    for u in units:
        cs = by_unit.get(u, [])
        loads = [load[c.id] for c in cs]
        out[u] = UnitStats(
            unit_id=u,
            cadres=len(cs),
            households=sum(loads),
            load_min=min(loads, default=0),
            load_max=max(loads, default=0),
            load_spread=(max(loads) - min(loads)) if loads else 0,
            groups_split=len(pieces[u]),
            split_pieces=sum(pieces[u]),
            idle_cadres=tuple(c.id for c in cs if load[c.id] == 0),
            below_min=tuple(c.id for c in cs if load[c.id] < c.min_load),
            over_max=tuple(c.id for c in cs if load[c.id] > c.max_load),
            status=status_of_unit.get(u, "OPTIMAL"),
        )
    return out
