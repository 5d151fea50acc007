"""solve(): keep what may be kept, split the rest into independent components, solve each
(dispatch.py), and assemble the answer with what was proved of it."""

from __future__ import annotations

import gc
import time
from collections import defaultdict
from collections.abc import Callable

from .dispatch import solve_components
from .records import (
    TIERS,
    Cadre,
    CadreState,
    Component,
    ComponentOutcome,
    Ended,
    Free,
    Instance,
    Objective,
    Pair,
    Result,
    Solution,
    Status,
)
from .reports import evaluate, find_shortfalls, stats_by_unit


def solve(
    instance: Instance,
    *,
    time_limit: float = 2.0,
    relative_gap: float = 0.0,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    deadline: float | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Solution:
    """Pair cadres with households.

    Every component first gets its flow answer (min_cost.py: coverage, released households'
    units, idle cadres, deficit and Σ load² in one min-cost flow, proved optimal), in
    milliseconds. ``time_limit`` is then the CP-SAT deterministic time the whole run may spend
    on fewer split groups, shared among the components that may gain (dispatch.py); 0 keeps
    the flow answers. It is deterministic so that, while it is what stops the search, the
    result never depends on machine load. ``deadline`` (a ``time.monotonic()`` value) bounds
    the wall clock: each searched component gets its share of the time left, every CP-SAT call
    at most that, and once it has passed the remaining components keep their flow answer;
    :attr:`Solution.outcomes` says which tiers of which components are unproven.
    ``should_stop`` is asked between components and every few tenths of a second during a
    search; when it answers True, :class:`Cancelled` is raised. ``relative_gap`` lets the last
    tier (Σ load²) stop once within that fraction of its bound (the component is then FEASIBLE,
    honestly). ``workers`` > 1 searches components in that many processes, with identical
    results while the deadline does not bind. ``progress`` is called as ``progress(done,
    total)`` after each component that had anything to solve.
    """
    # The solve makes and drops millions of small objects, all freed by reference counting;
    # the cycle collector they trigger would walk the caller's whole heap each time (a Django
    # process holds millions of objects): a fifth of a first run's solve at scale 1.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _solve(instance, time_limit, relative_gap, workers, progress, deadline, should_stop)
    finally:
        if collecting:
            gc.enable()


def _solve(
    instance: Instance,
    time_limit: float,
    relative_gap: float,
    workers: int,
    progress: Callable[[int, int], None] | None,
    deadline: float | None,
    should_stop: Callable[[], bool] | None,
) -> Solution:
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

    free_by_root: dict[int, list[Free]] = defaultdict(list)
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
        free_by_root[find(covering[0])].append(Free(hh.id, hh.group_id, hh.village_id, p))

    cadres_by_unit: dict[int, list[Cadre]] = defaultdict(list)
    for c in sorted(instance.cadres, key=lambda c: c.id):
        cadres_by_unit[c.unit_id].append(c)

    components: list[Component] = []
    for root in sorted(comp_units):
        units = tuple(comp_units[root])
        states = [
            CadreState(c.id, c.unit_id, c.min_load, c.max_load, kept_load[c.id])
            for u in units
            for c in cadres_by_unit[u]
        ]
        states.sort(key=lambda s: s.id)
        free = free_by_root.get(root, [])
        groups = {f.group_id for f in free}
        components.append(
            Component(
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
    todo = [c for c in components if c.free]
    if deadline is not None:
        # Assembling the answer below walks the same households as keeping and splitting did
        # above, on the same machine at the same load: leave it that long, and half again.
        deadline -= 1.5 * (time.perf_counter() - started)
    results: list[Result] = solve_components(
        todo,
        workers=workers,
        time_limit=time_limit,
        deadline=deadline,
        should_stop=should_stop,
        progress=progress,
    )
    for comp in components:
        if not comp.free:
            results.append(Result(comp.index, {}, {}, True, 0.0))
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
            for n, v in zip(TIERS, values, strict=True)
        )
    )

    status_of_unit: dict[int, Status] = {}
    outcomes: list[ComponentOutcome] = []
    for done_comp, r in zip(components, results, strict=True):
        status: Status = "OPTIMAL" if r.optimal else "FEASIBLE"
        for u in done_comp.unit_ids:
            status_of_unit[u] = status
        if done_comp.free:
            unproven = tuple(
                t
                for t in TIERS
                if r.gaps.get(t, 0) != 0 and (t != "split_pieces" or done_comp.keep_groups_together)
            )
            outcomes.append(
                ComponentOutcome(
                    index=done_comp.index,
                    unit_ids=done_comp.unit_ids,
                    households=len(done_comp.free),
                    status=status,
                    unproven=unproven,
                    reached=r.reached,
                    timed_out=r.timed_out,
                    seconds=round(r.wall_seconds, 3),
                )
            )

    t_short = time.perf_counter()
    shortfalls = find_shortfalls(components, assignment, instance, unzoned)
    flow_seconds = time.perf_counter() - t_short
    unit_stats = stats_by_unit(instance, assignment, status_of_unit)
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
        outcomes=outcomes,
        deadline_hit=any(o.timed_out for o in outcomes),
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
