"""The flow answer: coverage, released households, idle cadres, deficit and Σ load² as one
min-cost flow, proved without search; CP-SAT only improves splits, never at their cost."""

from __future__ import annotations

import itertools
import random
import time
from collections import Counter, defaultdict

import pytest

from lianxin.pairing.solver import Cadre, Existing, Household, Instance, Zone, solve
from lianxin.pairing.solver.min_cost import solve_min_cost
from lianxin.pairing.solver.records import CadreState, Component, Free

from .test_reference import _exhaustive, _random_instance

Tiers = tuple[int, int, int, int, int]


def _component(inst: Instance) -> tuple[Component, list[CadreState]]:
    """A first run's single component: every unit of the instance, nothing kept."""
    units = tuple(sorted({z.unit_id for z in inst.zones} | {c.unit_id for c in inst.cadres}))
    zone: dict[int, frozenset[int]] = defaultdict(frozenset)
    for z in inst.zones:
        zone[z.unit_id] |= frozenset(z.village_ids)
    covered = set().union(*zone.values()) if zone else set()
    states = [CadreState(c.id, c.unit_id, c.min_load, c.max_load, 0) for c in inst.cadres]
    free = [Free(h.id, h.group_id, h.village_id, None) for h in inst.households]
    comp = Component(
        index=0,
        unit_ids=units,
        zone={u: zone[u] for u in units},
        cadres=states,
        free=[f for f in free if f.village_id in covered],
        kept_groups={c.id: frozenset() for c in states},
        kept_holders={},
        keep_groups_together=True,
        time_limit=0.0,
        relative_gap=0.0,
    )
    return comp, [s for s in states if s.residual > 0]


def _best_without_splits(inst: Instance) -> Tiers:
    """(uncovered, idle, deficit, Σ load²) least lexicographically, by enumeration: the
    tiers the flow answers for, splits left out."""
    zone: dict[int, set[int]] = defaultdict(set)
    for z in inst.zones:
        zone[z.unit_id] |= set(z.village_ids)
    options = [
        [None] + [c.id for c in inst.cadres if h.village_id in zone[c.unit_id]]
        for h in inst.households
    ]
    best: Tiers | None = None
    for choice in itertools.product(*options):
        load = Counter(cid for cid in choice if cid is not None)
        if any(load[c.id] > c.max_load for c in inst.cadres):
            continue
        value = (
            sum(1 for cid in choice if cid is None),
            0,
            sum(1 for c in inst.cadres if load[c.id] == 0),
            sum(max(0, c.min_load - load[c.id]) for c in inst.cadres),
            sum(n * n for n in load.values()),
        )
        if best is None or value < best:
            best = value
    assert best is not None
    return best


def _small(seed: int) -> Instance:
    rnd = random.Random(seed)
    units = rnd.choice([1, 2])
    villages = list(range(1, rnd.randint(1, 3) + 1))
    zones = [Zone(u, tuple(rnd.sample(villages, rnd.randint(1, len(villages))))) for u in (1, 2)]
    cadres = []
    for i in range(rnd.randint(1, 3)):
        lo = rnd.randint(0, 3)
        cadres.append(Cadre(10 + i, rnd.randint(1, units), lo, rnd.randint(max(lo, 1), 4)))
    households = []
    for i in range(rnd.randint(1, 7)):
        v = rnd.choice(villages)
        households.append(Household(100 + i, v * 10 + rnd.randint(0, 1), v))
    return Instance(households, cadres, zones[:units])


@pytest.mark.parametrize("seed", range(60))
def test_it_finds_the_least_load_squares_with_the_tiers_above_in_one_flow(seed: int) -> None:
    inst = _small(seed)
    comp, usable = _component(inst)
    answer = solve_min_cost(comp, usable)
    assert answer is not None

    load = Counter(answer.assignment.values())
    found = (
        len(inst.households) - len(answer.assignment),
        0,
        sum(1 for c in inst.cadres if load[c.id] == 0),
        sum(max(0, c.min_load - load[c.id]) for c in inst.cadres),
        sum(n * n for n in load.values()),
    )
    assert found == _best_without_splits(inst)
    assert answer.squares == found[4] and answer.cover == len(answer.assignment)
    zone = {z.unit_id: set(z.village_ids) for z in inst.zones}
    unit = {c.id: c.unit_id for c in inst.cadres}
    village = {h.id: h.village_id for h in inst.households}
    assert all(village[h] in zone[unit[c]] for h, c in answer.assignment.items())


