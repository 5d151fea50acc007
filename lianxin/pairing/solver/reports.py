"""What the answer says besides the assignment: its objective computed from the definition,
the shortfalls (缺口) and what would fix them, and per-unit statistics."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence

from .closed_forms import flow_capacity
from .records import Cadre, Component, Instance, Objective, Shortfall, Status, UnitStats


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


def find_shortfalls(
    components: Sequence[Component],
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
        raise_to = max_load_needed(comp) if comp.cadres else None
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


def max_load_needed(comp: Component) -> int | None:
    """Smallest common max_load L (caps become max(max_load, L)) that covers every household."""

    def covers(limit: int) -> bool:
        caps = {c.id: max(0, max(c.hi, limit) - c.kept) for c in comp.cadres}
        if len(comp.unit_ids) == 1:
            return sum(caps.values()) >= len(comp.free)
        return flow_capacity(comp, caps) >= len(comp.free)

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


def stats_by_unit(
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
