"""The rates page (/visits/rates/): 见面率, 对话率, 走访次数 and 逾期户数 for a month, quarter,
year or range, by township, village, unit or cadre, each figure with its definition beside it
(lianxin.visits.rates). Scoped to the user's region or unit: a region or unit outside it answers
404. The same figures as data: GET /api/rates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from lianxin.accounts.choices import Role
from lianxin.core.access import get_visible_or_404
from lianxin.core.errors import Refused
from lianxin.core.models import today
from lianxin.core.views import paginate
from lianxin.geo.choices import Level as RegionLevel
from lianxin.geo.filters import get_region_or_404
from lianxin.org.models import Unit

from .periods import (
    PERIOD_HELP,
    Period,
    date_range,
    month_of,
    parse_period,
    previous_month,
    quarter,
)
from .rates import DEFINITIONS, LEVELS, Level, rates_for

# The levels the page lists by; the county is the total row.
PAGE_LEVELS = (Level.TOWNSHIP, Level.VILLAGE, Level.UNIT, Level.CADRE)


def presets(on: dt.date) -> list[tuple[str, str]]:
    """(label, period code) of the quick choices: this month, last month, this quarter, the
    last six months up to today."""
    this = month_of(on)
    q = quarter(on.year, (on.month - 1) // 3 + 1)
    start = this
    for _ in range(5):
        start = previous_month(start)
    half = date_range(start.start, on)
    return [
        ("本月", this.code),
        ("上月", previous_month(this).code),
        ("本季度", q.code),
        ("近六个月", half.code),
    ]


def default_level(user: Any) -> str:
    """One step below the user's own scope: a township's staff see its villages first."""
    if user.role == Role.CADRE or user.is_unit_scoped:
        return Level.CADRE
    region = user.region if user.region_id else None
    if region is None:
        return Level.TOWNSHIP
    return Level.VILLAGE if region.level == RegionLevel.TOWNSHIP else Level.CADRE


def _crumbs(region, unit) -> list[tuple[str, str]]:
    """(label, query) from the whole scope down to the region or unit looked at."""
    crumbs = [("全部", f"level={Level.TOWNSHIP}")]
    if unit is not None:
        crumbs.append((unit.name, f"level={Level.CADRE}&unit={unit.pk}"))
    chain = []
    while region is not None and region.level in (RegionLevel.TOWNSHIP, RegionLevel.VILLAGE):
        chain.append(region)
        region = region.parent
    for r in reversed(chain):
        below = Level.VILLAGE if r.level == RegionLevel.TOWNSHIP else Level.CADRE
        crumbs.append((r.short_name, f"level={below}&region={r.pk}"))
    return crumbs


def _drill(level: str) -> tuple[str, str] | None:
    """Where a row of the level leads: (the next level, the parameter naming the row)."""
    return {
        Level.TOWNSHIP: (Level.VILLAGE, "region"),
        Level.VILLAGE: (Level.CADRE, "region"),
        Level.UNIT: (Level.CADRE, "unit"),
    }.get(level)


@login_required
@require_GET
def rates(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not user.sees_people:
        raise PermissionDenied("当前账号不查看走访统计")
    params = request.GET
    now = today()
    context: dict[str, Any] = {
        "params": params,
        "presets": presets(now),
        "period_help": PERIOD_HELP,
        "levels": [(k, LEVELS[k]) for k in PAGE_LEVELS],
        "definitions": DEFINITIONS,
    }
    region = unit = None
    try:
        level = params.get("level") or default_level(user)
        if level not in PAGE_LEVELS:
            raise Refused(
                f"无法识别的统计层级“{level[:20]}”，可选：{'、'.join(PAGE_LEVELS)}", field="level"
            )
        period: Period = parse_period(params.get("period"), default=now)
        if params.get("region"):
            region = get_region_or_404(user, params["region"])
        if params.get("unit"):
            unit = get_visible_or_404(Unit, user, params["unit"])
        result = rates_for(user, period, level, region=region, unit=unit)
    except Refused as exc:
        context.update(error=exc, level=params.get("level") or "")
        return render(request, "visits/rates.html", context, status=exc.status)
    drill = _drill(level)
    kept = {"period": period.code}
    if unit is not None:
        kept["unit"] = str(unit.pk)
    if region is not None:
        kept["region"] = str(region.pk)
    context.update(
        level=level,
        level_label=LEVELS[level],
        period=period,
        result=result,
        total=result.total,
        page=paginate(request, result.rows),
        drill_level=drill[0] if drill else "",
        drill_param=drill[1] if drill else "",
        region=region,
        unit=unit,
        crumbs=_crumbs(region, unit),
        # Switching level keeps the period and the region or unit looked at.
        level_query=urlencode(kept),
        page_query=urlencode({**kept, "level": level}),
        api_query=urlencode(
            {"period": period.code, "level": level}
            | ({"region": region.pk} if region is not None else {})
        ),
    )
    return render(request, "visits/rates.html", context)
