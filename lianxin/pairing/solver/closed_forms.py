"""Closed forms: the most households a component can cover (max-flow), the least idle cadres
and deficit, even loads, and the bounds the models use."""

from __future__ import annotations

import heapq
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence

from ortools.graph.python import max_flow

from .records import CadreState, Component


def max_coverage(comp: Component, usable: Sequence[CadreState]) -> tuple[int, float]:
    """Most free households the component's cadres can take (zones and residual capacity)."""
    if len(comp.unit_ids) == 1:
        return min(len(comp.free), sum(c.residual for c in usable)), 0.0
    t = time.perf_counter()
    return flow_capacity(comp, {c.id: c.residual for c in usable}), time.perf_counter() - t


def flow_capacity(comp: Component, caps: Mapping[int, int]) -> int:
    """Most free households the cadres can take with these residual capacities (max-flow)."""
    mf = flow_network(comp, caps, [])
    mf.solve(0, 1)
    return int(mf.optimal_flow())


def flow_network(
    comp: Component, caps: Mapping[int, int], arcs: list[tuple[int, int, int]]
) -> max_flow.SimpleMaxFlow:
    """Source 0 → villages (their free households) → cadres (their caps) → sink 1; the
    village → cadre arcs are appended to ``arcs`` as (arc index, village id, cadre id)."""
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
                arc = mf.add_arc_with_capacity(node["v", v], node["c", c], per_village[v])
                arcs.append((arc, v, c))
    return mf


def idle_and_deficit(usable: Sequence[CadreState], cover: int) -> tuple[int, int]:
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


def start_loads(usable: Sequence[CadreState], cover: int, *, tiers: bool = True) -> list[int]:
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


def least_squares(usable: Sequence[CadreState], cover: int) -> int:
    """Σ load² that no assignment of ``cover`` households can go below (evenest possible)."""
    f = start_loads(usable, cover, tiers=False)
    return sum((c.kept + fc) ** 2 for c, fc in zip(usable, f, strict=True))


def even_squares(total: int, k: int) -> int:
    """Σ load² of ``total`` households split as evenly as possible over ``k`` cadres."""
    if k == 0:
        return 0
    q, r = divmod(total, k)
    return k * q * q + r * (2 * q + 1)


def north_west(sizes: Sequence[int], loads: Sequence[int]) -> list[tuple[int, int, int]]:
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
