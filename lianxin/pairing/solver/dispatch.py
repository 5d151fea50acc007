"""Solving the components: the flow answer of every component first, then CP-SAT on those
whose splits it may improve, one after another or in worker processes, each within its share
of the run's CP-SAT budget and of its deadline, with ``should_stop`` asked between components
and during CP-SAT's search.

*The flow answer* (min_cost.py) takes milliseconds per component and proves coverage,
released households' units, idle cadres and deficit, and Σ load² as far as splits are not
considered; in a single unit its rival is min_cost.fill_by_groups (every group its own
block) where that applies, else first_fill.py's groups-kept-whole fill, and the
lexicographically better one is the *start*. A component whose start is proved in every tier
(splits at their bound, Σ load² at the flow's or the closed form's) needs no search.

*The CP-SAT budget* (``time_limit``, deterministic seconds for the run) goes to the others
in order of how many splits they may save (the start's splits above their bound, plus one), in
proportion to it, at least MIN_SHARE each while it lasts; a component left without a share
keeps its start. Shares are reckoned before any search, from counts only, so the answer does
not depend on the order components finish in or on the number of workers.

*The deadline*: a component's share of the time left is in proportion to its free households
(its model's size), so unused time flows on to the components after it. When the deadline has
passed, a component keeps its start (coverage, idle cadres and deficit still optimal); its
unproven tiers are reported.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from .block_model import solve_blocks
from .closed_forms import idle_and_deficit, least_squares, max_coverage
from .first_fill import fill_packed, first_fill, tiers
from .flow_model import solve_flow
from .min_cost import fill_by_groups, solve_min_cost
from .records import CadreState, Cancelled, Component, FlowAnswer, Result
from .stages import MIN_STAGE_SECONDS, POLL_SECONDS

Stop = Callable[[], bool]

# Less deterministic time than this does not get a CP-SAT model loaded and searched.
MIN_SHARE = 0.1


def solve_components(
    todo: Sequence[Component],
    *,
    workers: int,
    time_limit: float,
    deadline: float | None,
    should_stop: Stop | None,
    progress: Callable[[int, int], None] | None,
) -> list[Result]:
    """Each component's Result (in completion order); raises Cancelled on should_stop()."""
    results: list[Result] = []
    search: list[tuple[Component, int]] = []  # (component, splits it may save)

    def finish(result: Result) -> None:
        results.append(result)
        if progress:
            progress(len(results), len(todo))

    prepared: dict[int, Result] = {}
    for comp in todo:
        if should_stop is not None and should_stop():
            raise Cancelled
        started = time.monotonic()
        settled = _prepare(comp)
        if settled is None:
            search.append((comp, len(comp.free) + 1))  # the flow did not fit: CP-SAT stages
            continue
        settled.wall_seconds = time.monotonic() - started
        if settled.optimal:
            finish(settled)
            continue
        prepared[comp.index] = settled
        # Splits it may save; one more so that evenness alone also earns a share.
        search.append((comp, (settled.gaps.get("split_pieces") or 0) + 1))
    # The budget in order of what may be saved (then component order), before any search.
    left = time_limit
    rest = sum(gap for _, gap in search)
    shared: list[Component] = []
    for comp, gap in sorted(search, key=lambda cg: (-cg[1], cg[0].index)):
        share = left * gap / rest if rest else 0.0
        share = min(left, max(share, MIN_SHARE))
        rest -= gap
        left -= share
        comp.time_limit = share if share >= MIN_SHARE else 0.0
        shared.append(comp)
    shared.sort(key=lambda c: c.index)
    for comp in shared:
        if comp.time_limit == 0.0 and comp.flow is not None:
            finish(_keep_start(comp, prepared[comp.index], reached=False))
    searched = [c for c in shared if c.time_limit > 0.0 or c.flow is None]
    if workers > 1 and len(searched) > 1:
        _in_processes(searched, workers, deadline, should_stop, finish)
        return results
    remaining = sum(_weight(c) for c in searched)
    for comp in searched:
        if should_stop is not None and should_stop():
            raise Cancelled
        comp.deadline = _share(comp, deadline, remaining, 1)
        remaining -= _weight(comp)
        finish(solve_component(comp, should_stop))
    return results


def _prepare(comp: Component) -> Result | None:
    """Sets the component's flow answer and start; what is proved of the start (None when
    the flow's weights would not fit in int64)."""
    usable = [c for c in comp.cadres if c.residual > 0]
    answer = solve_min_cost(comp, usable)
    if answer is None:
        return None
    comp.flow = answer
    if answer.cover == 0:
        comp.start = {}
        return Result(comp.index, {}, {}, True, answer.seconds)
    start = answer.assignment
    start_tiers = tiers(comp, usable, start)
    if len(comp.unit_ids) == 1 and comp.keep_groups_together:
        # Groups kept whole where a cadre has room, loads then less even: splits rank first.
        by_groups = fill_by_groups(comp, usable, answer.cover)
        if by_groups is not None:
            # Every tier proved where it applies: nothing else to try.
            packed, comp.start_squares = by_groups
        else:
            packed = fill_packed(comp, usable, answer.cover)
        packed_tiers = tiers(comp, usable, packed)
        if packed_tiers < start_tiers:
            start, start_tiers = packed, packed_tiers
        else:
            comp.start_squares = None
    comp.start = start
    return _settle(comp, answer, start_tiers, None, None)


