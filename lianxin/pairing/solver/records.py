"""The solver's records: what the caller passes in, what it gets back, and the internal
records of one component (picklable, so components can be solved in worker processes)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple


@dataclass(frozen=True, slots=True)
class Household:
    """A household that policy says must be covered."""

    id: int
    group_id: int
    village_id: int


@dataclass(frozen=True, slots=True)
class Cadre:
    """An eligible, active cadre; pass only those who may be paired."""

    id: int
    unit_id: int
    min_load: int
    max_load: int


@dataclass(frozen=True, slots=True)
class Zone:
    """A unit's responsibility zone (责任区): the villages its cadres may pair inside."""

    unit_id: int
    village_ids: tuple[int, ...]

    def __post_init__(self) -> None:
        # Callers naturally pass lists or sets; a sorted tuple keeps the record hashable and
        # iteration order (hence the output) independent of how it was built.
        object.__setattr__(self, "village_ids", tuple(sorted(set(self.village_ids))))


@dataclass(frozen=True, slots=True)
class Existing:
    """A current pairing. ``unit_id`` is the cadre's unit, needed only if the cadre has left
    (then the households should stay with that unit); it may be omitted otherwise."""

    household_id: int
    cadre_id: int
    locked: bool = False
    unit_id: int | None = None


@dataclass(frozen=True, slots=True)
class Instance:
    households: Sequence[Household]
    cadres: Sequence[Cadre]
    zones: Sequence[Zone]
    existing: Sequence[Existing] = ()
    keep_groups_together: bool = True
    names: Mapping[int, str] = field(default_factory=dict)  # village id → name, for messages


EndReason = Literal["cadre_gone", "household_gone", "out_of_zone", "over_max_load"]
END_REASON_ZH: dict[str, str] = {
    "cadre_gone": "干部已不在岗",
    "household_gone": "该户无需覆盖",
    "out_of_zone": "该户不在本单位责任区",
    "over_max_load": "干部结对户数超过上限",
}
Status = Literal["OPTIMAL", "FEASIBLE"]
TIERS = (
    "uncovered",
    "cross_unit",
    "idle_cadres",
    "min_load_deficit",
    "split_pieces",
    "load_squares",
)
# The tiers as the preview names them when one is not proved optimal.
TIER_ZH: dict[str, str] = {
    "uncovered": "覆盖",
    "cross_unit": "留在原单位",
    "idle_cadres": "干部都有联系户",
    "min_load_deficit": "最少联系户数",
    "split_pieces": "同组户由同一干部联系",
    "load_squares": "户数均衡",
}


class Cancelled(Exception):
    """``should_stop()`` answered True: the solve was abandoned and nothing is returned."""


class Pair(NamedTuple):
    # A named tuple, not a dataclass: a first run makes 230,000 of them, three times faster.
    household_id: int
    cadre_id: int


@dataclass(frozen=True, slots=True)
class Ended:
    household_id: int
    cadre_id: int
    locked: bool
    reason: EndReason


@dataclass(frozen=True, slots=True)
class Shortfall:
    """Households a zone cannot cover, and what would fix it.

    ``unit_ids`` is empty for villages in no unit's zone; it has several units only when zones
    overlap. ``cadres_missing`` assumes new cadres at the unit's typical (median) max_load;
    ``max_load_needed`` is the smallest common max_load that lets the current cadres cover
    every household (None when there are no cadres to raise).
    """

    unit_ids: tuple[int, ...]
    village_ids: tuple[int, ...]
    households_needing: int
    capacity: int
    uncovered: int
    cadres_missing: int | None
    max_load_needed: int | None
    message_zh: str


@dataclass(frozen=True, slots=True, order=True)
class Objective:
    """The lexicographic objective; field order is priority order (smaller is better)."""

    uncovered: int
    cross_unit: int
    idle_cadres: int
    min_load_deficit: int
    split_pieces: int
    load_squares: int

    def as_tuple(self) -> tuple[int, int, int, int, int, int]:
        return (
            self.uncovered,
            self.cross_unit,
            self.idle_cadres,
            self.min_load_deficit,
            self.split_pieces,
            self.load_squares,
        )


