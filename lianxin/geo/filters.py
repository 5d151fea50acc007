"""Region lists and their counts, shared by the drill-down pages and /api/regions.

Filters take the query parameters as a mapping (request.GET on a page, the validated query
schema as a dict in the API), so a page and its API twin answer the same rows for the same URL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from lianxin.core.access import get_visible_or_404
from lianxin.core.fields import row_id
from lianxin.core.models import today

from .choices import Level
from .models import SIBLING_ORDER, Region, region_q

# The denormalised column of Household/Enterprise that places a row in a region of each level.
LOCATION_COLUMN = {
    Level.TOWNSHIP: "township_id",
    Level.VILLAGE: "village_id",
    Level.GROUP: "region_id",
}


def to_int(value: Any) -> int | None:
    """A positive id from a query parameter, or None for empty, junk or out-of-range values."""
    return row_id(value)


def truthy(value: Any) -> bool:
    """A checkbox or flag parameter: 1/true/on/yes (or a real bool from the API)."""
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("1", "true", "on", "yes")


def text(value: Any) -> str:
    return str(value or "").strip()


def visible_regions(user) -> QuerySet[Region]:
    """Regions the user may browse. The three separated administrators manage the system,
    not people's data, so they see no regions here even though accounts need the map."""
    if not user.is_authenticated or not user.sees_people:
        return Region.objects.none()
    return Region.objects.visible_to(user)


def get_region_or_404(user, pk: Any) -> Region:
    """One region inside the user's scope (through get_visible_or_404), else 404."""
    region = get_visible_or_404(Region, user, pk)
    if not user.sees_people:
        raise Http404("对象不存在或不在您的权限范围内")
    return region


def not_ended(qs: QuerySet[Region]) -> QuerySet[Region]:
    """Regions not yet ended today (a valid_to in the future still counts as in force)."""
    return qs.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today()))


def filter_regions(qs: QuerySet[Region], params: Mapping[str, Any]) -> QuerySet[Region]:
    """level, parent, include_ended, q (name) — the same for /geo/ lists and /api/regions."""
    level = text(params.get("level"))
    if level in Level.values:
        qs = qs.filter(level=level)
    parent = to_int(params.get("parent"))
    if parent:
        qs = qs.filter(parent_id=parent)
    if not truthy(params.get("include_ended")):
        qs = not_ended(qs)
    q = text(params.get("q"))
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(short_name__contains=q) | Q(code__startswith=q))
    return qs


@dataclass
class RegionCounts:
    """What a region holds, as the drill-down shows it."""

    villages: int = 0
    groups: int = 0
    households: int = 0
    residents: int = 0
    hardship_households: int = 0

    def add(self, other: RegionCounts) -> None:
        for key, value in asdict(other).items():
            setattr(self, key, getattr(self, key) + value)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def visible_hardships(user) -> QuerySet:
    """The current hardships of the households the user sees."""
    return _people(user)[1]


def _people(user):
    """Visible households and the current hardships of them (lazy querysets). Residents are
    counted from Household.member_count, a counter its actions keep (people.counters), so no
    tally reads the 670,000 resident rows. Hardships are scoped on their own county column
    (and their household's place for a region's staff) rather than through a subquery of
    every visible household."""
    from lianxin.people.models import Household, HouseholdHardship

    if not user.sees_people:
        return Household.objects.none(), HouseholdHardship.objects.none()
    households = Household.objects.visible_to(user)
    hardships = HouseholdHardship.objects.current()
    if user.is_county_wide or user.is_region_scoped:
        hardships = hardships.filter(county_id=user.county_id)
        if user.region_id:
            hardships = hardships.filter(region_q(user.region, "household__"))
    else:
        hardships = hardships.filter(household__in=households)
    return households, hardships


def _tally(counts: dict[int, RegionCounts], rows: Iterable[Any], key: str, attr: str) -> None:
    """Copy one GROUP BY answer ({key: region id, n: count} rows) onto the regions' counts."""
    for row in rows:
        setattr(counts[row[key]], attr, row["n"])


def child_counts(
    user, children: Sequence[Region], parent: Region | None = None
) -> dict[int, RegionCounts]:
    """Counts for sibling regions in four GROUP BY queries, whatever their number.

    Households are grouped on their denormalised township/village/region column, so no query
    runs per row. On a village page the households placed on the village itself (not in any
    group) come back under the village's own id.
    """
    if not children:
        return {}
    level = Level(children[0].level)
    column = LOCATION_COLUMN[level]
    ids: list[int] = [c.pk for c in children]
    if level == Level.GROUP and parent is not None:
        ids.append(parent.pk)
    counts = {pk: RegionCounts() for pk in ids}
    households, hardships = _people(user)
    by_household = f"household__{column}"
    for row in (
        households.filter(**{f"{column}__in": ids})
        .values(column)
        .annotate(n=Count("id"), members=Sum("member_count"))
        .order_by()
    ):
        counts[row[column]].households = row["n"]
        counts[row[column]].residents = row["members"] or 0
    _tally(
        counts,
        hardships.filter(**{f"{by_household}__in": ids})
        .values(by_household)
        .annotate(n=Count("household_id", distinct=True))
        .order_by(),
        by_household,
        "hardship_households",
    )
    regions = not_ended(visible_regions(user))
    if level == Level.TOWNSHIP:
        _tally(
            counts,
            regions.filter(level=Level.VILLAGE, parent_id__in=ids)
            .values("parent_id")
            .annotate(n=Count("id"))
            .order_by(),
            "parent_id",
            "villages",
        )
        _tally(
            counts,
            regions.filter(level=Level.GROUP, parent__parent_id__in=ids)
            .values("parent__parent_id")
            .annotate(n=Count("id"))
            .order_by(),
            "parent__parent_id",
            "groups",
        )
    elif level == Level.VILLAGE:
        _tally(
            counts,
            regions.filter(level=Level.GROUP, parent_id__in=ids)
            .values("parent_id")
            .annotate(n=Count("id"))
            .order_by(),
            "parent_id",
            "groups",
        )
    return counts


def region_totals(user, region: Region | None) -> RegionCounts:
    """What the user sees inside one region (or the whole scope when region is None)."""
    households, hardships = _people(user)
    regions = not_ended(visible_regions(user))
    if region is not None:
        households = households.filter(region_q(region))
        hardships = hardships.filter(region_q(region, "household__"))
        regions = regions.filter(path__startswith=region.path).exclude(pk=region.pk)
    by_level = dict(regions.values_list("level").annotate(n=Count("id")).order_by())
    people = households.aggregate(n=Count("id"), members=Sum("member_count"))
    return RegionCounts(
        villages=by_level.get(Level.VILLAGE, 0),
        groups=by_level.get(Level.GROUP, 0),
        households=people["n"],
        residents=people["members"] or 0,
        hardship_households=hardships.values("household_id").distinct().count(),
    )


def children_of(user, region: Region | None, *, include_ended: bool) -> list[Region]:
    """The visible child regions (townships for the county), ended ones only when asked."""
    qs = visible_regions(user).select_related("successor")
    qs = qs.filter(parent=region) if region is not None else qs.filter(level=Level.TOWNSHIP)
    if not include_ended:
        qs = not_ended(qs)
    return list(qs.order_by(*SIBLING_ORDER))


def breadcrumbs(user, region: Region) -> list[tuple[Region, bool]]:
    """The region's ancestors from the township down, each with whether the user may open it
    (a village staffer sees their township's name but cannot open its page)."""
    scope = user.region if user.region_id else None
    return [(a, scope is None or a.is_within(scope)) for a in region.ancestors()]
