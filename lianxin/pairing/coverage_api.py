"""/api/coverage: two-way full coverage (双向全覆盖) as data — the coverage page's figures,
gap lists and tables, with the same filters (pairing/filters.py) and the same scope.

Phones leave masked; ID numbers never appear in these answers at all.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Query, Router, Schema

from lianxin.core.api import PageParams, Ref, documented, page_of

from .coverage import Coverage, coverage_for, stale_note
from .coverage_figures import DEFINITIONS, LOAD_NONE, NONE, Ratio, policy_label
from .filters import parse_load, parse_query

router = Router(tags=["双向全覆盖"])

ERRORS = (400, 401, 404, 422)


# --- filters as query parameters (the same names as the page's) -------------------------------


class CoverageFilters(Schema):
    on: dt.date | None = Field(
        None, description="查询日期（YYYY-MM-DD），按当日有效的结对计算；默认今天"
    )
    township: int | None = Field(None, description="乡镇（街道）id")
    village: int | None = Field(None, description="村（社区）id")
    unit: int | None = Field(None, description="单位 id：该单位当日的责任区和干部")
    hardship_only: bool | None = Field(None, description="true：只计困难群众户")


class CadreFilters(CoverageFilters):
    load: str | None = Field(
        None,
        description="none（默认）：未联系户的干部；under：已结对但低于户数下限；over：超过户数上限",
    )


def _coverage(request: Any, filters: CoverageFilters) -> Coverage:
    """The caller's coverage with the checked filters (404 for ids outside the scope)."""
    return coverage_for(request.user, parse_query(request.user, filters.model_dump()))


# --- schemas ----------------------------------------------------------------------------------


class RatioOut(Schema):
    covered: int = Field(description="已覆盖")
    total: int = Field(description="应覆盖")
    gaps: int = Field(description="缺口 = 应覆盖 − 已覆盖")
    rate: float | None = Field(description="覆盖率（0–1）；应覆盖为0时为空")
    percent: str = Field(description="覆盖率文字，保留一位小数向下取整，如 98.5%")


class LayerOut(RatioOut):
    definition: str = Field(description="口径")


class LoadsOut(Schema):
    cadres: int = Field(description="可参与结对的干部")
    paired: int = Field(description="已联系至少1户的干部")
    households: int = Field(description="联系户数合计")
    min: int | None
    max: int | None
    avg: float | None
    over_max: int = Field(description="联系户数超过上限的干部")
    under_min: int = Field(description="已结对但低于户数下限的干部")


class CoveragePolicyOut(Schema):
    coverage: str = Field(description="all / hardship / regions")
    label: str
    min_load: int
    max_load: int


class SummaryOut(Schema):
    on: dt.date
    policy: CoveragePolicyOut
    households: LayerOut = Field(description="户：已有结对干部 ÷ 须覆盖")
    cadres: LayerOut = Field(description="干部：已结对 ÷ 可参与结对")
    villages: LayerOut = Field(description="村（社区）：有责任单位 ÷ 全部")
    townships: LayerOut = Field(description="乡镇（街道）：有市级领导联系 ÷ 全部")
    loads: LoadsOut
    loads_definition: str


class HouseholdGapOut(Schema):
    id: int
    number: str = Field(description="户号")
    township: Ref
    village: Ref
    group: Ref | None = Field(description="所在组；直属于村（社区）时为空")
    head_name: str | None = Field(description="户主姓名；未登记户主时为空")
    head_phone_masked: str = Field(description="户主电话（脱敏）")
    hardships: list[str] = Field(description="当日的困难类型")
    note: str = Field(description="说明，如原结对干部已退出")


class HouseholdGapPage(Schema):
    count: int
    items: list[HouseholdGapOut]


class CadreLoadOut(Schema):
    id: int
    staff_no: str
    name: str
    unit: Ref = Field(description="当日所在单位")
    post: str
    phone_masked: str = Field(description="电话（脱敏）")
    load: int = Field(description="当日联系户数")
    min_load: int
    max_load: int