def _keep_start(comp: Component, settled: Result | None = None, *, reached: bool) -> Result:
    """The start as the component's answer (``settled``: what _prepare proved of it)."""
    if settled is None:
        assert comp.flow is not None and comp.start is not None
        usable = [c for c in comp.cadres if c.residual > 0]
        settled = _settle(comp, comp.flow, tiers(comp, usable, comp.start), None, None)
    settled.assignment = comp.start or {}
    settled.reached = reached
    settled.timed_out = not reached and comp.deadline is not None
    return settled


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
    finish: Callable[[Result], None],
) -> None:
    # Components go out one at a time as workers free up, so each share is reckoned from the
    # time actually left. time.monotonic() is one clock for every process of the machine.
    context = multiprocessing.get_context()
    event = context.Event()
    pending = list(todo)
    remaining = sum(_weight(c) for c in todo)
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
                    finish(fut.result())
                    if pending:
                        submit()
        except BaseException:
            # Stop the children's searches; leaving the pool waits for them (within a poll).
            event.set()
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def solve_component(comp: Component, stop: Stop | None = None) -> Result:
    """The best answer for one component that its deadline allows: its start (the flow
    answer or its rival, set by solve_components), with fewer splits by CP-SAT while its
    share of the budget and of the time lasts."""
    started = time.monotonic()
    usable = [c for c in comp.cadres if c.residual > 0]
    if comp.flow is None:
        result = _solve_staged(comp, usable, stop)
    else:
        result = _improve(comp, usable, comp.flow, stop)
    result.wall_seconds = time.monotonic() - started
    return result


def _improve(
    comp: Component, usable: Sequence[CadreState], answer: FlowAnswer, stop: Stop | None
) -> Result:
    assert comp.start is not None
    start = comp.start
    if not _time_left(comp):
        return _keep_start(comp, reached=False)
    improved: Result | None
    fresh = all(c.kept == 0 for c in comp.cadres)
    if len(comp.unit_ids) == 1 and fresh:
        most = tiers(comp, usable, start)[2]
        improved = solve_blocks(comp, usable, answer.cover, stop, start=start, max_splits=most)
    else:
        improved = solve_flow(comp, usable, answer.cover, start, stop, pinned=True)
    result = _settle(
        comp,
        answer,
        tiers(comp, usable, start),
        improved,
        tiers(comp, usable, improved.assignment) if improved is not None else None,
    )
    result.timed_out = not _time_left(comp) or (improved is not None and improved.timed_out)
    return result


def _settle(
    comp: Component,
    answer: FlowAnswer,
    start_tiers: tuple[int, int, int, int],
    improved: Result | None,
    improved_tiers: tuple[int, int, int, int] | None,
) -> Result:
    """The better of the start and CP-SAT's answer, with what is proved of it: coverage,
    released households' units, idle cadres and deficit by the flow; splits at least the
    flow's counting bound or CP-SAT's; Σ load² at least the flow's (evenness before splits)
    or CP-SAT's bound given its splits."""
    assert comp.start is not None
    chosen, (_, _, splits, squares) = comp.start, start_tiers
    if improved is not None and improved_tiers is not None and improved_tiers < start_tiers:
        chosen, (_, _, splits, squares) = improved.assignment, improved_tiers
    split_low, squares_low = answer.split_bound, answer.squares
    if chosen is comp.start and comp.start_squares is not None:
        squares_low = max(squares_low, comp.start_squares)
    if improved is not None and improved_tiers is not None:
        found = improved_tiers
        gap = improved.gaps.get("split_pieces")
        if gap is not None:
            split_low = max(split_low, found[2] - gap)
        gap = improved.gaps.get("load_squares")
        # CP-SAT's bound on Σ load² holds for its own split count.
        if gap is not None and found[2] == splits:
            squares_low = max(squares_low, found[3] - gap)
    gaps: dict[str, int | None] = {
        "uncovered": 0,
        "cross_unit": 0,
        "idle_cadres": 0,
        "min_load_deficit": 0,
        "split_pieces": splits - split_low if comp.keep_groups_together else None,
        "load_squares": squares - squares_low,
    }
    optimal = all(
        v == 0 for k, v in gaps.items() if k != "split_pieces" or comp.keep_groups_together
    )
    seconds = answer.seconds + (improved.solver_seconds if improved is not None else 0.0)
    return Result(comp.index, chosen, gaps, optimal, seconds)


def _solve_staged(comp: Component, usable: Sequence[CadreState], stop: Stop | None) -> Result:
    """Every tier by CP-SAT stages, for a component whose flow weights would overflow int64."""
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