@pytest.mark.parametrize("seed", range(40))
def test_it_proves_the_flow_tiers_with_no_time_at_all(seed: int) -> None:
    # No CP-SAT budget and the deadline already passed: the flow answer alone, its coverage,
    # idle cadres and deficit (and, without the group rule, Σ load²) proved optimal.
    inst = _random_instance(random.Random(seed))
    expected, _ = _exhaustive(inst)
    sol = solve(inst, time_limit=0.0, deadline=time.monotonic() - 1)
    assert sol.objective.uncovered == sol.bound.uncovered == expected[0]
    assert sol.objective.cross_unit == sol.bound.cross_unit == expected[1]
    assert sol.objective.idle_cadres == sol.bound.idle_cadres == expected[2]
    assert sol.objective.min_load_deficit == sol.bound.min_load_deficit == expected[3]
    assert sol.bound.split_pieces <= expected[4] <= sol.objective.split_pieces
    for o in sol.outcomes:
        assert set(o.unproven) <= {"split_pieces", "load_squares"}

    loose = Instance(
        inst.households, inst.cadres, inst.zones, inst.existing, keep_groups_together=False
    )
    sol = solve(loose, time_limit=0.0, deadline=time.monotonic() - 1)
    assert sol.status == "OPTIMAL" and all(not o.unproven for o in sol.outcomes)


def _county(seed: int = 5) -> Instance:
    """Eight units, each with 12–20 groups of 60–90 households and enough cadres (max 45) to
    give every group cadres of its own: a first run whose splits and Σ load² have a closed
    form."""
    rnd = random.Random(seed)
    households: list[Household] = []
    cadres: list[Cadre] = []
    zones: list[Zone] = []
    for u in range(8):
        zones.append(Zone(u, (2 * u, 2 * u + 1)))
        groups = rnd.randint(12, 20)
        for g in range(groups):
            for _ in range(rnd.randint(60, 90)):
                households.append(Household(len(households) + 1, 100 * u + g, 2 * u + g % 2))
        cadres += [Cadre(1000 * u + i, u, 20, 45) for i in range(2 * groups + rnd.randint(0, 8))]
    return Instance(households, cadres, zones)


def test_it_proves_a_first_run_without_search_where_groups_can_have_cadres_of_their_own():
    inst = _county()
    sol = solve(inst, time_limit=0.0)
    assert sol.status == "OPTIMAL" and sol.bound == sol.objective
    assert sol.uncovered == [] and sol.objective.idle_cadres == 0
    # Each cadre holds one group: splits = cadres − groups.
    groups = len({h.group_id for h in inst.households})
    assert sol.objective.split_pieces == len(inst.cadres) - groups
    held = defaultdict(set)
    group_of = {h.id: h.group_id for h in inst.households}
    for h, c in sol.assignment.items():
        held[c].add(group_of[h])
    assert all(len(gs) == 1 for gs in held.values())


def _short(seed: int = 2) -> Instance:
    """Groups of 30–110 over two villages, cadres of mixed bounds: no closed form."""
    rnd = random.Random(seed)
    households: list[Household] = []
    for g in range(14):
        for _ in range(rnd.randint(30, 110)):
            households.append(Household(len(households) + 1, g, 1 + g % 2))
    cadres = [Cadre(i, 1, 10, 40 if i % 3 else 30) for i in range(1, 30)]
    cadres += [Cadre(100 + i, 2, 0, 35) for i in range(6)]
    return Instance(households, cadres, [Zone(1, (1, 2)), Zone(2, (2,))])


def test_it_never_loses_coverage_or_the_tiers_above_to_the_split_search():
    inst = _short()
    flow_only = solve(inst, time_limit=0.0)
    searched = solve(inst, time_limit=5.0)
    for sol in (flow_only, searched):
        assert sol.bound.uncovered == sol.objective.uncovered
    top = flow_only.objective.as_tuple()[:4]
    assert searched.objective.as_tuple()[:4] == top
    assert searched.objective.as_tuple() <= flow_only.objective.as_tuple()
    assert [o.reached for o in flow_only.outcomes] == [False]


def test_it_gives_equal_answers_to_equal_inputs_in_any_order_and_any_number_of_workers():
    inst = _short()
    rnd = random.Random(0)
    shuffled = Instance(
        rnd.sample(list(inst.households), len(inst.households)),
        rnd.sample(list(inst.cadres), len(inst.cadres)),
        list(reversed(inst.zones)),
    )
    first = solve(inst, time_limit=0.5)
    assert solve(shuffled, time_limit=0.5).assignment == first.assignment
    assert solve(inst, time_limit=0.5).assignment == first.assignment
    county = _county()
    assert solve(county, workers=2).assignment == solve(county).assignment


def test_a_rerun_with_nothing_changed_changes_nothing_and_a_leaver_moves_only_theirs():
    inst = _short()
    first = solve(inst, time_limit=0.0)
    unit = {c.id: c.unit_id for c in inst.cadres}
    existing = [Existing(h, c, unit_id=unit[c]) for h, c in first.assignment.items()]
    again = solve(Instance(inst.households, inst.cadres, inst.zones, existing), time_limit=0.0)
    assert again.assignment == first.assignment and again.new == [] and again.ended == []

    gone = inst.cadres[0].id
    theirs = {h for h, c in first.assignment.items() if c == gone}
    left = [c for c in inst.cadres if c.id != gone]
    after = solve(Instance(inst.households, left, inst.zones, existing), time_limit=0.0)
    assert {p.household_id for p in after.new} <= theirs
    assert all(after.assignment.get(h) == c for h, c in first.assignment.items() if c != gone)
