"""The per-cadre (flow) CP-SAT model: re-runs and multi-unit components.

The model starts from a complete feasible solution — every variable's value derived from the
first feasible assignment — so CP-SAT never spends its time completing a hint, and whatever
the deadline leaves, the answer is at least that assignment, with coverage optimal.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from .closed_forms import idle_and_deficit, least_squares
from .records import CadreState, Component, Result
from .stages import Stages

ClassKey = tuple[int, int, int | None]  # (group, village, former unit)


@dataclass(slots=True)
class FlowModel:
    """The model, its stages in priority order, and its starting solution."""

    model: cp_model.CpModel
    stages: list[tuple[str, cp_model.LinearExprT]]
    start: list[int]  # a value per variable, in index order: the first feasible assignment
    keys: list[ClassKey]
    classes: dict[ClassKey, list[int]]
    x: dict[tuple[int, int], cp_model.IntVar]
    f_load: list[cp_model.IntVar]
    squares: list[cp_model.IntVar]


class _Builder:
    """Makes variables and remembers each one's starting value."""

    def __init__(self) -> None:
        self.model = cp_model.CpModel()
        self.start: dict[int, int] = {}

    def int_var(self, lo: int, hi: int, value: int) -> cp_model.IntVar:
        var = self.model.new_int_var(lo, hi, "")
        self.start[var.index] = value
        return var

    def bool_var(self, value: bool) -> cp_model.IntVar:
        var = self.model.new_bool_var("")
        self.start[var.index] = int(value)
        return var


def build_flow(
    comp: Component,
    usable: Sequence[CadreState],
    cover: int,
    first: Mapping[int, int],
    *,
    pinned: bool = False,
) -> FlowModel:
    """Per-cadre model: x[k,c] households of class k to cadre c, y[g,c] = c holds group g.
    ``first`` is a feasible assignment of ``cover`` households (closed_forms.first_fill, or
    the flow answer). ``pinned``: ``first`` is optimal for tiers 2–4 (the flow answer), so
    they are held at its values instead of being searched."""
    b = _Builder()
    model = b.model
    single_unit = len(comp.unit_ids) == 1
    classes: dict[ClassKey, list[int]] = defaultdict(list)
    class_of: dict[int, ClassKey] = {}
    for f in comp.free:
        # The former unit only matters where cadres of several units could take the household.
        key = (f.group_id, f.village_id, None if single_unit else f.prev_unit)
        classes[key].append(f.id)
        class_of[f.id] = key
    keys = sorted(classes, key=lambda k: (k[0], k[1], -1 if k[2] is None else k[2]))
    index_of = {cid: ci for ci, cid in enumerate(c.id for c in usable)}
    key_index = {key: ki for ki, key in enumerate(keys)}
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for hid, cid in first.items():
        counts[key_index[class_of[hid]], index_of[cid]] += 1

    x: dict[tuple[int, int], cp_model.IntVar] = {}
    for ki, key in enumerate(keys):
        for ci, c in enumerate(usable):
            if key[1] in comp.zone[c.unit_id]:
                top = min(len(classes[key]), c.residual)
                x[ki, ci] = b.int_var(0, top, counts.get((ki, ci), 0))
    by_class: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    by_cadre: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for (ki, ci), var in x.items():
        by_class[ki].append(var)
        by_cadre[ci].append(var)
    for ki, vars_ in by_class.items():
        model.add(sum(vars_) <= len(classes[keys[ki]]))
    start_load = [0] * len(usable)
    for (_, ci), n in counts.items():
        start_load[ci] += n
    f_load: list[cp_model.IntVar] = []
    for ci, c in enumerate(usable):
        fv = b.int_var(0, c.residual, start_load[ci])
        model.add(fv == sum(by_cadre.get(ci, [])))
        f_load.append(fv)
    model.add(sum(x.values()) == cover)

    # Fresh cadres of one unit with equal bounds are interchangeable: order their loads.
    twins: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for ci, c in enumerate(usable):
        if c.kept == 0:
            twins[c.unit_id, c.lo, c.hi].append(ci)
    for members in twins.values():
        for a, b_ in itertools.pairwise(members):
            model.add(f_load[a] >= f_load[b_])

    stages: list[tuple[str, cp_model.LinearExprT]] = []

    # Tier 2: released households going to another unit than the one they came from.
    cross_terms = [
        var
        for (ki, ci), var in x.items()
        if keys[ki][2] is not None and usable[ci].unit_id != keys[ki][2]
    ]
    if cross_terms and pinned:
        start_cross = sum(
            n for (ki, ci), n in counts.items() if keys[ki][2] not in (None, usable[ci].unit_id)
        )
        model.add(sum(cross_terms) <= start_cross)
    elif cross_terms:
        stages.append(("cross_unit", sum(cross_terms)))

    # Tiers 3–4: idle cadres and min_load deficit.
    used = {ci: b.bool_var(start_load[ci] > 0) for ci, c in enumerate(usable) if c.kept == 0}
    for ci, u in used.items():
        model.add(f_load[ci] >= u)
    deficit = []
    for ci, c in enumerate(usable):
        if c.need > 0:
            d = b.int_var(0, c.need, max(0, c.need - start_load[ci]))
            model.add(d >= c.need - f_load[ci])
            deficit.append(d)
    idle_expr = len(used) - sum(used.values())
    if pinned:
        model.add(idle_expr <= sum(1 for ci in used if start_load[ci] == 0))
        model.add(
            sum(deficit) <= sum(max(0, c.need - start_load[ci]) for ci, c in enumerate(usable))
        )
    elif single_unit:
        # first_fill's loads reach these optima (closed_forms.start_loads).
        idle_opt, deficit_opt = idle_and_deficit(usable, cover)
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
            holds = any(counts.get((ki, ci), 0) for ki, _ in plist)
            yv = b.bool_var(holds)
            for ki, var in plist:
                model.add(var <= min(len(classes[keys[ki]]), usable[ci].residual) * yv)
            model.add(sum(v for _, v in plist) >= yv)
            y[g, ci] = yv
        ys_of: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        for (g, _), yv in y.items():
            ys_of[g].append(yv)
        splits = []
        for g, ys in sorted(ys_of.items()):
            holders = sum(b.start[yv.index] for yv in ys)
            # Non-negative per group, so the solver sees at once that 0 cannot be beaten.
            if comp.kept_holders.get(g, 0) == 0:
                # The first new holder of a group nobody holds yet is not a split.
                zv = b.bool_var(holders > 0)
                sv = b.int_var(0, len(ys), holders - (1 if holders else 0))
                model.add(zv <= sum(ys))
                model.add(sv == sum(ys) - zv)
            else:
                sv = b.int_var(0, len(ys), holders)
                model.add(sv == sum(ys))
            splits.append(sv)
        stages.append(("split_pieces", sum(splits)))

    # Tier 6: Σ load², as tangents of L² at every integer the load can take (exact there).
    squares = []
    for ci, c in enumerate(usable):
        sq = b.int_var(0, max(c.hi, c.kept) ** 2, (c.kept + start_load[ci]) ** 2)
        for load in range(c.kept, c.kept + c.residual):
            model.add(sq >= (2 * load + 1) * (c.kept + f_load[ci]) - load * (load + 1))
        squares.append(sq)
    # Redundant but valid: the LP relaxation of the tangents alone can sit well below it.
    model.add(sum(squares) >= least_squares(usable, cover))
    stages.append(("load_squares", sum(squares)))

    # CP-SAT adds a fixed variable of its own for some constants: its one value is its start.
    variables = model.proto.variables
    start = [b.start.get(i, variables[i].domain[0]) for i in range(len(variables))]
    return FlowModel(model, stages, start, keys, dict(classes), x, f_load, squares)


