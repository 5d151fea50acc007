"""Region drill-down: county → township → village → group, with counts and history."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from lianxin.core.views import paginate, query_without_page

from .choices import ChangeKind, Level
from .filters import (
    RegionCounts,
    breadcrumbs,
    child_counts,
    children_of,
    get_region_or_404,
    region_totals,
    truthy,
    visible_regions,
)
from .models import Region, RegionChange, region_q

# Keys RegionChange.before/after use, as a reader of the history page knows them.
CHANGE_KEYS = {
    "name": "名称",
    "short_name": "简称",
    "code": "代码",
    "parent": "上级区划",
    "successor": "归入",
    "successor_name": "归入",
}


def _rows(user, region: Region | None, include_ended: bool) -> tuple[list, RegionCounts | None]:
    """(child, counts) pairs for the table, plus the households placed on a village directly."""
    children = children_of(user, region, include_ended=include_ended)
    counts = child_counts(user, children, region)
    rows = [(child, counts.get(child.pk, RegionCounts())) for child in children]
    ungrouped = counts.get(region.pk) if region is not None else None
    if ungrouped is not None and not ungrouped.households:
        ungrouped = None
    return rows, ungrouped


def _history(region: Region) -> list[dict[str, Any]]:
    """The region's changes with parent ids turned into names, oldest first."""
    changes = list(RegionChange.objects.filter(region=region).order_by("effective_on", "id"))
    ids = {
        value
        for c in changes
        for side in (c.before, c.after)
        for key, value in side.items()
        if key in ("parent", "successor") and isinstance(value, int)
    }
    names = {r.pk: r.short_name for r in Region.objects.filter(pk__in=ids)} if ids else {}

    def shown(key: str, value: Any) -> str:
        if key in ("parent", "successor") and isinstance(value, int):
            return names.get(value, str(value))
        return "—" if value in (None, "") else str(value)

    history = []
    for change in changes:
        keys = [k for k in (*change.before, *change.after) if k in CHANGE_KEYS]
        details = []
        for key in dict.fromkeys(keys):
            if key == "successor" and "successor_name" in change.after:
                continue
            before, after = change.before.get(key), change.after.get(key)
            if change.kind == ChangeKind.CREATE:
                if after not in (None, ""):
                    details.append(f"{CHANGE_KEYS[key]}：{shown(key, after)}")
            else:
                details.append(f"{CHANGE_KEYS[key]}：{shown(key, before)} → {shown(key, after)}")
        history.append({"change": change, "details": "；".join(details), "note": change.note})
    return history


def _households_page(request: HttpRequest, region: Region):
    from lianxin.people.filters import household_rows
    from lianxin.people.models import Household

    qs = household_rows(Household.objects.visible_to(request.user).filter(region_q(region)))
    return paginate(request, qs)


@login_required
def county(request: HttpRequest) -> HttpResponse:
    """The user's whole scope: the county's townships, or the page of their own region."""
    user: Any = request.user
    if user.region_id:
        return _region_page(request, user.region)
    include_ended = truthy(request.GET.get("ended"))
    rows, _ = _rows(user, None, include_ended)
    context = {
        "county": user.county,
        "rows": rows,
        "child_level": Level.TOWNSHIP.label,
        "show_villages": True,
        "show_groups": True,
        "totals": region_totals(user, None),
        "include_ended": include_ended,
        "sees_people": user.sees_people,
    }
    return render(request, "geo/county.html", context)


@login_required
def region_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One township, village or group inside the user's scope; anything else is 404."""
    return _region_page(request, get_region_or_404(request.user, pk))


def _region_page(request: HttpRequest, region: Region) -> HttpResponse:
    user: Any = request.user
    include_ended = truthy(request.GET.get("ended"))
    rows: list = []
    ungrouped: RegionCounts | None = None
    if region.level != Level.GROUP:
        rows, ungrouped = _rows(user, region, include_ended)
    successor = region.successor
    context = {
        "region": region,
        "county": region.county,
        "crumbs": breadcrumbs(user, region),
        "rows": rows,
        "ungrouped": ungrouped,
        "child_level": {Level.TOWNSHIP: Level.VILLAGE.label, Level.VILLAGE: Level.GROUP.label}.get(
            Level(region.level), ""
        ),
        "show_groups": region.level == Level.TOWNSHIP,
        "totals": region_totals(user, region),
        "include_ended": include_ended,
        "history": _history(region),
        "successor": successor,
        "successor_visible": successor is not None
        and visible_regions(user).filter(pk=successor.pk).exists(),
        "predecessors": list(
            visible_regions(user).filter(successor=region).order_by("valid_to", "id")
        ),
    }
    if region.level in (Level.VILLAGE, Level.GROUP):
        context["page"] = _households_page(request, region)
        context["query"] = query_without_page(request)
    return render(request, "geo/region_detail.html", context)
