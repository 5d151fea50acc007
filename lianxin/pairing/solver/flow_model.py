"""The per-cadre (flow) CP-SAT model: re-runs and multi-unit components."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence

from ortools.sat.python import cp_model

from .closed_forms import idle_and_deficit, least_squares, north_west, sequential_fill, start_loads
from .records import CadreState, Component, Result
from .stages import Stages


def solve_flow(comp: Component, usable: Sequence[CadreState], cover: int) -> Result:
    """Per-cadre model: x[k,c] households of class k to cadre c, y[g,c] = c holds group g."""
    model = cp_model.CpModel()
    single_unit = len(comp.unit_ids) == 1
    classes: dict[tuple[int, int, int | None], list[int]] = defaultdict(list)
    for f in comp.free:
        # The former unit only matters where cadres of several units could take the household.
        key = (f.group_id, f.village_id, None if single_unit else f.prev_unit)
        classes[key].append(f.id)
    keys = sorted(classes, key=lambda k: (k[0], k[1], -1 if k[2] is None else k[2]))

    x: dict[tuple[int, int], cp_model.IntVar] = {}
    for ki, key in enumerate(keys):
        for ci, c in enumerate(usable):
            if key[1] in comp.zone[c.unit_id]:
                x[ki, ci] = model.new_int_var(0, min(len(classes[key]), c.residual), "")
    by_class: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    by_cadre: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for (ki, ci), var in x.items():
        by_class[ki].append(var)
        by_cadre[ci].append(var)
    for ki, vars_ in by_class.items():
        model.add(sum(vars_) <= len(classes[keys[ki]]))
    f_load: list[cp_model.IntVar] = []
    for ci, c in enumerate(usable):
        fv = model.new_int_var(0, c.residual, "")
        model.add(fv == sum(by_cadre.get(ci, [])))
        f_load.append(fv)
    model.add(sum(x.values()) == cover)

    # Fresh cadres of one unit with equal bounds are interchangeable: order their loads.
    twins: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for ci, c in enumerate(usable):
        if c.kept == 0:
            twins[c.unit_id, c.lo, c.hi].append(ci)
    for members in twins.values():
        for a, b in itertools.pairwise(members):
            model.add(f_load[a] >= f_load[b])

    stages: list[tuple[str, cp_model.LinearExprT]] = []

    # Tier 2: released households going to another unit than the one they came from.
    cross_terms = [
        var
        for (ki, ci), var in x.items()
        if keys[ki][2] is not None and usable[ci].unit_id != keys[ki][2]
    ]
    if cross_terms:
        stages.append(("cross_unit", sum(cross_terms)))

    # Tiers 3–4: idle cadres and min_load deficit.
    used = {ci: model.new_bool_var("") for ci, c in enumerate(usable) if c.kept == 0}
    for ci, u in used.items():
        model.add(f_load[ci] >= u)
    deficit = []
    for ci, c in enumerate(usable):
        if c.need > 0:
            d = model.new_int_var(0, c.need, "")
            model.add(d >= c.need - f_load[ci])
            deficit.append(d)
    idle_expr = len(used) - sum(used.values())
    if single_unit:
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
            yv = model.new_bool_var("")
            for ki, var in plist:
                model.add(var <= min(len(classes[keys[ki]]), usable[ci].residual) * yv)
            model.add(sum(v for _, v in plist) >= yv)
            y[g, ci] = yv
        ys_of: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        for (g, _), yv in y.items():
            ys_of[g].append(yv)
        splits = []
        for g, ys in sorted(ys_of.items()):
            # Non-negative per group, so the solver sees at once that 0 cannot be beaten.
            sv = model.new_int_var(0, len(ys), "")
            if comp.kept_holders.get(g, 0) == 0:
                # The first new holder of a group nobody holds yet is not a split.
                zv = model.new_bool_var("")
                model.add(zv <= sum(ys))
                model.add(sv == sum(ys) - zv)
            else:
                model.add(sv == sum(ys))
            splits.append(sv)
        stages.append(("split_pieces", sum(splits)))

    # Tier 6: Σ load², as tangents of L² at every integer the load can take (exact there).
    squares = []
    for ci, c in enumerate(usable):
        sq = model.new_int_var(0, max(c.hi, c.kept) ** 2, "")
        for load in range(c.kept, c.kept + c.residual):
            model.add(sq >= (2 * load + 1) * (c.kept + f_load[ci]) - load * (load + 1))
        squares.append(sq)
    # Redundant but valid: the LP relaxation of the tangents alone can sit well below it.
    model.add(sum(squares) >= least_squares(usable, cover))
    stages.append(("load_squares", sum(squares)))

    if single_unit:
        start = start_loads(usable, cover)
        sizes = [len(classes[k]) for k in keys]
        hinted: dict[tuple[int, int], int] = defaultdict(int)
        for ki, ci, amount in north_west(sizes, start):
            hinted[ki, ci] += amount
        for key_, var in x.items():
            model.add_hint(var, hinted.get(key_, 0))
        for ci, var in enumerate(f_load):
            model.add_hint(var, start[ci])
    runner = Stages(model, comp.time_limit, len(stages))
    for tier, expr in stages:
        if tier == "load_squares":
            runner.settle(
                (sq, (c.kept + runner.value(f_load[ci])) ** 2)
                for ci, (c, sq) in enumerate(zip(usable, squares, strict=True))
            )
        gap = comp.relative_gap if tier == "load_squares" else 0.0
        if not runner.run(tier, expr, relative_gap=gap) and runner.solution is None:
            # Not even a first solution in time (never seen in practice): fall back to a
            # plain sequential fill so coverage, the top tier, is still honoured.
            return Result(
                comp.index,
                sequential_fill(comp, usable, cover),
                {t: None for t, _ in stages},
                False,
                runner.seconds,
            )

    gaps = dict(runner.gaps)
    if "idle_deficit" in gaps:
        # One weighted stage decided both tiers; unless proven, neither has a separate bound.
        both = gaps.pop("idle_deficit")
        gaps["idle_cadres"] = gaps["min_load_deficit"] = 0 if both == 0 else None
    if not comp.keep_groups_together:
        gaps["split_pieces"] = None  # not optimised at all: no bound to claim

    counts: dict[tuple[int, int], int] = {}
    for (ki, ci), var in x.items():
        n = runner.value(var)
        if n:
            counts[ki, ci] = n
    assignment: dict[int, int] = {}
    for ki, key in enumerate(keys):
        ids = iter(classes[key])
        for ci, c in enumerate(usable):
            for _ in range(counts.get((ki, ci), 0)):
                assignment[next(ids)] = c.id
    return Result(comp.index, assignment, gaps, runner.optimal, runner.seconds)