def solve_flow(
    comp: Component,
    usable: Sequence[CadreState],
    cover: int,
    first: Mapping[int, int],
    stop: Callable[[], bool] | None = None,
    *,
    pinned: bool = False,
) -> Result:
    """Run the model's stages from the first feasible assignment, within the component's
    deterministic limit and deadline; the best solution found stands."""
    fm = build_flow(comp, usable, cover, first, pinned=pinned)
    runner = Stages(
        fm.model,
        comp.time_limit,
        len(fm.stages),
        deadline=comp.deadline,
        stop=stop,
        start=fm.start,
    )
    for tier, expr in fm.stages:
        if tier == "load_squares":
            runner.settle(
                (sq, (c.kept + runner.value(fm.f_load[ci])) ** 2)
                for ci, (c, sq) in enumerate(zip(usable, fm.squares, strict=True))
            )
        gap = comp.relative_gap if tier == "load_squares" else 0.0
        runner.run(tier, expr, relative_gap=gap)

    gaps = dict(runner.gaps)
    if "idle_deficit" in gaps:
        # One weighted stage decided both tiers; unless proven, neither has a separate bound.
        both = gaps.pop("idle_deficit")
        gaps["idle_cadres"] = gaps["min_load_deficit"] = 0 if both == 0 else None
    if not comp.keep_groups_together:
        gaps["split_pieces"] = None  # not optimised at all: no bound to claim

    counts: dict[tuple[int, int], int] = {}
    for (ki, ci), var in fm.x.items():
        n = runner.value(var)
        if n:
            counts[ki, ci] = n
    assignment: dict[int, int] = {}
    for ki, key in enumerate(fm.keys):
        ids = iter(fm.classes[key])
        for ci, c in enumerate(usable):
            for _ in range(counts.get((ki, ci), 0)):
                assignment[next(ids)] = c.id
    gaps["uncovered"] = 0  # ``cover`` is the max-flow optimum, imposed as a constraint
    return Result(
        comp.index,
        assignment,
        gaps,
        runner.optimal,
        runner.seconds,
        timed_out=runner.timed_out,
    )
