"""Lexicographic stages on one CP-SAT model: each tier is minimised, then pinned."""

from __future__ import annotations

import math
from collections.abc import Iterable

from ortools.sat.python import cp_model


class Stages:
    """Runs lexicographic stages on one CP-SAT model, carrying each solution over as a hint."""

    def __init__(self, model: cp_model.CpModel, budget: float, n_stages: int) -> None:
        self.model = model
        self.budget = budget
        self.left = n_stages
        self.solution: list[int] | None = None
        self.gaps: dict[str, int | None] = {}
        self.optimal = True
        self.seconds = 0.0

    def run(self, tier: str, objective: cp_model.LinearExprT, *, relative_gap: float = 0.0) -> bool:
        """Minimise ``objective``, then pin it to the value found. False if nothing was found."""
        model = self.model
        model.minimize(objective)
        solver = cp_model.CpSolver()
        # One worker and a deterministic limit: equal inputs give equal outputs, and a
        # component never depends on how busy the machine is. Unused budget flows on.
        limit = self.budget / max(1, self.left)
        self.left -= 1
        solver.parameters.num_workers = 1
        solver.parameters.max_deterministic_time = max(limit, 0.05)
        solver.parameters.relative_gap_limit = relative_gap
        status = solver.solve(model)
        self.seconds += solver.wall_time
        self.budget -= solver.response_proto.deterministic_time
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            # No improvement found in time: the previous stage's solution (still the hint)
            # stands; this tier is unproven and we know no useful bound for it.
            self.optimal = False
            self.gaps[tier] = None
            return False
        value = round(solver.objective_value)
        # CP-SAT says OPTIMAL when it stops at the gap limit too: trust the numbers instead.
        gap = max(0, value - math.ceil(solver.best_objective_bound - 1e-6))
        self.gaps[tier] = gap
        self.optimal = self.optimal and gap == 0
        model.add(objective <= value)
        self.solution = list(solver.response_proto.solution)
        self._hint()
        return True

    def settle(self, values: Iterable[tuple[cp_model.IntVar, int]]) -> None:
        """Overwrite some values of the current solution, still feasible, before the next stage.

        Variables only bounded from below (the Σ load² terms) come back at arbitrary values from
        stages that did not minimise them; starting the next stage from their true values saves
        it the time to find that out.
        """
        if self.solution is None:
            return
        for var, v in values:
            self.solution[var.index] = v
        self._hint()

    def _hint(self) -> None:
        # The next stage starts from this complete solution, so it is feasible at once.
        assert self.solution is not None
        self.model.clear_hints()
        for i, v in enumerate(self.solution):
            self.model.add_hint(self.model.get_int_var_from_proto_index(i), v)

    def value(self, var: cp_model.IntVar) -> int:
        assert self.solution is not None
        return self.solution[var.index]
