"""The flow answer: tiers 1–4 and Σ load² as one min-cost flow, then households handed to
cadres group by group with as few splits as the flow's loads allow.

The network, per component::

    source → class (group, village, former unit; capacity: its households)
           → unit  (where the unit's zone holds the village; cost: a released household
                    going to another unit than its own)
           → cadre type (cadres of the unit with equal bounds and equal kept load)
           → sink  (one arc per level of load: the q-th free household of each of the type's
                    m cadres, capacity m)

A type's level-q arc costs what its cadres' q-th household adds: 2(kept+q)+1 to Σ load² (so
the sum over levels is Σ load² exactly, the type's households split evenly — least for a
convex cost), minus the deficit weight while q is below min_load, minus the idle weight for
the first household of a cadre with none kept. The costs rise with q, so the flow fills the
levels in order and each arc's cost is the true marginal. The weights are lexicographic:
each exceeds the largest change all lower tiers together can make, checked against int64.
``solve_max_flow_with_min_cost`` then gives the most households coverable (a max flow: tier 1
proved) and, among those flows, the least weighted cost: tiers 2–4 and Σ load² proved optimal
— Σ load² before splits are considered, a lower bound of tier 6 whatever the splits.
"""

from __future__ import annotations

import heapq
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence

from ortools.graph.python import min_cost_flow

from .records import CadreState, Component, FlowAnswer

ClassKey = tuple[int, int, int | None]  # (group, village, former unit)
TypeKey = tuple[int, int, int, int]  # (unit, min_load, max_load, kept)
# Every cost, times the nodes (cost scaling) and times the flow, stays below this.
COST_CEILING = 2**62


def solve_min_cost(comp: Component, usable: Sequence[CadreState]) -> FlowAnswer | None:
    """The flow answer, or None when the lexicographic weights would not fit in int64."""
    started = time.perf_counter()
    single = len(comp.unit_ids) == 1
    classes: dict[ClassKey, list[int]] = defaultdict(list)
    for f in sorted(comp.free, key=lambda f: f.id):
        # The former unit only matters where cadres of several units could take it.
        classes[f.group_id, f.village_id, None if single else f.prev_unit].append(f.id)
    keys = sorted(classes, key=lambda k: (k[0], k[1], -1 if k[2] is None else k[2]))
    types: dict[TypeKey, list[CadreState]] = defaultdict(list)
    for c in sorted(usable, key=lambda c: c.id):
        types[c.unit_id, c.lo, c.hi, c.kept].append(c)
    tkeys = sorted(types)

    # Lexicographic weights, each above everything the tiers below it can change. No cadre
    # takes more than the free households, so levels and weights stop there.
    n_free = len(comp.free)
    squares_range = sum((c.kept + min(c.residual, n_free)) ** 2 - c.kept**2 for c in usable) + 1
    w_deficit = squares_range
    w_idle = w_deficit * (sum(min(c.need, n_free) for c in usable) + 1)
    w_cross = w_idle * (sum(1 for c in usable if c.kept == 0) + 1)
    cross_possible = any(k[2] is not None for k in keys)
    top = (w_cross if cross_possible else 0) + w_idle + w_deficit + 2 * squares_range
    nodes = 2 + len(keys) + len(comp.unit_ids) + len(tkeys)
    if top * (nodes + 1) * (len(comp.free) + 1) >= COST_CEILING:
        return None

    flow = min_cost_flow.SimpleMinCostFlow()
    source, sink = 0, 1
    class_node = {k: 2 + i for i, k in enumerate(keys)}
    unit_node = {u: 2 + len(keys) + i for i, u in enumerate(comp.unit_ids)}
    type_node = {t: 2 + len(keys) + len(comp.unit_ids) + i for i, t in enumerate(tkeys)}
    into_unit: list[tuple[int, ClassKey, int]] = []  # (arc, class, unit)
    into_type: list[tuple[int, TypeKey]] = []
    for k in keys:
        size = len(classes[k])
        flow.add_arc_with_capacity_and_unit_cost(source, class_node[k], size, 0)
        for u in comp.unit_ids:
            if k[1] in comp.zone[u]:
                cost = w_cross if k[2] is not None and u != k[2] else 0
                arc = flow.add_arc_with_capacity_and_unit_cost(
                    class_node[k], unit_node[u], size, cost
                )
                into_unit.append((arc, k, u))
    # Every household placed crosses exactly one level arc: adding w_idle + w_deficit to
    # each keeps every cost non-negative and changes all flows of one value alike.
    offset = w_idle + w_deficit
    for t in tkeys:
        unit, _, _, kept = t
        members = types[t]
        cadre = members[0]
        arc = flow.add_arc_with_capacity_and_unit_cost(
            unit_node[unit], type_node[t], len(members) * cadre.residual, 0
        )
        into_type.append((arc, t))
        for q in range(min(cadre.residual, n_free)):
            cost = 2 * (kept + q) + 1 + offset
            if q < cadre.need:
                cost -= w_deficit
            if q == 0 and kept == 0:
                cost -= w_idle
            flow.add_arc_with_capacity_and_unit_cost(type_node[t], sink, len(members), cost)
    flow.set_node_supply(source, len(comp.free))
    flow.set_node_supply(sink, -len(comp.free))
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        return None
    cover = int(flow.maximum_flow())

    # Loads: a type's households split evenly, the larger shares to the lower ids (the
    # per-cadre model's order of interchangeable cadres).
    load: dict[int, int] = {}
    for arc, t in into_type:
        members = types[t]
        q, r = divmod(int(flow.flow(arc)), len(members))
        for i, c in enumerate(members):
            load[c.id] = q + (1 if i < r else 0)
    squares = sum((c.kept + load.get(c.id, 0)) ** 2 for c in usable)

    # Which households of a class go to which unit: in id order, units in order.
    per_unit: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    taken: dict[ClassKey, int] = defaultdict(int)
    for arc, k, u in into_unit:
        n = int(flow.flow(arc))
        if n:
            start = taken[k]
            per_unit[u][k[0]].extend(classes[k][start : start + n])
            taken[k] = start + n
    assignment: dict[int, int] = {}
    for u in comp.unit_ids:
        cadres = [(c, load[c.id]) for t in tkeys if t[0] == u for c in types[t] if load[c.id]]
        assignment.update(pack(per_unit.get(u, {}), cadres, comp.kept_groups))
    return FlowAnswer(
        assignment=dict(sorted(assignment.items())),
        cover=cover,
        squares=squares,
        split_bound=split_bound(
            comp, usable, cover, sum(1 for c in usable if c.kept == 0 and not load.get(c.id))
        ),
        seconds=time.perf_counter() - started,
        arcs=flow.num_arcs(),
    )


