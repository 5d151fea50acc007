"""Automatic cadre–household pairing (自动结对), solved exactly where it can be proved.

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
    Tiers are solved as successive CP-SAT stages; each stage's optimum is then imposed as a
    constraint on the next, so the order is strict without big weights.

Decomposition
    Units sharing a village are joined into a component (usually one unit); components are
    independent and solved one by one. Tiers 1, 3 and 4 have closed forms in a single-unit
    component (every cadre may take every free household there), and tier 1 is a max-flow in
    general; those values are imposed directly instead of being searched for.

Two CP-SAT formulations
    *Block model* — a single-unit component with no kept pairings (a first run). Any assignment
    can be rearranged, without changing loads or coverage, so that its (group, cadre) support is a
    forest (cancel cycles); a tree with g groups and c cadres has g + c − 1 pieces. So the model
    partitions groups into blocks (each led by its first group), gives each block n cadres per
    cadre type and load L, and counts splits as Σ n − #blocks. Within a block the load is split
    evenly, whose Σ load² is max_q (2q+1)·L − q(q+1)·n — linear in (L, n), exact at integers.
    With full coverage, a block needs at least Σ⌊s/H⌋ + [some residue ≠ 0] cadres (H the
    largest max_load); that cut gives the LP the counting bound that makes splits provable in
    well under a second, where the per-cadre model below stalls for minutes.
    *Flow model* — everything else (re-runs, multi-unit components): x[k,c] households of class
    k (group, village, former unit) to cadre c, y[g,c] = "c gets some of group g". Re-runs free
    few households, so this stays small.

Honesty
    Coverage, idle cadres and deficit are always proved optimal. Splits are a bin-packing of the
    groups' remainders (sizes mod max_load): proved in under a second when the counting bound is
    tight, which was about four units in five of a synthetic county; otherwise the best found
    is kept with its bound. Σ load² after optimal splits is again a partitioning problem and is
    seldom proved within the limit, though the solution is typically within 0.1 % of the bound.
    Any unproven tier makes its component FEASIBLE, and :attr:`Solution.bound` carries what was
    proved; :attr:`Solution.outcomes` names the unproven tiers of each component. CP-SAT runs
    single-threaded under a deterministic time limit, and households are handed out in sorted
    id order, so equal inputs give equal outputs on any machine load — unless the wall-clock
    ``deadline`` stops the search first (dispatch.py, stages.py).

Deadline
    Before any search, each component has a first feasible answer (first_fill.py) whose
    coverage is the max-flow optimum; the per-cadre model starts from it as a complete
    solution. A component the deadline reaches first keeps that answer; one whose search is
    cut short keeps the best found. So coverage is proved optimal whatever the budget.

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
