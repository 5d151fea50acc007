"""Lexicographic stages on one CP-SAT model: each tier is minimised, then pinned.

Every CP-SAT call gets two limits: the component's deterministic time (so equal inputs give
equal outputs on a quiet machine and a busy one) and the wall-clock seconds left before the
component's deadline (so the run as a whole ends in time). Deterministic time is counted
mostly in search and LP; presolve, loading the model and completing a hint are counted
little or not at all, so on the per-cadre model one deterministic second cost 3–4 CPU
seconds here, and more wall seconds on a shared machine. Only the wall-clock limit bounds
that.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable

from ortools.sat.python import cp_model, cp_model_helper

from .records import Cancelled

# A CP-SAT call with less wall time than this cannot even load the model: it is not started,
# and the current solution stands.
MIN_STAGE_SECONDS = 0.05
# How often should_stop() is asked while CP-SAT searches (a cancel takes effect within it).
POLL_SECONDS = 0.2


class Stages:
    """Runs lexicographic stages on one CP-SAT model, carrying each solution over as a hint.

    ``start``, when given, is a complete feasible solution (a value per variable, in index
    order): every stage then has an answer to stand on even if CP-SAT finds nothing in time.
    """

    def __init__(
        self,
        model: cp_model.CpModel,
        budget: float,
        n_stages: int,
        *,
        deadline: float | None = None,
        stop: Callable[[], bool] | None = None,
        start: list[int] | None = None,
    ) -> None:
        self.model = model
        self.budget = budget
        self.left = n_stages
        self.deadline = deadline
        self.stop = stop
        self.solution: list[int] | None = start
        self.gaps: dict[str, int | None] = {}
        self.optimal = True
        self.timed_out = False
        self.seconds = 0.0
        if start is not None:
            self._hint()

    def run(self, tier: str, objective: cp_model.LinearExprT, *, relative_gap: float = 0.0) -> bool:
        """Minimise ``objective``, then pin it to the value found. False if nothing new was
        found (the current solution, if any, then stands and pins the tier)."""
        model = self.model
        model.minimize(objective)
        # Unused budget, deterministic and wall-clock, flows on to the later stages.
        limit = self.budget / max(1, self.left)
        wall = None
        if self.deadline is not None:
            wall = (self.deadline - time.monotonic()) / max(1, self.left)
        self.left -= 1
        if wall is not None and wall < MIN_STAGE_SECONDS:
            self.timed_out = True
            return self._keep(tier, objective)
        solver = cp_model.CpSolver()
        # One worker: equal inputs give equal outputs while the deterministic limit binds.
        solver.parameters.num_workers = 1
        solver.parameters.max_deterministic_time = max(limit, 0.05)
        if wall is not None:
            solver.parameters.max_time_in_seconds = wall
        solver.parameters.relative_gap_limit = relative_gap
        status = _solve(solver, model, self.stop)
        self.seconds += solver.wall_time
        spent = solver.response_proto.deterministic_time
        self.budget -= spent
        if wall is not None and status != cp_model.OPTIMAL and spent < 0.95 * limit:
            # Stopped unproven before its deterministic limit: the clock stopped it.
            self.timed_out = True
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return self._keep(tier, objective)
        value = round(solver.objective_value)
        # CP-SAT says OPTIMAL when it stops at the gap limit too: trust the numbers instead.
        gap = max(0, value - math.ceil(solver.best_objective_bound - 1e-6))
        self.gaps[tier] = gap
        self.optimal = self.optimal and gap == 0
        model.add(objective <= value)
        self.solution = list(solver.response_proto.solution)
        self._hint()
        return True

    def _keep(self, tier: str, objective: cp_model.LinearExprT) -> bool:
        # No improvement found in time: this tier is unproven and we know no useful bound.
        # The current solution stands, and its value is pinned so that a later tier cannot
        # buy its own improvement with this one.
        self.optimal = False
        self.gaps[tier] = None
        if self.solution is not None:
            self.model.add(objective <= self.evaluate(objective))
        return False

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

    def evaluate(self, expr: cp_model.LinearExprT) -> int:
        """The value of a linear expression on the current solution."""
        assert self.solution is not None
        if not isinstance(expr, cp_model.LinearExpr):
            return int(expr)  # a constant, e.g. the sum of no terms
        flat = cp_model_helper.FlatIntExpr(expr)
        solution = self.solution
        return flat.offset + sum(
            c * solution[v.index] for v, c in zip(flat.vars, flat.coeffs, strict=True)
        )


def complete_hint(
    model: cp_model.CpModel, deadline: float | None, stop: Callable[[], bool] | None
) -> list[int] | None:
    """A value for every variable from the model's hint (those hinted held fixed), or None.

    A stage with a small limit can spend all of it in presolve before it tries the hint;
    given the completed hint as its start instead, it has an answer to stand on at once.
    """
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.fix_variables_to_their_hinted_value = True
    solver.parameters.max_deterministic_time = 1.0
    if deadline is not None:
        wall = deadline - time.monotonic()
        if wall < MIN_STAGE_SECONDS:
            return None
        solver.parameters.max_time_in_seconds = wall
    status = _solve(solver, model, stop)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return list(solver.response_proto.solution)


def _solve(
    solver: cp_model.CpSolver, model: cp_model.CpModel, stop: Callable[[], bool] | None
) -> cp_model.CpSolverStatus:
    """``solver.solve(model)``, asking ``stop()`` every POLL_SECONDS meanwhile.

    CP-SAT releases the GIL while it searches, so it runs in a helper thread and ``stop()`` is
    asked in the calling thread (it may read the database, whose connection is per thread).
    When it answers True the search is stopped and Cancelled raised.
    """
    if stop is None:
        return solver.solve(model)
    if stop():
        raise Cancelled
    done = threading.Event()
    answer: list[cp_model.CpSolverStatus] = []
    failure: list[BaseException] = []

    def search() -> None:
        try:
            answer.append(solver.solve(model))
        except BaseException as exc:  # re-raised in the calling thread
            failure.append(exc)
        finally:
            done.set()

    worker = threading.Thread(target=search, name="cp-sat", daemon=True)
    worker.start()
    cancelled = False
    while not done.wait(POLL_SECONDS):
        if stop():
            cancelled = True
            solver.stop_search()
            break
    worker.join()
    if failure:
        raise failure[0]
    if cancelled:
        raise Cancelled
    return answer[0]