class CadreLoadPage(Schema):
    count: int
    items: list[CadreLoadOut]


class VillageGapOut(Schema):
    id: int
    name: str
    code: str
    township: Ref
    households: RatioOut = Field(description="该村须覆盖户的结对情况")


class VillageGapPage(Schema):
    count: int
    items: list[VillageGapOut]


class TownshipGapOut(Schema):
    id: int
    name: str
    code: str
    villages: int
    households: RatioOut


class TownshipGapPage(Schema):
    count: int
    items: list[TownshipGapOut]


class VillageRowOut(Schema):
    id: int
    name: str
    units: list[str] = Field(description="当日的责任单位；空表示缺口")
    households: RatioOut


class TownshipRowOut(Schema):
    id: int
    name: str
    leaders: list[str] = Field(description="当日联系的市级领导；空表示缺口")
    households: RatioOut
    villages_with_unit: RatioOut
    villages: list[VillageRowOut]


class CoverageRegionPage(Schema):
    count: int
    items: list[TownshipRowOut]


class UnitRowOut(Schema):
    unit: Ref
    min_load: int
    max_load: int
    cadres: RatioOut = Field(description="已结对干部 ÷ 可参与结对干部")
    loads: LoadsOut
    zone: list[Ref] = Field(description="当日责任区村（社区）")
    zone_households: RatioOut = Field(description="责任区内须覆盖户的结对情况")


class CoverageUnitPage(Schema):
    count: int
    items: list[UnitRowOut]


# --- serialisation ----------------------------------------------------------------------------


def _layer(r: Ratio, key: str) -> dict[str, Any]:
    return {**r.as_dict(), "definition": DEFINITIONS[key]}


def _ratio(r: Ratio | None) -> dict[str, Any]:
    """A ratio as data; a village or township with no household to cover reads 0 of 0."""
    return (r or NONE).as_dict()


def _region(r: Any) -> dict[str, Any]:
    return {"id": r.pk, "name": r.short_name}


def _list_page(rows: list, paging: PageParams) -> dict[str, Any]:
    return {"count": len(rows), "items": rows[paging.offset : paging.offset + paging.limit]}


# --- endpoints --------------------------------------------------------------------------------


@router.get("", summary="双向全覆盖概况", **documented(SummaryOut, *ERRORS))
def summary(request, filters: Query[CoverageFilters]):
    """The four layers — households, cadres, villages, townships — each covered ÷ should be
    covered with its definition, and the cadres' loads, in the caller's scope on the day."""
    cov = _coverage(request, filters)
    s = cov.summary()
    policy = cov.policy
    return {
        "on": s.on,
        "policy": {
            "coverage": policy.coverage,
            "label": policy_label(policy),
            "min_load": policy.min_load,
            "max_load": policy.max_load,
        },
        "households": _layer(s.households, "households"),
        "cadres": _layer(s.cadres, "cadres"),
        "villages": _layer(s.villages, "villages"),
        "townships": _layer(s.townships, "townships"),
        "loads": s.loads.as_dict(),
        "loads_definition": DEFINITIONS["loads"],
    }


@router.get("/households", summary="未结对的户", **documented(HouseholdGapPage, *ERRORS))
def households(request, filters: Query[CoverageFilters], paging: Query[PageParams]):
    """Households the policy says must be covered that had no cadre on the day."""
    page = page_of(_coverage(request, filters).households_without_cadre(), paging)
    items = []
    for h in page["items"]:
        head = h.heads[0] if h.heads else None
        items.append(
            {
                "id": h.pk,
                "number": h.number,
                "township": _region(h.township),
                "village": _region(h.village),
                "group": _region(h.region) if h.region_id != h.village_id else None,
                "head_name": head.name if head else None,
                "head_phone_masked": head.phone_masked if head else "",
                "hardships": [x.get_kind_display() for x in h.hardship_list],
                "note": stale_note(h),
            }
        )
    return {"count": page["count"], "items": items}


