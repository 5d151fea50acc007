"""First feasible assignments, in milliseconds: a component's answer when the deadline leaves
no time to search, and the per-cadre model's starting solution otherwise.

Each covers ``cover`` free households, the max-flow optimum, so coverage — the top tier — is
optimal already. In a single-unit component two candidates are built and the better one (by
the lexicographic tiers) is kept:

* *even* — the loads of :func:`closed_forms.start_loads` (idle cadres and deficit optimal,
  then as even as possible), a group going first to a cadre who already holds part of it,
  then the groups laid over the cadres in order (a north-west fill splits at most one group
  per cadre);
* *packed* — groups kept whole where any cadre has room for them (splits rank above
  evenness): a group's free households go to the cadres who already hold it, then whole
  groups, largest first, to the cadre with the least room that still fits them, never
  taking a household that a cadre below its minimum would need.

Several units: the max flow's village → cadre amounts, groups in order. Fresh
interchangeable cadres (one unit, equal bounds) end with non-increasing loads in id order,
as the per-cadre model requires.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

from .closed_forms import flow_network, start_loads
from .records import CadreState, Component


def first_fill(comp: Component, usable: Sequence[CadreState], cover: int) -> dict[int, int]:
    """household id → cadre id for ``cover`` of the component's free households."""
    members: dict[int, list[int]] = defaultdict(list)
    for f in sorted(comp.free, key=lambda f: (f.group_id, f.id)):
        members[f.group_id].append(f.id)
    if len(comp.unit_ids) > 1:
        return _order_twins(_fill_by_flow(comp, usable, members), usable)
    even = _fill_even(comp, usable, cover, members)
    if not comp.keep_groups_together:
        return even
    packed = _order_twins(_fill_packed(comp, usable, cover, members), usable)
    if tiers(comp, usable, packed) < tiers(comp, usable, even):
        return packed
    return even


def fill_packed(comp: Component, usable: Sequence[CadreState], cover: int) -> dict[int, int]:
    """The *packed* candidate alone (the flow answer stands in for the even one)."""
    members: dict[int, list[int]] = defaultdict(list)
    for f in sorted(comp.free, key=lambda f: (f.group_id, f.id)):
        members[f.group_id].append(f.id)
    return _order_twins(_fill_packed(comp, usable, cover, members), usable)


def tiers(
    comp: Component, usable: Sequence[CadreState], assignment: Mapping[int, int]
) -> tuple[int, int, int, int]:
    """(idle cadres, min_load deficit, split pieces, Σ load²) of the component's answer;
    splits count only the holders it adds to each group, as the models do."""
    load = Counter(assignment.values())
    group_of = {f.id: f.group_id for f in comp.free}
    held = {(group_of[hid], cid) for hid, cid in assignment.items()}
    new_holders = Counter(g for g, cid in held if g not in comp.kept_groups[cid])
    idle = sum(1 for c in usable if c.kept == 0 and load[c.id] == 0)
    deficit = sum(max(0, c.need - load[c.id]) for c in usable)
    splits = sum(n - (1 if comp.kept_holders.get(g, 0) == 0 else 0) for g, n in new_holders.items())
    squares = sum((c.kept + load[c.id]) ** 2 for c in usable)
    return idle, deficit, splits, squares


def _fill_even(
    comp: Component, usable: Sequence[CadreState], cover: int, members: Mapping[int, list[int]]
) -> dict[int, int]:
    out: dict[int, int] = {}
    room = {c.id: n for c, n in zip(usable, start_loads(usable, cover), strict=True)}
    # A cadre who already holds part of a group takes more of it without a new split.
    for g in sorted(members):
        holders = [c for c in usable if g in comp.kept_groups[c.id]]
        for holder in sorted(holders, key=lambda c: (-room[c.id], c.id)):
            for hid in members[g]:
                if not room[holder.id]:
                    break
                if hid not in out:
                    out[hid] = holder.id
                    room[holder.id] -= 1
    slots = [c.id for c in usable for _ in range(room[c.id])]
    rest = [hid for g in sorted(members) for hid in members[g] if hid not in out]
    out.update(zip(rest, slots, strict=False))  # north-west: groups in order over cadres
    return out


