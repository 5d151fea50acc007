"""Two-way full coverage (双向全覆盖): how far each layer of pairing reaches, and its gaps,
computed for one user's scope on one day (the figures and their definitions:
coverage_figures.py; the lists as spreadsheet tables: coverage_tables.py).

Pairings, zones, liaisons, hardships, exclusions and regions are all dated, so any past day has
an answer ("as of"). Households themselves carry no dates: the registry as it stands is read.

Everything is computed with a fixed number of aggregate queries (COUNT/GROUP BY, subqueries),
whatever the county's size: nothing runs per household or per cadre. The few thousand
per-cadre loads come back as one grouped row set and are tallied per unit in Python.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
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
from django.db.models.lookups import IsNull

from lianxin.core.models import today
from lianxin.geo.choices import Level
from lianxin.geo.models import County, Region
from lianxin.org.models import Cadre, CadreAssignment, LeaderLiaison, ResponsibilityZone, Unit
from lianxin.people.choices import Relation
from lianxin.people.models import Household, HouseholdHardship, Resident

from .cover import covered_today_q
from .coverage_figures import (
    LOAD_NONE,
    LOAD_OVER,
    LOAD_UNDER,
    NONE,
    CoverageQuery,
    CoverageSummary,
    Loads,
    Ratio,
    TownshipRow,
    UnitRow,
    VillageRow,
    merge_loads,
    policy_label,
    tally_loads,
)
from .models import Pairing, PairingPolicy
from .policy import eligible_cadres, load_bounds, must_cover, policy_for

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
        """Pairings that cover a household on the day (Pairing.objects.serving: in force, with
        a cadre still in office then)."""
        return Pairing.objects.serving(self.on)

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

    def covered_q(self) -> Q:
        """A household in the query is covered on the day."""
        # A correlated EXISTS probes the pairing index once per household in scope, so a
        # township's figures never scan the whole county's pairings. No county condition in
        # it: the household fixes the county, and without fresh statistics PostgreSQL would
        # otherwise AND in the county index (every row) on each probe.
        covering = self._covering().filter(household_id=OuterRef("pk"))
        if self.on == today():
            # Today's answer is stored on the household (lianxin.pairing.cover): one indexed
            # column pair instead of one probe per household. The few rows whose run ended
            # are probed with a scalar subquery, not EXISTS: PostgreSQL turns an EXISTS into a
            # hash of every covering pairing of the county, built before the first row (55 ms
            # at scale 1), where the probe runs only for the rows that need it.
            probe = Subquery(covering.values("pk")[:1])
            return covered_today_q(self.on, Q(IsNull(probe, False)))
        return Q(Exists(covering))

    def households_without_cadre(self) -> QuerySet[Household]:
        """Households that must be covered and have no cadre on the day, ready to list."""
        return self.household_rows(self.households().exclude(self.covered_q()))

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
            .annotate(total=Count("pk"), covered=Count("pk", filter=self.covered_q()))
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
            # COUNT(*), not COUNT(id): the (cadre, dates) index answers it without the table.
            .annotate(n=Count("*"))
            .values("n")
        )
        return Coalesce(Subquery(pairings, output_field=IntegerField()), 0)

    def cadres(self) -> QuerySet[Cadre]:
        """Eligible cadres in scope and filters, annotated with their unit and post on the day
        (`unit_on`, `unit_name_on`, `post_on`) and their number of households (`load`)."""
        qs = self._scoped(Cadre) & eligible_cadres(self.policy, self.on)
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
        return {u: tally_loads(loads, self.bounds_of(u)) for u, loads in per_unit.items()}

    def cadre_ratio(self) -> Ratio:
        loads = self.loads()
        return Ratio(loads.paired, loads.cadres)

    def loads(self) -> Loads:
        return merge_loads(self.unit_loads.values())

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
            .order_by("parent__sort_key", "parent_id", "sort_key", "pk")
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
            .order_by("sort_key", "pk")
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
        villages = list(self.villages().select_related("parent").order_by("sort_key", "pk"))
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
            for pk, t in sorted(townships.items(), key=lambda kv: (kv[1].sort_key, kv[0]))
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
            .order_by("village__sort_key", "village_id")
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


def stale_note(h: Household) -> str:
    """Why a household with a pairing on the day still counts as uncovered."""
    for p in getattr(h, "stale_pairings", []):
        if p.cadre.left_on is not None:
            return f"原结对干部{p.cadre.name}已于{p.cadre.left_on:%Y-%m-%d}退出"
    return ""
