"""Solving the components: one after another or in worker processes, each within its share of
the run's deadline, with ``should_stop`` asked between components and during CP-SAT's search.

A component's share of the time left is in proportion to its free households (its model's
size), so unused time flows on to the components after it. When the deadline has passed, a
component still gets its first feasible assignment (closed_forms.first_fill), which already
has optimal coverage (first_fill.py); its other tiers are then reported unproven.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from .block_model import solve_blocks
from .closed_forms import idle_and_deficit, least_squares, max_coverage
from .first_fill import first_fill, tiers
from .flow_model import solve_flow
from .records import CadreState, Cancelled, Component, Result
from .stages import MIN_STAGE_SECONDS, POLL_SECONDS

Stop = Callable[[], bool]


def solve_components(
    todo: Sequence[Component],
    *,
    workers: int,
    deadline: float | None,
    should_stop: Stop | None,
    progress: Callable[[int, int], None] | None,
) -> list[Result]:
    """Each component's Result (in completion order); raises Cancelled on should_stop()."""
    if workers > 1 and len(todo) > 1:
        return _in_processes(todo, workers, deadline, should_stop, progress)
    results: list[Result] = []
    remaining = sum(_weight(c) for c in todo)
    for done, comp in enumerate(todo, 1):
        if should_stop is not None and should_stop():
            raise Cancelled
        comp.deadline = _share(comp, deadline, remaining, 1)
        remaining -= _weight(comp)
        results.append(solve_component(comp, should_stop))
        if progress:
            progress(done, len(todo))
    return results


def _weight(comp: Component) -> int:
    return max(1, len(comp.free))


def _share(comp: Component, deadline: float | None, remaining: int, slots: int) -> float | None:
    """The time.monotonic() by which ``comp`` should be done: its part of the time left."""
    if deadline is None:
        return None
    now = time.monotonic()
    left = deadline - now
    return now + min(left, left * slots * _weight(comp) / max(1, remaining))


# Set in each worker process: the parent sets it to stop every child's search.
_STOP_EVENT: Any = None


def _child_init(event: Any) -> None:
    global _STOP_EVENT
    _STOP_EVENT = event


def _child_solve(comp: Component) -> Result:
    return solve_component(comp, _STOP_EVENT.is_set if _STOP_EVENT is not None else None)


def _in_processes(
    todo: Sequence[Component],
    workers: int,
    deadline: float | None,
    should_stop: Stop | None,
    progress: Callable[[int, int], None] | None,
) -> list[Result]:
    # Components go out one at a time as workers free up, so each share is reckoned from the
    # time actually left. time.monotonic() is one clock for every process of the machine.
    context = multiprocessing.get_context()
    event = context.Event()
    pending = list(todo)
    remaining = sum(_weight(c) for c in todo)
    results: list[Result] = []
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_child_init, initargs=(event,)
    ) as pool:
        running: dict[Future[Result], Component] = {}

        def submit() -> None:
            nonlocal remaining
            comp = pending.pop(0)
            comp.deadline = _share(comp, deadline, remaining, workers)
            remaining -= _weight(comp)
            running[pool.submit(_child_solve, comp)] = comp

        while pending and len(running) < workers:
            submit()
        try:
            while running:
                finished, _ = wait(running, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
                if should_stop is not None and should_stop():
                    raise Cancelled
                for fut in finished:
                    del running[fut]
                    results.append(fut.result())
                    if progress:
                        progress(len(results), len(todo))
                    if pending:
                        submit()
        except BaseException:
            # Stop the children's searches; leaving the pool waits for them (within a poll).
            event.set()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return results


def solve_component(comp: Component, stop: Stop | None = None) -> Result:
    """The best answer for one component that its deadline allows."""
    started = time.monotonic()
    usable = [c for c in comp.cadres if c.residual > 0]
    cover, flow_seconds = max_coverage(comp, usable)
    if cover == 0:
        return Result(comp.index, {}, {}, True, flow_seconds)
    first = first_fill(comp, usable, cover)
    result: Result | None = None
    timed_out = not _time_left(comp)
    reached = not timed_out
    if reached:
        fresh = all(c.kept == 0 for c in comp.cadres)
        if comp.keep_groups_together and len(comp.unit_ids) == 1 and fresh:
            result = solve_blocks(comp, usable, cover, stop)
            timed_out = not _time_left(comp)
        if result is None and not timed_out:
            result = solve_flow(comp, usable, cover, first, stop)
    if result is None:
        result = first_only(comp, usable, cover, first, reached=reached)
    result.solver_seconds += flow_seconds
    result.wall_seconds = time.monotonic() - started
    return result


def _time_left(comp: Component) -> bool:
    return comp.deadline is None or comp.deadline - time.monotonic() >= MIN_STAGE_SECONDS


def first_only(
    comp: Component,
    usable: Sequence[CadreState],
    cover: int,
    assignment: dict[int, int],
    *,
    reached: bool,
) -> Result:
    """The first feasible assignment as the component's answer, with what can be proved of
    it: each tier's value against a bound known without search (coverage is the max-flow
    optimum; a single unit's idle cadres and deficit their closed forms; splits at least 0;
    Σ load² at least its even split)."""
    idle, deficit, splits, squares = tiers(comp, usable, assignment)
    single = len(comp.unit_ids) == 1
    if single:
        idle_bound, deficit_bound = idle_and_deficit(usable, cover)
    else:
        idle_bound = deficit_bound = 0
    gaps: dict[str, int | None] = {
        "uncovered": 0,
        # One unit: a household can only stay with it. Several: unknown without search.
        "cross_unit": 0 if single or all(f.prev_unit is None for f in comp.free) else None,
        "idle_cadres": idle - idle_bound,
        "min_load_deficit": deficit - deficit_bound,
        "split_pieces": splits if comp.keep_groups_together else None,
        "load_squares": squares - least_squares(usable, cover),
    }
    # A bound known without search holds whatever the tiers above were fixed to, as the
    # stages' bounds do (records.Solution.bound).
    optimal = all(
        v == 0 for k, v in gaps.items() if k != "split_pieces" or comp.keep_groups_together
    )
    return Result(comp.index, assignment, gaps, optimal, 0.0, reached=reached, timed_out=True)
