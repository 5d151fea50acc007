"""The block CP-SAT model: a fresh single-unit component (a first run)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence

from ortools.sat.python import cp_model

from .closed_forms import even_squares, idle_and_deficit, least_squares, north_west, start_loads
from .records import CadreState, Component, Result
from .stages import Stages, complete_hint


def solve_blocks(
    comp: Component,
    usable: Sequence[CadreState],
    cover: int,
    stop: Callable[[], bool] | None = None,
    *,
    start: Mapping[int, int] | None = None,
    max_splits: int | None = None,
) -> Result | None:
    """Block model for a fresh single-unit component (see the module docstring). ``start``:
    an answer in hand (household id → cadre id), the search's hint, whose split pieces
    ``max_splits`` the search may not exceed."""
    model = cp_model.CpModel()
    members: dict[int, list[int]] = defaultdict(list)
    for f in comp.free:
        members[f.group_id].append(f.id)
    # Big groups lead blocks: fewer leader variables end up used, and ties break by id.
    groups = sorted(members, key=lambda g: (-len(members[g]), g))
    size = [len(members[g]) for g in groups]
    n_groups = len(groups)
    types: dict[tuple[int, int], list[CadreState]] = defaultdict(list)
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
    deficit_of: dict[tuple[int, int], cp_model.IntVar] = {}
    residue_of: dict[int, cp_model.IntVar] = {}
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
                deficit_of[h, t] = d
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
                residue_of[h] = rv
                for r in residue:
                    model.add_implication(r, rv)
                model.add(block_cadres >= base + rv)
            else:
                model.add(block_cadres >= base)
    for t, key in enumerate(tkeys):
        model.add(sum(n[h, t] for h in range(n_groups)) <= len(types[key]))

    placed = sum(n.values())
    idle_opt, deficit_opt = idle_and_deficit(usable, cover)
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
    model.add(sum(cost) >= least_squares(usable, cover))
    blocks = sum(a[h, h] for h in range(n_groups))
    if max_splits is not None:
        # Any answer rearranges into blocks without more splits (cancel cycles), so this
        # only cuts off what cannot beat the answer in hand.
        model.add(placed - blocks <= max_splits)

    if start is not None:
        hints = _hint_from(start, comp, usable, groups, tkeys, members)
    else:
        hints = _north_west_hint(usable, cover, size, tkeys, big_h)
    hint_a, hint_x, hint_n, hint_l = hints
    for key_, var in a.items():
        model.add_hint(var, hint_a.get(key_, 0))
    for key_, var in x_var.items():
        model.add_hint(var, hint_x.get(key_, 0))
    for key_, var in n.items():
        model.add_hint(var, hint_n.get(key_, 0))
    for key_, var in load.items():
        model.add_hint(var, hint_l.get(key_, 0))
    for key_, var in cost_of.items():
        model.add_hint(var, even_squares(hint_l.get(key_, 0), hint_n.get(key_, 0)))
    for (h, t), var in deficit_of.items():
        lo, hi = tkeys[t]
        model.add_hint(var, max(0, min(lo, hi) * hint_n.get((h, t), 0) - hint_l.get((h, t), 0)))
    for h, var in residue_of.items():
        model.add_hint(
            var,
            int(
                any(
                    hint_a.get((g, h), 0) and size[g] % big_h > drop_budget
                    for g in range(h, n_groups)
                )
            ),
        )

    # An answer in hand is the stages' start: what they do not improve in time stands.
    first = complete_hint(model, comp.deadline, stop) if start is not None else None
    runner = Stages(model, comp.time_limit, 2, deadline=comp.deadline, stop=stop, start=first)
    if not runner.run("split_pieces", placed - blocks) and first is None:
        return None  # no block solution in time: the caller falls back to the flow model
    runner.settle(
        (cv, even_squares(runner.value(load[key_]), runner.value(n[key_])))
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
    return Result(
        comp.index, assignment, gaps, runner.optimal, runner.seconds, timed_out=runner.timed_out
    )


Hints = tuple[
    dict[tuple[int, int], int],
    dict[tuple[int, int], int],
    dict[tuple[int, int], int],
    dict[tuple[int, int], int],
]


def _north_west_hint(
    usable: Sequence[CadreState],
    cover: int,
    size: Sequence[int],
    tkeys: Sequence[tuple[int, int]],
    big_h: int,
) -> Hints:
    """(a, x, n, load) hints of even loads laid over the groups north-west-corner style."""
    n_groups = len(size)
    # Start from even loads laid over the groups north-west-corner style; the pieces of that
    # path fall into blocks wherever a group and a cadre end together. When households must be
    # left out, leave out first the few that make a group a whole number of cadres' loads, and
    # lay those groups first, so that each becomes a block of its own.
    start = start_loads(usable, cover)
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
    pieces = north_west([trimmed[g] for g in order], start)
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
    return hint_a, hint_x, hint_n, hint_l


def _hint_from(
    start: Mapping[int, int],
    comp: Component,
    usable: Sequence[CadreState],
    groups: Sequence[int],
    tkeys: Sequence[tuple[int, int]],
    members: Mapping[int, list[int]],
) -> Hints:
    """(a, x, n, load) hints of an answer in hand: its blocks are the connected parts of its
    (group, cadre) support, each led by its first group in ``groups`` order."""
    index = {g: i for i, g in enumerate(groups)}
    group_of = {f.id: index[f.group_id] for f in comp.free}
    parent = list(range(len(groups)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    held: dict[int, set[int]] = defaultdict(set)
    load_of: dict[int, int] = defaultdict(int)
    count: dict[int, int] = defaultdict(int)
    for hid, cid in start.items():
        held[cid].add(group_of[hid])
        load_of[cid] += 1
        count[group_of[hid]] += 1
    for gs in held.values():
        first, *rest = sorted(gs)
        for g in rest:
            a, b = find(first), find(g)
            if a != b:
                parent[max(a, b)] = min(a, b)  # the root stays the least index: the leader
    hint_a: dict[tuple[int, int], int] = {}
    hint_x: dict[tuple[int, int], int] = {}
    for g, k in count.items():
        hint_a[g, find(g)] = 1
        hint_x[g, find(g)] = k
    type_of = {c.id: tkeys.index((c.lo, c.hi)) for c in usable}
    hint_n: dict[tuple[int, int], int] = defaultdict(int)
    hint_l: dict[tuple[int, int], int] = defaultdict(int)
    for cid, gs in held.items():
        key = (find(min(gs)), type_of[cid])
        hint_n[key] += 1
        hint_l[key] += load_of[cid]
    return hint_a, hint_x, hint_n, hint_l