def _fill_packed(
    comp: Component, usable: Sequence[CadreState], cover: int, members: Mapping[int, list[int]]
) -> dict[int, int]:
    # Each cadre's floor is what idle cadres and the deficit need of it; every other
    # household is "spare" and may go wherever it keeps groups whole.
    floor = _floors(usable, cover)
    room = {c.id: c.residual for c in usable}
    short = {c.id: f for c, f in zip(usable, floor, strict=True)}  # still owed to reach it
    spare = cover - sum(short.values())
    out: dict[int, int] = {}

    def give(cid: int, hids: Sequence[int]) -> int:
        nonlocal spare
        taken = 0
        for hid in hids:
            if not room[cid]:
                break
            if short[cid]:
                short[cid] -= 1
            elif spare:
                spare -= 1
            else:
                break
            out[hid] = cid
            room[cid] -= 1
            taken += 1
        return taken

    left = {g: list(ids) for g, ids in members.items()}
    for g in sorted(left):
        holders = [c for c in usable if g in comp.kept_groups[c.id]]
        for holder in sorted(holders, key=lambda c: (-room[c.id], c.id)):
            del left[g][: give(holder.id, left[g])]
    for g in sorted(left, key=lambda g: (-len(left[g]), g)):
        while left[g]:
            size = len(left[g])
            fits = [c for c in usable if room[c.id] >= size]
            if fits:
                best = min(fits, key=lambda c: (room[c.id], c.id))
            else:
                best = max(usable, key=lambda c: (room[c.id], -c.id))
            taken = give(best.id, left[g])
            if not taken:
                break
            del left[g][:taken]
    # What is still owed goes to those owed it, from whatever is left, in group order.
    rest = [hid for g in sorted(left) for hid in left[g]]
    for c in usable:
        while short[c.id] and rest and room[c.id]:
            give(c.id, [rest.pop(0)])
    for c in usable:
        if spare and rest and room[c.id]:
            del rest[: give(c.id, rest)]
    return out


def _floors(usable: Sequence[CadreState], cover: int) -> list[int]:
    """Least free load per cadre (``usable`` order) that keeps idle cadres and deficit at
    their optimum: start_loads' first two passes (one each to fresh cadres while households
    last, those short of min_load first; then the top-up to min_load)."""
    f = [0] * len(usable)
    left = cover
    fresh = [i for i, c in enumerate(usable) if c.kept == 0]
    for i in sorted(fresh, key=lambda i: (usable[i].need == 0, usable[i].id)):
        if not left:
            break
        f[i], left = 1, left - 1
    for i, c in enumerate(usable):
        add = min(max(0, c.need - f[i]), left)
        f[i], left = f[i] + add, left - add
    return f


def _fill_by_flow(
    comp: Component, usable: Sequence[CadreState], members: Mapping[int, list[int]]
) -> dict[int, int]:
    village_of = {f.id: f.village_id for f in comp.free}
    amounts = _flow_amounts(comp, {c.id: c.residual for c in usable})
    out: dict[int, int] = {}
    for v in sorted(amounts):
        slots = [cid for cid, n in sorted(amounts[v].items()) for _ in range(n)]
        ids = [hid for g in sorted(members) for hid in members[g] if village_of[hid] == v]
        out.update(zip(ids, slots, strict=False))
    return out


def _flow_amounts(comp: Component, caps: Mapping[int, int]) -> dict[int, dict[int, int]]:
    """village id → cadre id → households of the village in one maximum flow."""
    arcs: list[tuple[int, int, int]] = []  # (arc index, village, cadre)
    mf = flow_network(comp, caps, arcs)
    mf.solve(0, 1)
    out: dict[int, dict[int, int]] = defaultdict(dict)
    for arc, v, c in arcs:
        if mf.flow(arc):
            out[v][c] = int(mf.flow(arc))
    return out


def _order_twins(assignment: dict[int, int], usable: Sequence[CadreState]) -> dict[int, int]:
    """Swap whole loads among fresh cadres of one unit with equal bounds (interchangeable:
    same zone, nothing kept) so that their loads do not increase in ``usable`` order."""
    held: dict[int, list[int]] = defaultdict(list)
    for hid, cid in assignment.items():
        held[cid].append(hid)
    twins: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for c in usable:
        if c.kept == 0:
            twins[c.unit_id, c.lo, c.hi].append(c.id)
    out = dict(assignment)
    for ids in twins.values():
        loads = sorted((held[cid] for cid in ids), key=len, reverse=True)
        for cid, hids in zip(ids, loads, strict=True):
            for hid in hids:
                out[hid] = cid
    return out
