"""Automatic cadre–household pairing (自动结对): a min-cost flow for every tier it can express,
CP-SAT for fewer split groups within the run's budget, and what was proved said plainly.

Pure Python + OR-Tools; nothing here knows about Django. The caller passes plain records
(:class:`Instance`) and gets plain records back (:class:`Solution`).

What is fixed before any optimisation
    An existing pairing is *kept* when its cadre is still passed in and the household lies in a
    village of the cadre's unit's zone; a locked pairing is kept whenever its cadre and household
    are still passed in, even out of zone (an administrator pinned it). A cadre over ``max_load``
    releases only the excess, never locked households, starting with its smallest group
    fragments so that releasing also removes splits. Everything else that still needs a cadre is
    *free*. Stability follows: a re-run with nothing changed has no free households and changes
    nothing; a cadre who leaves frees only their own households; new households are free and
    nobody else moves.

What is optimised (lexicographically, over the free households only)
    1. uncovered households                       (coverage first)
    2. released households given to another unit  (they stay with their former cadre's unit)
    3. idle cadres (load 0), then 4. the ``min_load`` deficit  (the "two-way" side)
    5. split pieces: Σ over groups of (distinct cadres holding it − 1), kept pairings included
    6. Σ load² over cadres (a convex cost: with the total fixed it is least when loads are even)

Decomposition
    Units sharing a village are joined into a component (usually one unit); components are
    independent. Each is small enough for its lexicographic weights to fit in int64, and gets
    its own share of the CP-SAT budget and of the deadline; one flow over the whole scale-1
    county would need a cross-unit weight near 3·10¹⁵ per household, beyond int64 once times
    the flow and the solver's cost scaling.

The flow answer: tiers 1–4 and 6 as ONE min-cost flow (min_cost.py)
    source → household classes (group, village, former unit) → units whose zone holds the
    village → cadre types (equal bounds and kept load) → sink through one arc per level of
    load, whose cost is what that household adds: 2(kept+q)+1 to Σ load² (convex, so Σ load²
    is exact, each type's households split evenly), minus lexicographic weights for lifting a
    cadre off zero (idle) and towards min_load (deficit); a released household going to
    another unit costs a weight above both. Each weight exceeds everything the tiers below
    can change, checked against int64 (else the component falls back to the CP-SAT stages of
    every tier, dispatch._solve_staged). ``solve_max_flow_with_min_cost`` gives the most
    households coverable — a max flow, so tier 1 is proved — and among those the least cost:
    tiers 2–4 proved, and the least Σ load² before splits are considered, a lower bound on
    tier 6 whatever the splits. The scale-1 county's 115 flows (10,779 arcs) and their
    hand-out take about 0.6 s in all. The
    households are then handed to cadres at exactly those loads, group by group (more of a
    group to a cadre who holds it, exact fits, whole groups where they fit, the rest
    north-west). In a fresh single unit two closed forms rival it, kept when lexicographically
    better: *every group its own block* (when the cadres allow ⌈s/hi⌉ ≤ k_g ≤ ⌊s/lo⌋ per
    group: splits = cadres − groups, which nothing without idle cadres beats, and Σ load²
    then least by a greedy convex allocation — every tier proved without search), or, with
    capacity short, every cadre full with one group; otherwise first_fill.py's groups-whole
    fill.

Fewer splits by CP-SAT, within the budget (dispatch.py)
    Splits (tier 5) are a bin-packing of groups into loads, the one tier no flow expresses.
    A component whose start is not proved gets a share of the run's CP-SAT budget
    (``time_limit``, deterministic seconds for the whole run) in proportion to the splits it
    may save, and is searched from its start: the *block model* for a fresh single unit (any
    assignment rearranges, without changing loads or coverage, so that its (group, cadre)
    support is a forest; blocks of groups, n cadres per type and load L each, splits Σ n −
    #blocks, Σ load² of an even split max_q (2q+1)·L − q(q+1)·n; hinted with the start's
    blocks, never above its splits), the *per-cadre model* otherwise (x[k,c] households of
    class k to cadre c, y[g,c] = "c holds part of g"; started from the flow answer, tiers 2–4
    held at its values). Coverage is imposed, tiers 2–4 never worsen, and the better of start
    and search (lexicographically) stands: splits rank before evenness wherever proved.

Honesty
    Coverage, released households, idle cadres and deficit are always proved optimal (the
    flow). Splits are proved where the start meets a bound — ⌈s/H⌉ − 1 per group, less what
    households left out can spare, and cadres used − groups in a fresh component — or CP-SAT
    proves them; Σ load² is proved after proved splits by the closed form or CP-SAT, and is
    otherwise bounded below by the flow's (evenness with no split optimisation, which the
    flow answer itself meets). Any unproven tier makes its component FEASIBLE;
    :attr:`Solution.bound` carries what was proved and :attr:`Solution.outcomes` names the
    unproven tiers of each component. The flows and closed forms are deterministic; CP-SAT runs
    single-threaded under deterministic limits whose shares are fixed before any search, and
    households are handed out in sorted id order, so equal inputs give equal outputs on any
    machine load and any number of workers — unless the wall-clock ``deadline`` stops a
    search first (dispatch.py, stages.py).

Deadline
    The flow answer of every component comes before any search, so whatever the budget,
    coverage, idle cadres and deficit are proved optimal; a component the deadline reaches
    first keeps its start, one whose search is cut short the best found.

Note on the order of tiers
    Splits come before evenness, as policy asks ("as even as the groups allow"): a group of 20
    stays whole with one cadre even when the unit's others carry 38. ``min_load`` is the lever
    that ranks above splits: raising it makes the solver split groups to lift such cadres.
"""

from __future__ import annotations

from .pipeline import solve
from .records import (
    END_REASON_ZH,
    TIER_ZH,
    Cadre,
    Cancelled,
    ComponentOutcome,
    Ended,
    EndReason,
    Existing,
    Household,
    Instance,
    Objective,
    Pair,
    Shortfall,
    Solution,
    Status,
    UnitStats,
    Zone,
)
from .reports import evaluate

__all__ = [
    "END_REASON_ZH",
    "TIER_ZH",
    "Cadre",
    "Cancelled",
    "ComponentOutcome",
    "EndReason",
    "Ended",
    "Existing",
    "Household",
    "Instance",
    "Objective",
    "Pair",
    "Shortfall",
    "Solution",
    "Status",
    "UnitStats",
    "Zone",
    "evaluate",
    "solve",
]
