"""The solver under a wall-clock deadline and a stop hook: it ends in time with the best answer
found, coverage still optimal, and says what it did not prove; a stop abandons it."""

from __future__ import annotations

import random
import time
from collections import Counter

import pytest
from ortools.sat.python import cp_model

from lianxin.pairing.solver import (
    Cadre,
    Cancelled,
    Existing,
    Household,
    Instance,
    Zone,
    flow_model,
    solve,
)
from lianxin.pairing.solver.first_fill import first_fill
from lianxin.pairing.solver.records import CadreState, Component, Free

from .helpers import zone_respected

# Far more deterministic time than the tests allow: without the deadline, minutes per unit.
NEEDS_MINUTES = 600.0


def _raised(units: int = 1, seed: int = 3) -> Instance:
    """Units of 20 cadres and 600-odd households in uneven groups, paired at loads 5–15, then
    max load raised to 40: every cadre keeps 15 and 300-odd households per unit are free, a
    split-and-evenness problem CP-SAT does not prove in minutes."""
    rnd = random.Random(seed)
    households: list[Household] = []
    existing: list[Existing] = []
    cadres: list[Cadre] = []
    zones: list[Zone] = []
    for u in range(units):
        villages = (10 * u + 1, 10 * u + 2, 10 * u + 3)
        zones.append(Zone(u, villages))
        unit_cadres = [Cadre(1000 * (u + 1) + i, u, 5, 40) for i in range(20)]
        cadres += unit_cadres
        start = len(households)
        g = 0
        while len(households) - start < 600:
            size = rnd.randint(5, 45)
            for _ in range(size):
                households.append(Household(len(households) + 1, 1000 * u + g, villages[g % 3]))
            g += 1
        # The first 300 households of the unit went 15 to a cadre, in order.
        for i, h in enumerate(households[start : start + 300]):
            existing.append(Existing(h.id, unit_cadres[i // 15].id, unit_id=u))
    return Instance(households, cadres, zones, existing)


def _rules_hold(inst: Instance, sol) -> None:
    load = Counter(sol.assignment.values())
    assert zone_respected(inst, sol)
    assert all(load[c.id] <= c.max_load for c in inst.cadres)
    assert sol.uncovered == []  # capacity 800 per unit for 600 households
    assert sol.bound.uncovered == sol.objective.uncovered == 0
    assert {p.household_id for p in sol.kept} == {e.household_id for e in inst.existing}


def test_it_stops_at_the_deadline_with_the_best_answer_and_marks_what_is_unproven():
    inst = _raised(units=2)
    started = time.monotonic()
    sol = solve(inst, time_limit=NEEDS_MINUTES, deadline=started + 1.5)
    took = time.monotonic() - started

    # Without the deadline this runs for minutes; the margin is for a busy machine.
    assert took < 30
    _rules_hold(inst, sol)
    assert sol.deadline_hit
    assert sol.status == "FEASIBLE"
    assert [o.unit_ids for o in sol.outcomes] == [(0,), (1,)]
    assert all(o.timed_out for o in sol.outcomes)
    assert all("uncovered" not in o.unproven for o in sol.outcomes)
    assert all(o.unproven for o in sol.outcomes)
    assert all(o.households >= 300 for o in sol.outcomes)  # the unpaired rest of each unit


def test_it_gives_every_component_a_coverage_optimal_answer_once_the_deadline_has_passed():
    inst = _raised(units=3)
    sol = solve(inst, time_limit=NEEDS_MINUTES, deadline=time.monotonic() - 1)

    _rules_hold(inst, sol)
    assert [o.reached for o in sol.outcomes] == [False, False, False]
    # Idle cadres and deficit have closed forms in a single unit: the first answer meets them.
    assert sol.objective.idle_cadres == sol.bound.idle_cadres == 0
    for o in sol.outcomes:
        # Splits may be proved without search (the counting bound reached); evenness after
        # them is not, with no time to look.
        assert o.unproven and set(o.unproven) <= {"split_pieces", "load_squares"}


def test_it_reaches_the_max_flow_coverage_without_search_where_zones_overlap():
    # Unit 0 covers villages 1 and 2, unit 1 only village 1, so they form one component. Filling
    # village 1 first from unit 0's cadre would strand village 2; the max flow does not.
    inst = Instance(
        households=[Household(1, 11, 1), Household(2, 21, 2)],
        cadres=[Cadre(100, 0, 0, 1), Cadre(200, 1, 0, 1)],
        zones=[Zone(0, (1, 2)), Zone(1, (1,))],
    )
    sol = solve(inst, deadline=time.monotonic() - 1)
    assert sol.assignment == {1: 200, 2: 100}
    assert sol.bound.uncovered == sol.objective.uncovered == 0
    # The flow answer proves every tier here (nothing to split), so no search was needed.
    assert sol.status == "OPTIMAL" and sol.outcomes[0].unproven == ()


def test_it_raises_cancelled_soon_after_should_stop_says_so():
    inst = _raised(units=2)
    started = time.monotonic()
    asked: list[float] = []

    def should_stop() -> bool:
        asked.append(time.monotonic() - started)
        return asked[-1] > 1.0

    with pytest.raises(Cancelled):
        solve(inst, time_limit=NEEDS_MINUTES, should_stop=should_stop)
    # Asked during the first component's search, not only between components.
    assert len(asked) > 2
    assert time.monotonic() - started < 30


def test_it_stops_worker_processes_too():
    inst = _raised(units=3)
    started = time.monotonic()
    with pytest.raises(Cancelled):
        solve(
            inst,
            time_limit=NEEDS_MINUTES,
            workers=2,
            should_stop=lambda: time.monotonic() - started > 1.0,
        )
    assert time.monotonic() - started < 30


def test_it_respects_the_deadline_in_worker_processes():
    inst = _raised(units=3)
    started = time.monotonic()
    sol = solve(inst, time_limit=NEEDS_MINUTES, workers=2, deadline=started + 1.5)
    assert time.monotonic() - started < 30
    _rules_hold(inst, sol)
    assert sol.deadline_hit and len(sol.outcomes) == 3


def _component(inst: Instance) -> tuple[Component, list[CadreState]]:
    """The one component of a one-unit instance whose existing pairings are all kept."""
    kept = Counter(e.cadre_id for e in inst.existing)
    held = {e.household_id for e in inst.existing}
    group_of = {h.id: h.group_id for h in inst.households}
    kept_groups: dict[int, set[int]] = {c.id: set() for c in inst.cadres}
    holders: dict[int, set[int]] = {}
    for e in inst.existing:
        kept_groups[e.cadre_id].add(group_of[e.household_id])
        holders.setdefault(group_of[e.household_id], set()).add(e.cadre_id)
    states = [CadreState(c.id, c.unit_id, c.min_load, c.max_load, kept[c.id]) for c in inst.cadres]
    free = [Free(h.id, h.group_id, h.village_id, None) for h in inst.households if h.id not in held]
    comp = Component(
        index=0,
        unit_ids=(inst.zones[0].unit_id,),
        zone={z.unit_id: frozenset(z.village_ids) for z in inst.zones},
        cadres=states,
        free=free,
        kept_groups={c: frozenset(gs) for c, gs in kept_groups.items()},
        kept_holders={g: len(holders.get(g, ())) for g in {f.group_id for f in free}},
        keep_groups_together=True,
        time_limit=1.0,
        relative_gap=0.0,
    )
    return comp, [s for s in states if s.residual > 0]


@pytest.mark.parametrize("min_load", [0, 20, 30])
def test_it_starts_the_per_cadre_model_from_a_complete_feasible_solution(min_load):
    base = _raised(units=1)
    inst = Instance(
        base.households,
        [Cadre(c.id, c.unit_id, min_load, c.max_load) for c in base.cadres],
        base.zones,
        base.existing,
    )
    comp, usable = _component(inst)
    cover = min(len(comp.free), sum(c.residual for c in usable))
    fm = flow_model.build_flow(comp, usable, cover, first_fill(comp, usable, cover))
    model = fm.model
    model.clear_hints()
    for i, v in enumerate(fm.start):
        model.add_hint(model.get_int_var_from_proto_index(i), v)
    solver = cp_model.CpSolver()
    solver.parameters.fix_variables_to_their_hinted_value = True
    solver.parameters.num_workers = 1
    assert solver.solve(model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
