"""Two-way full coverage (双向全覆盖): how far each layer of pairing reaches, and its gaps.

Four figures, each "covered ÷ should be covered", for one user's scope on one day:

- households: households with a named cadre ÷ households the pairing policy says must be covered;
- cadres: cadres holding at least one household ÷ cadres eligible to take households;
- villages: villages/communities with a responsible unit (责任区) ÷ villages/communities;
- townships: townships with a city leader liaising ÷ townships.

Pairings, zones, liaisons, hardships, exclusions and regions are all dated, so any past day has
an answer ("as of"). Households themselves carry no dates: the registry as it stands is read.

Everything is computed with a fixed number of aggregate queries (COUNT/GROUP BY, subqueries),
whatever the county's size: nothing runs per household or per cadre. The few thousand
per-cadre loads come back as one grouped row set and are tallied per unit in Python.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from lianxin.core.models import today
from lianxin.core.tabular import xlsx_row
from lianxin.geo.choices import Level
from lianxin.geo.models import County, Region
from lianxin.org.models import Cadre, CadreAssignment, LeaderLiaison, ResponsibilityZone, Unit
from lianxin.people.choices import HardshipKind, Relation
from lianxin.people.models import Household, HouseholdHardship, Resident

from .choices import Coverage as CoverageKind
from .models import CadreExclusion, Pairing, PairingPolicy
from .policy import eligible_cadres, load_bounds, must_cover, policy_for

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


# ---------------------------------------------------------------------------------------------
# What is asked, and the shapes of the answers


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
        value = self.percent_value
        return "—" if value is None else f"{value:.1f}%"

    @property
    def percent_value(self) -> float | None:
        """The same figure as a number (98.5 for 98.5%), for spreadsheets to sort on."""
        return math.floor(self.covered * 1000 / self.total) / 10 if self.total else None

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


def _tally(loads: Iterable[int], bounds: tuple[int, int]) -> Loads:
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


def _merge(parts: Iterable[Loads]) -> Loads:
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


def eligible_on(policy: PairingPolicy, on: dt.date) -> QuerySet[Cadre]:
    """policy.eligible_cadres as of a day. From today on it is exactly the set the pairing
    engine works with; for a past day "active" is read from the dates, since a cadre who has
    left since (left_on after the day) and had joined by then was taking part that day."""
    if on >= today():
        return eligible_cadres(policy, on)
    cadres = Cadre.objects.filter(county_id=policy.county_id, joined_on__lte=on).filter(
        Q(left_on__isnull=True) | Q(left_on__gt=on)
    )
    if policy.exclude_city_leaders:
        cadres = cadres.filter(is_city_leader=False)
    excluded = CadreExclusion.objects.current(on).filter(county_id=policy.county_id)
    return cadres.exclude(pk__in=excluded.values("cadre_id"))


# ---------------------------------------------------------------------------------------------
# The computation


class Coverage:
    """Coverage in one county on one day, inside a user's scope (the whole county when `user`
    is None, for the pairing engine and the benchmarks), narrowed by a CoverageQuery.

    Querysets are lazy and results are cached on the instance: build one per request.
    """

    def __init__(self, *, county_id: int, user: Any = None, query: CoverageQuery | None = None):
        self.county_id = county_id
        self.user = user
        self.query = query or CoverageQuery()
        self.on = self.query.on

    # --- policy --------------------------------------------------------------------------------

    @cached_property
    def policy(self) -> PairingPolicy:
        return policy_for(self.county_id)

    @cached_property
    def bounds(self) -> dict[int | None, tuple[int, int]]:
        """(min, max) households per cadre by unit id; None holds the county default."""
        return load_bounds(self.policy)

    def bounds_of(self, unit_id: int | None) -> tuple[int, int]:
        return self.bounds.get(unit_id, self.bounds[None])

    # --- the scope: what the user may see, before any filter -------------------------------------

    def _scoped(self, model: Any) -> Any:
        """The model's rows in the user's scope (visible_to), or the whole county's."""
        if self.user is None:
            return model.objects.filter(county_id=self.county_id)
        return model.objects.visible_to(self.user).filter(county_id=self.county_id)

    def _zones(self) -> QuerySet[ResponsibilityZone]:
        return ResponsibilityZone.objects.current(self.on).filter(county_id=self.county_id)

    def _liaisons(self) -> QuerySet[LeaderLiaison]:
        return LeaderLiaison.objects.current(self.on).filter(county_id=self.county_id)

    @cached_property
    def unit_villages(self) -> list[int] | None:
        """The villages of the unit filter's zone on the day (None without a unit filter)."""
        unit = self.query.unit
        if unit is None:
            return None
        return list(self._zones().filter(unit=unit).values_list("village_id", flat=True))

    def _serving_units(self) -> QuerySet[Unit] | None:
        """Units answering to the township/village filter: based in the township or holding a
        zone there on the day (None when neither filter is set)."""
        q = self.query
        if q.village is not None:
            zones = self._zones().filter(village=q.village)
            return Unit.objects.filter(pk__in=zones.values("unit_id"))
        if q.township is not None:
            zones = self._zones().filter(village__parent=q.township)
            return Unit.objects.filter(Q(township=q.township) | Q(pk__in=zones.values("unit_id")))
        return None

    # --- households --------------------------------------------------------------------------

    def _covering(self) -> QuerySet[Pairing]:
        """Pairings that cover a household on the day: valid then, with a cadre who had not
        left (a pairing left open after its cadre left does not reach anyone)."""
        return Pairing.objects.current(self.on).filter(
            Q(cadre__left_on__isnull=True) | Q(cadre__left_on__gt=self.on)
        )

    def covering_pairings(self) -> QuerySet[Pairing]:
        """The county's pairings that cover a household on the day."""
        return self._covering().filter(county_id=self.county_id)

    def households(self) -> QuerySet[Household]:
        """Households that must be covered, in scope and filters."""
        qs = self._scoped(Household) & must_cover(self.policy, self.on)
        q = self.query
        if q.township is not None:
            qs = qs.filter(township_id=q.township.pk)
        if q.village is not None:
            qs = qs.filter(village_id=q.village.pk)
        if self.unit_villages is not None:
            qs = qs.filter(village_id__in=self.unit_villages)
        if q.hardship_only:
            hardships = HouseholdHardship.objects.current(self.on).filter(county_id=self.county_id)
            qs = qs.filter(pk__in=hardships.values("household_id"))
        return qs

    def _covered_q(self) -> Q:
        # A correlated EXISTS probes the pairing index once per household in scope, so a
        # township's figures never scan the whole county's pairings. No county condition in
        # it: the household fixes the county, and without fresh statistics PostgreSQL would
        # otherwise AND in the county index (every row) on each probe.
        return Q(Exists(self._covering().filter(household_id=OuterRef("pk"))))

    def households_without_cadre(self) -> QuerySet[Household]:
        """Households that must be covered and have no cadre on the day, ready to list."""
        return self.household_rows(self.households().exclude(self._covered_q()))

    def household_rows(self, qs: QuerySet[Household]) -> QuerySet[Household]:
        """What a household gap list shows, in a fixed number of queries per page: places,
        the head (`heads`), hardships on the day (`hardship_list`) and a pairing whose cadre
        has left (`stale_pairings`)."""
        return (
            qs.select_related("township", "village", "region")
            .prefetch_related(
                Prefetch(
                    "members",
                    # Only what the list shows: the ciphertexts are never even loaded.
                    queryset=Resident.objects.filter(relation=Relation.HEAD).only(
                        "pk", "household_id", "name", "phone_masked"
                    ),
                    to_attr="heads",
                ),
                Prefetch(
                    "hardships",
                    queryset=HouseholdHardship.objects.current(self.on).order_by("kind"),
                    to_attr="hardship_list",
                ),
                Prefetch(
                    "pairings",
                    queryset=Pairing.objects.current(self.on)
                    .select_related("cadre")
                    .only("pk", "household_id", "cadre", "cadre__name", "cadre__left_on"),
                    to_attr="stale_pairings",
                ),
            )
            .order_by("number", "pk")
        )

    @cached_property
    def _by_village(self) -> list[dict[str, Any]]:
        """One GROUP BY over the households: township, village, must cover, covered."""
        rows = (
            self.households()
            .order_by()
            .values("township_id", "village_id")
            .annotate(total=Count("pk"), covered=Count("pk", filter=self._covered_q()))
        )
        return [dict(r) for r in rows]

    @cached_property
    def village_households(self) -> dict[int, Ratio]:
        """village id → coverage of its households."""
        return {r["village_id"]: Ratio(r["covered"], r["total"]) for r in self._by_village}

    @cached_property
    def township_households(self) -> dict[int, Ratio]:
        """township id → coverage of its households."""
        out: dict[int, Ratio] = defaultdict(lambda: NONE)
        for r in self._by_village:
            out[r["township_id"]] += Ratio(r["covered"], r["total"])
        return dict(out)

    def household_ratio(self) -> Ratio:
        return sum(self.village_households.values(), NONE)

    # --- cadres ------------------------------------------------------------------------------

    def _pairings_of_cadre(self) -> QuerySet[Pairing]:
        return Pairing.objects.current(self.on).filter(cadre_id=OuterRef("pk"))

    def _load(self) -> Coalesce:
        pairings = (
            self._pairings_of_cadre()
            .order_by()
            .values("cadre_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return Coalesce(Subquery(pairings, output_field=IntegerField()), 0)

    def cadres(self) -> QuerySet[Cadre]:
        """Eligible cadres in scope and filters, annotated with their unit and post on the day
        (`unit_on`, `unit_name_on`, `post_on`) and their number of households (`load`)."""
        qs = self._scoped(Cadre) & eligible_on(self.policy, self.on)
        if self.on >= today():
            qs = qs.annotate(unit_on=F("unit_id"), unit_name_on=F("unit__name"), post_on=F("post"))
        else:
            # A cadre transferred since then counts for the unit they served in that day.
            held = CadreAssignment.objects.current(self.on).filter(cadre_id=OuterRef("pk"))
            held = held.order_by("-valid_from", "-pk")
            qs = qs.annotate(
                unit_on=Coalesce(
                    Subquery(held.values("unit_id")[:1]), F("unit_id"), output_field=IntegerField()
                ),
                unit_name_on=Coalesce(
                    Subquery(held.values("unit__name")[:1]),
                    F("unit__name"),
                    output_field=CharField(),
                ),
                post_on=Coalesce(
                    Subquery(held.values("post")[:1]), F("post"), output_field=CharField()
                ),
            )
        qs = qs.annotate(load=self._load())
        if self.query.unit is not None:
            qs = qs.filter(unit_on=self.query.unit.pk)
        serving = self._serving_units()
        if serving is not None:
            qs = qs.filter(unit_on__in=serving.values("pk"))
        return qs

    def _bound(self, index: int, default: int) -> Case | Value:
        """The per-unit min (index 0) or max (index 1) load as an SQL expression."""
        whens = [
            When(unit_on=unit_id, then=Value(b[index]))
            for unit_id, b in self.bounds.items()
            if unit_id is not None
        ]
        if not whens:
            return Value(default)
        return Case(*whens, default=Value(default), output_field=IntegerField())

    def cadres_by_load(self, load: str = LOAD_NONE) -> QuerySet[Cadre]:
        """Eligible cadres with no household (none), paired but below their unit's minimum
        (under), or above its maximum (over), ready to list."""
        qs = self.cadres()
        if load == LOAD_OVER:
            qs = qs.alias(high=self._bound(1, self.policy.max_load)).filter(load__gt=F("high"))  # type: ignore[misc]
        elif load == LOAD_UNDER:
            qs = qs.alias(low=self._bound(0, self.policy.min_load)).filter(  # type: ignore[misc]
                load__gt=0, load__lt=F("low")
            )
        else:
            # EXISTS stops at the first pairing; counting them all is only needed for display.
            qs = qs.exclude(Exists(self._pairings_of_cadre()))
        return qs.order_by("unit_name_on", "staff_no", "pk")  # type: ignore[misc]

    def cadres_without_households(self) -> QuerySet[Cadre]:
        return self.cadres_by_load(LOAD_NONE)

    @cached_property
    def cadre_loads(self) -> list[tuple[int, int, int]]:
        """(cadre id, unit id on the day, households) for every eligible cadre: one query."""
        return list(self.cadres().order_by().values_list("pk", "unit_on", "load"))  # type: ignore[misc]

    @cached_property
    def unit_loads(self) -> dict[int, Loads]:
        """unit id → its eligible cadres' loads."""
        per_unit: dict[int, list[int]] = defaultdict(list)
        for _, unit_id, load in self.cadre_loads:
            per_unit[unit_id].append(load)
        return {u: _tally(loads, self.bounds_of(u)) for u, loads in per_unit.items()}

    def cadre_ratio(self) -> Ratio:
        loads = self.loads()
        return Ratio(loads.paired, loads.cadres)

    def loads(self) -> Loads:
        return _merge(self.unit_loads.values())

    # --- villages and townships ----------------------------------------------------------------

    def _regions(self, level: Level) -> QuerySet[Region]:
        return self._scoped(Region).current(self.on).filter(level=level)

    def villages(self) -> QuerySet[Region]:
        """Villages/communities in force on the day, in scope and filters."""
        qs = self._regions(Level.VILLAGE)
        q = self.query
        if q.township is not None:
            qs = qs.filter(parent_id=q.township.pk)
        if q.village is not None:
            qs = qs.filter(pk=q.village.pk)
        if self.unit_villages is not None:
            qs = qs.filter(pk__in=self.unit_villages)
        return qs

    def villages_without_unit(self) -> QuerySet[Region]:
        """Villages/communities no unit was responsible for on the day."""
        return (
            self.villages()
            .exclude(pk__in=self._zones().values("village_id"))
            .select_related("parent")
            .order_by("parent__code", "parent_id", "code", "pk")
        )

    def townships(self) -> QuerySet[Region]:
        """Townships in force on the day, in scope and filters."""
        qs = self._regions(Level.TOWNSHIP)
        q = self.query
        if q.township is not None:
            qs = qs.filter(pk=q.township.pk)
        if q.village is not None:
            qs = qs.filter(children=q.village)
        if self.unit_villages is not None:
            qs = qs.filter(
                pk__in=Region.objects.filter(pk__in=self.unit_villages).values("parent_id")
            )
        return qs

    def townships_without_leader(self) -> QuerySet[Region]:
        """Townships no city leader liaised with on the day."""
        return (
            self.townships()
            .exclude(pk__in=self._liaisons().values("township_id"))
            .order_by("code", "pk")
        )

    def village_ratio(self) -> Ratio:
        counts = self.villages().aggregate(
            total=Count("pk"),
            covered=Count("pk", filter=Q(pk__in=self._zones().values("village_id"))),
        )
        return Ratio(counts["covered"], counts["total"])

    def township_ratio(self) -> Ratio:
        counts = self.townships().aggregate(
            total=Count("pk"),
            covered=Count("pk", filter=Q(pk__in=self._liaisons().values("township_id"))),
        )
        return Ratio(counts["covered"], counts["total"])

    @cached_property
    def village_counts(self) -> dict[int, int]:
        """township id → villages in force on the day (in scope and filters)."""
        rows = self.villages().order_by().values("parent_id").annotate(n=Count("pk"))
        return {r["parent_id"]: r["n"] for r in rows}

    # --- the views -----------------------------------------------------------------------------

    def summary(self) -> CoverageSummary:
        """The four layers and the loads, in six queries."""
        return CoverageSummary(
            on=self.on,
            policy=policy_label(self.policy),
            households=self.household_ratio(),
            cadres=self.cadre_ratio(),
            villages=self.village_ratio(),
            townships=self.township_ratio(),
            loads=self.loads(),
        )

    def region_rows(self) -> list[TownshipRow]:
        """Townships with their leaders, each holding its villages with their units and their
        households' coverage. Villages ended since but still holding households are kept, so
        the rows add up to the summary."""
        villages = list(self.villages().select_related("parent").order_by("code", "pk"))
        known = {v.pk for v in villages}
        stray = [vid for vid in self.village_households if vid not in known]
        if stray:
            villages += list(Region.objects.filter(pk__in=stray).select_related("parent"))
        units: dict[int, list[str]] = defaultdict(list)
        zones = self._zones().filter(village_id__in=[v.pk for v in villages])
        for village_id, name, short in zones.order_by("unit__name").values_list(
            "village_id", "unit__name", "unit__short_name"
        ):
            units[village_id].append(short or name)
        township_ids = {v.parent_id for v in villages if v.parent_id is not None}
        township_ids |= set(self.townships().values_list("pk", flat=True))
        leaders: dict[int, list[str]] = defaultdict(list)
        liaisons = self._liaisons().filter(township_id__in=township_ids)
        for township_id, name in liaisons.order_by("valid_from", "pk").values_list(
            "township_id", "leader__name"
        ):
            leaders[township_id].append(name)
        townships = {t.pk: t for t in Region.objects.filter(pk__in=township_ids)}
        rows = {
            pk: TownshipRow(township=t, leaders=leaders.get(pk, []))
            for pk, t in sorted(townships.items(), key=lambda kv: (kv[1].code, kv[0]))
        }
        for v in villages:
            if v.parent_id is None:  # a village always has one (geo_region_parent_by_level)
                continue
            rows[v.parent_id].villages.append(
                VillageRow(
                    village=v,
                    units=units.get(v.pk, []),
                    households=self.village_households.get(v.pk, NONE),
                )
            )
        return list(rows.values())

    def unit_rows(self) -> list[UnitRow]:
        """Units in scope and filters, with their cadres' loads and their zone's coverage."""
        qs = self._scoped(Unit).filter(Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=self.on))
        if self.query.unit is not None:
            qs = qs.filter(pk=self.query.unit.pk)
        serving = self._serving_units()
        if serving is not None:
            qs = qs.filter(pk__in=serving.values("pk"))
        units = list(qs.order_by("name", "pk"))
        zones: dict[int, list[Region]] = defaultdict(list)
        for z in (
            self._zones()
            .filter(unit_id__in=[u.pk for u in units])
            .select_related("village")
            .order_by("village__code", "village_id")
        ):
            zones[z.unit_id].append(z.village)
        rows = []
        for u in units:
            loads = self.unit_loads.get(u.pk, Loads())
            low, high = self.bounds_of(u.pk)
            zone = zones.get(u.pk, [])
            rows.append(
                UnitRow(
                    unit=u,
                    min_load=low,
                    max_load=high,
                    cadres=Ratio(loads.paired, loads.cadres),
                    loads=loads,
                    zone=zone,
                    zone_households=sum(
                        (self.village_households.get(v.pk, NONE) for v in zone), NONE
                    ),
                )
            )
        return rows


def coverage_for(user: Any, query: CoverageQuery | None = None) -> Coverage:
    """Coverage as `user` may see it (their county, through every model's visible_to)."""
    return Coverage(county_id=user.county_id, user=user, query=query)


def county_coverage(county: County | int, on: dt.date | None = None) -> Coverage:
    """Coverage of a whole county, with no user scope (the pairing engine, benchmarks)."""
    county_id = county if isinstance(county, int) else county.pk
    return Coverage(county_id=county_id, query=CoverageQuery(on=on or today()))


def county_summary(county: County | int, on: dt.date | None = None) -> CoverageSummary:
    """The four layers of a whole county on a day (today by default)."""
    return county_coverage(county, on).summary()


# ---------------------------------------------------------------------------------------------
# The lists as tables: the xlsx export (masked values only; no ID numbers at all)

CHUNK_SIZE = 2000


@dataclass
class Table:
    """A titled header and its rows, streamed from the database as they are written."""

    title: str
    header: list[str]
    rows: Iterable[list[Any]]


def _group_name(h: Household) -> str:
    return h.region.short_name if h.region_id != h.village_id else ""


def stale_note(h: Household) -> str:
    """Why a household with a pairing on the day still counts as uncovered."""
    for p in getattr(h, "stale_pairings", []):
        if p.cadre.left_on is not None:
            return f"原结对干部{p.cadre.name}已于{p.cadre.left_on:%Y-%m-%d}退出"
    return ""


def _household_rows(cov: Coverage) -> Iterable[list[Any]]:
    """The gap households for a whole export (all of a county's, before its first pairing run):
    their ids first, read from the indexes alone, then plain tuples a chunk at a time, so a
    quarter of a million rows never become model instances."""
    ids = list(
        cov.households()
        .exclude(cov._covered_q())
        .order_by("number", "pk")
        .values_list("pk", flat=True)
    )
    kinds = dict(HardshipKind.choices)
    for start in range(0, len(ids), CHUNK_SIZE):
        chunk = ids[start : start + CHUNK_SIZE]
        heads = {
            h: (name, phone)
            for h, name, phone in Resident.objects.filter(
                household_id__in=chunk, relation=Relation.HEAD
            ).values_list("household_id", "name", "phone_masked")
        }
        hardships: dict[int, list[str]] = defaultdict(list)
        for h, kind in (
            HouseholdHardship.objects.current(cov.on)
            .filter(household_id__in=chunk)
            .order_by("kind")
            .values_list("household_id", "kind")
        ):
            hardships[h].append(kinds.get(kind, kind))
        stale = {
            h: f"原结对干部{name}已于{left_on:%Y-%m-%d}退出"
            for h, name, left_on in Pairing.objects.current(cov.on)
            .filter(household_id__in=chunk, cadre__left_on__isnull=False)
            .values_list("household_id", "cadre__name", "cadre__left_on")
        }
        rows = (
            Household.objects.filter(pk__in=chunk)
            .order_by("number", "pk")
            .values_list(
                "pk",
                "number",
                "township__short_name",
                "village__short_name",
                "region__short_name",
                "region_id",
                "village_id",
            )
        )
        for pk, number, township, village, group, region_id, village_id in rows:
            name, phone = heads.get(pk, ("（未登记户主）", ""))
            yield [
                number,
                township,
                village,
                group if region_id != village_id else "",
                name,
                phone,
                "、".join(hardships.get(pk, [])),
                stale.get(pk, ""),
            ]


def _cadre_rows(cov: Coverage, load: str) -> Iterable[list[Any]]:
    for c in cov.cadres_by_load(load).iterator(chunk_size=CHUNK_SIZE):
        low, high = cov.bounds_of(c.unit_on)  # type: ignore[attr-defined]
        yield [
            c.staff_no,
            c.name,
            c.unit_name_on,  # type: ignore[attr-defined]
            c.post_on,  # type: ignore[attr-defined]
            c.phone_masked,
            c.load,  # type: ignore[attr-defined]
            low,
            high,
        ]


def _village_rows(cov: Coverage) -> Iterable[list[Any]]:
    for v in cov.villages_without_unit():
        r = cov.village_households.get(v.pk, NONE)
        yield [v.parent.short_name if v.parent else "", v.short_name, v.code, r.total, r.covered]


def _township_rows(cov: Coverage) -> Iterable[list[Any]]:
    for t in cov.townships_without_leader():
        r = cov.township_households.get(t.pk, NONE)
        yield [t.short_name, t.code, cov.village_counts.get(t.pk, 0), r.total, r.covered]


def _region_rows(cov: Coverage) -> Iterable[list[Any]]:
    for t in cov.region_rows():
        r = t.households
        leaders = "、".join(t.leaders) or "（无市级领导联系）"
        yield [
            t.township.short_name,
            "（全乡镇）",
            leaders,
            r.total,
            r.covered,
            r.gaps,
            r.percent_value,
        ]
        for v in t.villages:
            r = v.households
            units = "、".join(v.units) or "（无责任单位）"
            yield [
                t.township.short_name,
                v.village.short_name,
                units,
                r.total,
                r.covered,
                r.gaps,
                r.percent_value,
            ]


def _unit_rows(cov: Coverage) -> Iterable[list[Any]]:
    for u in cov.unit_rows():
        loads, zone = u.loads, u.zone_households
        yield [
            u.unit.name,
            "、".join(v.short_name for v in u.zone) or "（无责任区）",
            f"{u.min_load}–{u.max_load}",
            u.cadres.total,
            u.cadres.covered,
            u.cadres.gaps,
            loads.households,
            loads.min,
            loads.max,
            loads.avg,
            loads.over_max,
            loads.under_min,
            zone.total,
            zone.covered,
            zone.percent_value,
        ]


def table(cov: Coverage, name: str, *, load: str = LOAD_NONE) -> Table:
    """One gap list or summary table of the coverage page as rows for a spreadsheet."""
    if name == "households":
        header = [
            "户号",
            "乡镇（街道）",
            "村（社区）",
            "组",
            "户主",
            "户主电话（脱敏）",
            "困难类型",
            "说明",
        ]
        return Table("未结对的户", header, _household_rows(cov))
    if name == "cadres":
        header = [
            "人员编号",
            "姓名",
            "单位",
            "职务",
            "电话（脱敏）",
            "联系户数",
            "最少户数",
            "最多户数",
        ]
        return Table(LOAD_CHOICES[load], header, _cadre_rows(cov, load))
    if name == "villages":
        header = ["乡镇（街道）", "村（社区）", "统计区划代码", "须覆盖户数", "已结对户数"]
        return Table("无责任单位的村（社区）", header, _village_rows(cov))
    if name == "townships":
        header = ["乡镇（街道）", "统计区划代码", "村（社区）数", "须覆盖户数", "已结对户数"]
        return Table("无市级领导联系的乡镇（街道）", header, _township_rows(cov))
    if name == "regions":
        header = [
            "乡镇（街道）",
            "村（社区）",
            "联系领导／责任单位",
            "须覆盖户数",
            "已结对户数",
            "未结对户数",
            "覆盖率（%）",
        ]
        return Table("分乡镇、村（社区）覆盖情况", header, _region_rows(cov))
    if name == "units":
        header = [
            "单位",
            "责任区村（社区）",
            "每人户数范围",
            "可参与结对干部",
            "已结对干部",
            "未结对干部",
            "联系户数合计",
            "每人最少",
            "每人最多",
            "每人平均",
            "超过上限人数",
            "低于下限人数",
            "责任区须覆盖户数",
            "责任区已结对户数",
            "责任区覆盖率（%）",
        ]
        return Table("分单位结对情况", header, _unit_rows(cov))
    raise ValueError(f"unknown coverage table {name!r}")


def write_xlsx(target: Any, tab: Table, notes: Iterable[tuple[str, str]]) -> int:
    """Stream the table into an .xlsx (openpyxl write-only, memory flat whatever the size),
    with a second sheet saying what it is: the day, the filters, the definitions.
    Returns the number of rows written."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(tab.title[:31])
    sheet.append(xlsx_row(sheet, tab.header))
    n = 0
    for row in tab.rows:
        sheet.append(xlsx_row(sheet, row))
        n += 1
    about = book.create_sheet("说明")
    about.append(["项目", "内容"])
    for key, value in notes:
        about.append(xlsx_row(about, [key, value]))
    about.append(["行数", n])
    book.save(target)
    return n