@router.get("/cadres", summary="干部结对情况", **documented(CadreLoadPage, *ERRORS))
def cadres(request, filters: Query[CadreFilters], paging: Query[PageParams]):
    """Eligible cadres with no household (load=none, the default), paired below their unit's
    minimum (under) or above its maximum (over)."""
    cov = _coverage(request, filters)
    load = parse_load(filters.load) if filters.load else LOAD_NONE
    page = page_of(cov.cadres_by_load(load), paging)
    items = []
    for c in page["items"]:
        low, high = cov.bounds_of(c.unit_on)
        items.append(
            {
                "id": c.pk,
                "staff_no": c.staff_no,
                "name": c.name,
                "unit": {"id": c.unit_on, "name": c.unit_name_on},
                "post": c.post_on,
                "phone_masked": c.phone_masked,
                "load": c.load,
                "min_load": low,
                "max_load": high,
            }
        )
    return {"count": page["count"], "items": items}


@router.get("/villages", summary="无责任单位的村（社区）", **documented(VillageGapPage, *ERRORS))
def villages(request, filters: Query[CoverageFilters], paging: Query[PageParams]):
    """Villages/communities no unit was responsible for on the day."""
    cov = _coverage(request, filters)
    page = page_of(cov.villages_without_unit(), paging)
    return {
        "count": page["count"],
        "items": [
            {
                "id": v.pk,
                "name": v.short_name,
                "code": v.code,
                "township": _region(v.parent),
                "households": _ratio(cov.village_households.get(v.pk)),
            }
            for v in page["items"]
        ],
    }


@router.get(
    "/townships", summary="无市级领导联系的乡镇（街道）", **documented(TownshipGapPage, *ERRORS)
)
def townships(request, filters: Query[CoverageFilters], paging: Query[PageParams]):
    """Townships no city leader liaised with on the day."""
    cov = _coverage(request, filters)
    page = page_of(cov.townships_without_leader(), paging)
    return {
        "count": page["count"],
        "items": [
            {
                "id": t.pk,
                "name": t.short_name,
                "code": t.code,
                "villages": cov.village_counts.get(t.pk, 0),
                "households": _ratio(cov.township_households.get(t.pk)),
            }
            for t in page["items"]
        ],
    }


@router.get(
    "/regions", summary="分乡镇、村（社区）覆盖情况", **documented(CoverageRegionPage, *ERRORS)
)
def regions(request, filters: Query[CoverageFilters], paging: Query[PageParams]):
    """Townships with their liaising leaders, each with its villages, their responsible units
    and their households' coverage (paged by township)."""
    rows = _coverage(request, filters).region_rows()
    items = [
        {
            "id": t.township.pk,
            "name": t.township.short_name,
            "leaders": t.leaders,
            "households": _ratio(t.households),
            "villages_with_unit": _ratio(t.villages_with_unit),
            "villages": [
                {
                    "id": v.village.pk,
                    "name": v.village.short_name,
                    "units": v.units,
                    "households": _ratio(v.households),
                }
                for v in t.villages
            ],
        }
        for t in rows
    ]
    return _list_page(items, paging)


@router.get("/units", summary="分单位结对情况", **documented(CoverageUnitPage, *ERRORS))
def units(request, filters: Query[CoverageFilters], paging: Query[PageParams]):
    """Units with their eligible cadres' loads against their bounds, and their zone's
    coverage on the day."""
    rows = _coverage(request, filters).unit_rows()
    items = [
        {
            "unit": {"id": u.unit.pk, "name": u.unit.name},
            "min_load": u.min_load,
            "max_load": u.max_load,
            "cadres": _ratio(u.cadres),
            "loads": u.loads.as_dict(),
            "zone": [_region(v) for v in u.zone],
            "zone_households": _ratio(u.zone_households),
        }
        for u in rows
    ]
    return _list_page(items, paging)
