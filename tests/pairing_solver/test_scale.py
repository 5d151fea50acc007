"""A county-sized slice: only properties that must hold whatever the solver's time budget."""

from __future__ import annotations

import random
from collections import Counter

from lianxin.pairing.solver import Cadre, Household, Instance, Zone, solve

from .helpers import rerun, zone_respected


def _county(seed: int = 11) -> Instance:
    # 10 units × 2 villages × 10 groups of ~100: 20,000 households; 50 cadres per unit.
    rnd = random.Random(seed)
    households: list[Household] = []
    zones: list[Zone] = []
    cadres: list[Cadre] = []
    for u in range(10):
        villages = (2 * u + 1, 2 * u + 2)
        zones.append(Zone(u, villages))
        for v in villages:
            for g in range(10):
                for _ in range(rnd.randint(70, 130) if g < 9 else 100):
                    households.append(Household(len(households) + 1, v * 100 + g, v))
        cadres += [Cadre(u * 1000 + i, u, 20, 45) for i in range(50)]
    return Instance(households, cadres, zones)


def test_twenty_thousand_households_keep_every_rule() -> None:
    inst = _county()
    sol = solve(inst, time_limit=0.5, workers=2)
    load = Counter(sol.assignment.values())

    assert zone_respected(inst, sol)
    assert sol.uncovered == [] and sol.shortfalls == []
    assert all(load[c.id] <= c.max_load for c in inst.cadres)
    assert sol.objective.idle_cadres == 0 and sol.objective.min_load_deficit == 0
    # A north-west-corner fill already splits at most (cadres − 1) times per unit; the
    # optimiser starts there and can only improve.
    assert sol.objective.split_pieces <= sum(s.cadres - 1 for s in sol.units.values())
    assert sol.bound.as_tuple() <= sol.objective.as_tuple()
    assert sol.bound.split_pieces <= sol.objective.split_pieces
    assert len(sol.units) == 10 and sol.components == 10

    again = solve(rerun(inst, sol), time_limit=0.5)
    assert again.assignment == sol.assignment and again.new == [] and again.status == "OPTIMAL"

    leaving = inst.cadres[7]
    theirs = {h for h, c in sol.assignment.items() if c == leaving.id}
    after = solve(rerun(inst, sol, cadres=[c for c in inst.cadres if c != leaving]), time_limit=0.5)
    assert {p.household_id for p in after.new} == theirs
    unit = {c.id: c.unit_id for c in inst.cadres}
    assert {unit[p.cadre_id] for p in after.new} == {leaving.unit_id}