def pack(
    groups: Mapping[int, list[int]],
    cadres: Sequence[tuple[CadreState, int]],
    kept_groups: Mapping[int, frozenset[int]],
) -> dict[int, int]:
    """Hand one unit's households (group id → ids) to its cadres at exactly these loads, with
    few splits: more of a group to a cadre already holding it, then groups that fill a
    cadre's room exactly, then the rest — two ways, the one with fewer splits kept."""
    best: dict[int, int] | None = None
    best_splits = 0
    for whole_first in (False, True):
        out = _pack(groups, cadres, kept_groups, whole_first=whole_first)
        holders: dict[int, set[int]] = defaultdict(set)
        group_of = {hid: g for g, ids in groups.items() for hid in ids}
        for hid, cid in out.items():
            holders[group_of[hid]].add(cid)
        splits = sum(len(cs) - 1 for cs in holders.values())
        if best is None or splits < best_splits:
            best, best_splits = out, splits
    assert best is not None
    return best


def _pack(
    groups: Mapping[int, list[int]],
    cadres: Sequence[tuple[CadreState, int]],
    kept_groups: Mapping[int, frozenset[int]],
    *,
    whole_first: bool,
) -> dict[int, int]:
    room = {c.id: n for c, n in cadres}
    left = {g: list(ids) for g, ids in groups.items() if ids}
    out: dict[int, int] = {}

    def give(g: int, cid: int) -> None:
        take = min(room[cid], len(left[g]))
        for hid in left[g][:take]:
            out[hid] = cid
        del left[g][:take]
        room[cid] -= take

    for g in sorted(left):
        holders = [c for c, _ in cadres if g in kept_groups.get(c.id, frozenset())]
        for c in sorted(holders, key=lambda c: (-room[c.id], c.id)):
            give(g, c.id)
    order = [c.id for c, _ in cadres]
    position = {cid: i for i, cid in enumerate(order)}
    # A group that fills a cadre's room exactly, biggest groups first.
    by_room: dict[int, list[int]] = defaultdict(list)
    for cid in order:
        if room[cid]:
            by_room[room[cid]].append(cid)
    for g in sorted(left, key=lambda g: (-len(left[g]), g)):
        n = len(left[g])
        if n and by_room.get(n):
            give(g, by_room[n].pop(0))
    if whole_first:
        # Whole groups where they fit, each to the cadre with the least room that holds it.
        for g in sorted(left, key=lambda g: (-len(left[g]), g)):
            n = len(left[g])
            fits = [cid for cid in order if room[cid] >= n] if n else []
            if fits:
                give(g, min(fits, key=lambda cid: (room[cid], position[cid])))
    # The rest north-west: groups in order over the cadres, most room first.
    rest = [g for g in sorted(left) if left[g]]
    for cid in sorted(order, key=lambda cid: (-room[cid], position[cid])):
        while room[cid] and rest:
            give(rest[0], cid)
            if not left[rest[0]]:
                rest.pop(0)
    return out