@dataclass(frozen=True, slots=True)
class UnitStats:
    unit_id: int
    cadres: int
    households: int
    load_min: int
    load_max: int
    load_spread: int
    groups_split: int  # groups held by more than one of this unit's cadres
    split_pieces: int  # Σ over those groups of (cadres − 1)
    idle_cadres: tuple[int, ...]
    below_min: tuple[int, ...]
    over_max: tuple[int, ...]  # only locked pairings can leave a cadre over max_load
    status: Status


@dataclass(slots=True)
class Solution:
    assignment: dict[int, int]  # household id → cadre id, every covered household
    kept: list[Pair]
    new: list[Pair]
    ended: list[Ended]
    uncovered: list[int]
    shortfalls: list[Shortfall]
    units: dict[int, UnitStats]
    objective: Objective
    # Proven lower bounds, tier by tier; equal to ``objective`` wherever status is OPTIMAL.
    # A tier's bound is relative to the values fixed for the tiers above it.
    bound: Objective
    status: Status
    solver_seconds: float  # inside CP-SAT and max-flow only
    wall_seconds: float
    locked_out_of_zone: list[int]  # households kept by a locked pairing outside the zone
    components: int
    # One per component that had households to place, in component order.
    outcomes: list[ComponentOutcome] = field(default_factory=list)
    deadline_hit: bool = False  # the wall-clock deadline cut the search short somewhere


@dataclass(frozen=True, slots=True)
class ComponentOutcome:
    """How far one component's answer was proved, for the run's report."""

    index: int
    unit_ids: tuple[int, ...]
    households: int  # free households it had to place
    status: Status
    unproven: tuple[str, ...]  # tiers (TIERS names) not proved optimal, in priority order
    reached: bool  # False: the deadline had passed, the first feasible answer stands
    timed_out: bool  # the wall-clock deadline stopped a CP-SAT stage before its own limit
    seconds: float  # wall seconds spent on it


@dataclass(slots=True)
class CadreState:
    id: int
    unit_id: int
    lo: int
    hi: int
    kept: int  # households kept from existing pairings

    @property
    def residual(self) -> int:
        return max(0, self.hi - self.kept)

    @property
    def need(self) -> int:
        """Households still wanted to reach min_load."""
        return max(0, min(self.lo, self.hi) - self.kept)


@dataclass(slots=True)
class Free:
    id: int
    group_id: int
    village_id: int
    prev_unit: int | None  # unit that held it and whose zone holds the village, if any


@dataclass(slots=True)
class FlowAnswer:
    """The min-cost flow's answer for one component (min_cost.py)."""

    assignment: dict[int, int]  # household id → cadre id, ``cover`` of them
    cover: int  # the max-flow optimum: most free households the component can place
    squares: int  # Σ load² of the flow's loads: the least any answer with tiers 1–4 has
    split_bound: int  # split pieces no answer covering ``cover`` households can go below
    seconds: float
    arcs: int


@dataclass(slots=True)
class Component:
    index: int
    unit_ids: tuple[int, ...]
    zone: dict[int, frozenset[int]]
    cadres: list[CadreState]
    free: list[Free]
    kept_groups: dict[int, frozenset[int]]  # cadre id → groups it already holds
    kept_holders: dict[int, int]  # group id → distinct cadres holding it by kept pairings
    keep_groups_together: bool
    time_limit: float  # CP-SAT deterministic seconds: its share of the run's (dispatch.py)
    relative_gap: float
    # time.monotonic() by which this component should be done (its share of the run's
    # deadline, set when it is dispatched); None: only the deterministic limit applies.
    deadline: float | None = None
    # Set before the search (dispatch.py): the flow answer, and the answer CP-SAT starts from.
    flow: FlowAnswer | None = None
    start: dict[int, int] | None = None
    # Σ load² no answer with the start's splits goes below, when known (min_cost.fill_by_groups)
    start_squares: int | None = None


@dataclass(slots=True)
class Result:
    index: int
    assignment: dict[int, int]
    gaps: dict[str, int | None]  # tier → value − bound, None when no bound is known
    optimal: bool
    solver_seconds: float
    reached: bool = True  # False: answered by the first feasible assignment alone
    timed_out: bool = False  # a stage stopped at the wall-clock deadline
    wall_seconds: float = 0.0
