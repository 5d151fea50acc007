"""Two-way full coverage (双向全覆盖): what is asked and the shapes of the answers.

Four figures, each "covered ÷ should be covered", for one user's scope on one day:

- households: households with a named cadre ÷ households the pairing policy says must be covered;
- cadres: cadres holding at least one household ÷ cadres eligible to take households;
- villages: villages/communities with a responsible unit (责任区) ÷ villages/communities;
- townships: townships with a city leader liaising ÷ townships.

Here: their definitions as the page, the API and the export state them, the query (day and
filters), and the ratios, loads and rows the computation (coverage.py) answers with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lianxin.core.models import today
from lianxin.geo.models import Region
from lianxin.lib.numbers import percent_text, percent_value
from lianxin.org.models import Unit
from lianxin.people.choices import HardshipKind

from .choices import Coverage as CoverageKind
from .models import PairingPolicy

# Shown beside every figure, on the page, in the API and in the export's notes sheet.
DEFINITIONS = {
    "households": "已有结对干部的户 ÷ 按结对规则须覆盖的户（结对干部已退出的，视为未结对）",
    "cadres": "已联系至少1户的干部 ÷ 可参与结对的在册干部（不含不参与结对的干部"
    "和按规则不承接户的市级领导）",
    "villages": "已有责任单位的村（社区） ÷ 村（社区）",
    "townships": "已有市级领导联系的乡镇（街道） ÷ 乡镇（街道）",
    "loads": "每名可参与结对干部当日联系的户数；超过上限、低于下限（已结对但不足最少户数）"
    "按单位的户数范围计算",
}

# Which definitions a list's export carries, under which short label.
_DEFINED_IN = {
    "households": ["households"],
    "cadres": ["cadres", "loads"],
    "villages": ["villages", "households"],
    "townships": ["townships", "households"],
    "regions": ["households", "villages", "townships"],
    "units": ["cadres", "loads", "households"],
}
_DEFINITION_LABELS = {
    "households": "户",
    "cadres": "干部",
    "villages": "村（社区）",
    "townships": "乡镇",
    "loads": "户数",
}


def definitions_for(name: str) -> dict[str, str]:
    """The definitions behind one list or table's figures, by short label."""
    return {_DEFINITION_LABELS[k]: DEFINITIONS[k] for k in _DEFINED_IN[name]}


# Which cadres a cadre list shows.
LOAD_NONE, LOAD_UNDER, LOAD_OVER = "none", "under", "over"
LOAD_CHOICES = {
    LOAD_NONE: "未联系户的干部",
    LOAD_UNDER: "联系户数低于下限的干部",
    LOAD_OVER: "联系户数超过上限的干部",
}


@dataclass(frozen=True)
class CoverageQuery:
    """The day and the narrowing filters of a coverage view (all already checked for scope)."""

    on: dt.date = field(default_factory=today)
    township: Region | None = None
    village: Region | None = None
    unit: Unit | None = None
    hardship_only: bool = False

    def describe(self) -> dict[str, str]:
        """Chinese labels of the filters in force, for headings, the audit row and the export."""
        out = {"on": self.on.isoformat()}
        if self.township:
            out["township"] = self.township.short_name
        if self.village:
            out["village"] = self.village.short_name
        if self.unit:
            out["unit"] = self.unit.name
        if self.hardship_only:
            out["hardship_only"] = "仅困难群众户"
        return out


@dataclass(frozen=True)
class Ratio:
    """`covered` of `total`; the rate is None when there is nothing to cover."""

    covered: int
    total: int

    @property
    def gaps(self) -> int:
        return self.total - self.covered

    @property
    def rate(self) -> float | None:
        return self.covered / self.total if self.total else None

    @property
    def percent(self) -> str:
        """One decimal, rounded down: a county with one gap never reads as 100%."""
        return percent_text(self.covered, self.total)

    @property
    def percent_value(self) -> float | None:
        """The same figure as a number (98.5 for 98.5%), for spreadsheets to sort on."""
        return percent_value(self.covered, self.total)

    @property
    def complete(self) -> bool:
        return self.covered == self.total

    def __add__(self, other: Ratio) -> Ratio:
        return Ratio(self.covered + other.covered, self.total + other.total)

    def as_dict(self) -> dict[str, Any]:
        return {
            "covered": self.covered,
            "total": self.total,
            "gaps": self.gaps,
            "rate": self.rate,
            "percent": self.percent,
        }


NONE = Ratio(0, 0)


@dataclass(frozen=True)
class Loads:
    """Households per eligible cadre over a set of cadres (zeros included in min and avg)."""

    cadres: int = 0
    paired: int = 0
    households: int = 0
    min: int | None = None
    max: int | None = None
    over_max: int = 0
    under_min: int = 0

    @property
    def avg(self) -> float | None:
        return round(self.households / self.cadres, 1) if self.cadres else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "cadres": self.cadres,
            "paired": self.paired,
            "households": self.households,
            "min": self.min,
            "max": self.max,
            "avg": self.avg,
            "over_max": self.over_max,
            "under_min": self.under_min,
        }


@dataclass(frozen=True)
class CoverageSummary:
    """The four layers of 双向全覆盖 and the cadres' loads, as the top of the page shows them."""

    on: dt.date
    policy: str
    households: Ratio
    cadres: Ratio
    villages: Ratio
    townships: Ratio
    loads: Loads


@dataclass
class VillageRow:
    """One village/community: its responsible units and its households' coverage."""

    village: Region
    units: list[str]
    households: Ratio = NONE


@dataclass
class TownshipRow:
    """One township: its liaising leaders, its villages and the coverage summed over them."""

    township: Region
    leaders: list[str]
    villages: list[VillageRow] = field(default_factory=list)

    @property
    def households(self) -> Ratio:
        return sum((v.households for v in self.villages), NONE)

    @property
    def villages_with_unit(self) -> Ratio:
        return Ratio(sum(1 for v in self.villages if v.units), len(self.villages))


@dataclass
class UnitRow:
    """One unit: its eligible cadres and their loads, its zone and the zone's coverage."""

    unit: Unit
    min_load: int
    max_load: int
    cadres: Ratio = NONE
    loads: Loads = field(default_factory=Loads)
    zone: list[Region] = field(default_factory=list)
    zone_households: Ratio = NONE


def tally_loads(loads: Iterable[int], bounds: tuple[int, int]) -> Loads:
    values = list(loads)
    low, high = bounds
    return Loads(
        cadres=len(values),
        paired=sum(1 for n in values if n),
        households=sum(values),
        min=min(values, default=None),
        max=max(values, default=None),
        over_max=sum(1 for n in values if n > high),
        under_min=sum(1 for n in values if 0 < n < low),
    )


def merge_loads(parts: Iterable[Loads]) -> Loads:
    parts = [p for p in parts if p.cadres]
    return Loads(
        cadres=sum(p.cadres for p in parts),
        paired=sum(p.paired for p in parts),
        households=sum(p.households for p in parts),
        min=min((p.min for p in parts if p.min is not None), default=None),
        max=max((p.max for p in parts if p.max is not None), default=None),
        over_max=sum(p.over_max for p in parts),
        under_min=sum(p.under_min for p in parts),
    )


def policy_label(policy: PairingPolicy) -> str:
    """What the policy asks to cover, in words."""
    label = CoverageKind(policy.coverage).label
    if policy.coverage == CoverageKind.HARDSHIP and policy.hardship_kinds:
        kinds = dict(HardshipKind.choices)
        label += "：" + "、".join(kinds.get(k, k) for k in policy.hardship_kinds)
    return label