def split_bound(comp: Component, usable: Sequence[CadreState], cover: int, idle: int) -> int:
    """Split pieces no answer covering ``cover`` free households avoids: a group nobody holds
    yet needs ⌈n / H⌉ cadres (H the most room any cadre has), and each household left out can
    spare at most one of those; and where nobody keeps anything, every cadre but the ``idle``
    (the least possible) holds a group, so splits = Σ (holders − 1) ≥ cadres used − groups."""
    if not usable:
        return 0
    groups = len({f.group_id for f in comp.free})
    used = len(usable) - idle if all(c.kept == 0 for c in comp.cadres) else 0
    most = max(c.residual for c in usable)
    size: dict[int, int] = defaultdict(int)
    for f in comp.free:
        size[f.group_id] += 1
    need = sum(-(-n // most) - 1 for g, n in size.items() if comp.kept_holders.get(g, 0) == 0)
    return max(0, need - (len(comp.free) - cover), used - groups)


def fill_by_groups(
    comp: Component, usable: Sequence[CadreState], cover: int
) -> tuple[dict[int, int], int] | None:
    """Every group its own block, when that is possible: a fresh single unit, every
    household covered, cadres of one kind (min_load lo, max_load hi). Group g gets k_g of
    the cadres, k_g ≥ ⌈s_g / hi⌉ and k_g ≤ ⌊s_g / lo⌋ (nobody below min_load), Σ k_g = all
    cadres, its households split evenly among them; the cadres beyond ⌈s_g / hi⌉ go one at a
    time where they lower Σ load² most (a separable convex allocation: greedy is optimal).

    Splits are then Σ (k_g − 1) = cadres − groups, which no answer without idle cadres can go
    below (each cadre holds a group at least), and with that many splits every block is one
    group, so Σ load² is the least possible too. Returns (assignment, Σ load²), or None.
    """
    if len(comp.unit_ids) != 1 or not usable:
        return None
    if any(c.kept for c in comp.cadres) or len({(c.lo, c.hi) for c in usable}) != 1:
        return None
    hi = usable[0].hi
    lo = min(usable[0].lo, hi)
    members: dict[int, list[int]] = defaultdict(list)
    for f in sorted(comp.free, key=lambda f: (f.group_id, f.id)):
        members[f.group_id].append(f.id)
    if cover < len(comp.free):
        return _full_cadres(members, usable, cover)
    order = sorted(members)
    k = {g: -(-len(members[g]) // hi) for g in order}
    extra = len(usable) - sum(k.values())
    if extra < 0 or (lo and any(k[g] > len(members[g]) // lo for g in order)):
        return None  # too few cadres, or a group that cannot keep its cadres at min_load

    def gain(g: int) -> int:
        s = len(members[g])
        return _even(s, k[g]) - _even(s, k[g] + 1)

    def room(g: int) -> bool:
        s = len(members[g])
        return k[g] + 1 <= (s // lo if lo else s)

    heap = [(-gain(g), g) for g in order if room(g)]
    heapq.heapify(heap)
    while extra:
        if not heap:
            return None  # some cadre would fall below min_load or get nobody
        _, g = heapq.heappop(heap)
        k[g] += 1
        extra -= 1
        if room(g):
            heapq.heappush(heap, (-gain(g), g))
    cadres = iter(sorted(usable, key=lambda c: c.id))
    out: dict[int, int] = {}
    squares = 0
    for g in order:
        ids = members[g]
        q, r = divmod(len(ids), k[g])
        pos = 0
        for i in range(k[g]):
            n = q + (1 if i < r else 0)
            cid = next(cadres).id
            for hid in ids[pos : pos + n]:
                out[hid] = cid
            pos += n
            squares += n * n
    return out, squares


def _full_cadres(
    members: Mapping[int, list[int]], usable: Sequence[CadreState], cover: int
) -> tuple[dict[int, int], int] | None:
    """Too few cadres: every one full at max_load hi. Each takes hi households of one group,
    as many groups as possible getting one cadre (biggest first), then more cadres where a
    group has hi more; the rest of each group is left uncovered. Splits: cadres − groups
    used; Σ load² is fixed (every load hi)."""
    hi = usable[0].hi
    if cover != hi * len(usable):
        return None
    order = sorted(
        (g for g in members if len(members[g]) >= hi), key=lambda g: (-len(members[g]), g)
    )
    if sum(len(members[g]) // hi for g in order) < len(usable):
        return None
    k = dict.fromkeys(order[: len(usable)], 1)
    extra = len(usable) - len(k)
    for g in order:
        add = min(extra, len(members[g]) // hi - k.get(g, 0))
        if add > 0:
            k[g] = k.get(g, 0) + add
            extra -= add
    cadres = iter(sorted(usable, key=lambda c: c.id))
    out: dict[int, int] = {}
    for g in sorted(k):
        ids = members[g]
        for i in range(k[g]):
            cid = next(cadres).id
            for hid in ids[i * hi : (i + 1) * hi]:
                out[hid] = cid
    return out, hi * hi * len(usable)


def _even(total: int, k: int) -> int:
    q, r = divmod(total, k)
    return k * q * q + r * (2 * q + 1)
