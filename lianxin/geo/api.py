"""/api/regions: the region tree with the drill-down's counts, scoped like the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Query, Router, Schema

from lianxin.core.api import PageParams, RowId, documented, page_of

from .choices import Level
from .filters import (
    RegionCounts,
    child_counts,
    children_of,
    filter_regions,
    get_region_or_404,
    region_totals,
    visible_regions,
)
from .models import Region, RegionChange, tree_order

router = Router(tags=["区划"])


class RegionRef(Schema):
    id: int
    level: str
    name: str
    short_name: str


class RegionOut(Schema):
    id: int
    level: str = Field(description="township 乡镇（街道）/ village 村（社区）/ group 组（网格）")
    level_label: str
    code: str = Field(description="统计区划代码，未知时为空")
    name: str
    short_name: str
    parent_id: int | None
    valid_from: dt.date
    valid_to: dt.date | None = Field(description="撤销后的最后一天；现行区划为空")
    successor_id: int | None

    @staticmethod
    def resolve_level_label(obj: Region) -> str:
        return obj.get_level_display()


class CountsOut(Schema):
    villages: int
    groups: int
    households: int
    residents: int
    hardship_households: int = Field(description="当前登记有困难类型的户数")


class RegionChildOut(RegionOut):
    counts: CountsOut


class RegionChangeOut(Schema):
    kind: str
    kind_label: str
    effective_on: dt.date
    before: dict[str, Any]
    after: dict[str, Any]
    note: str

    @staticmethod
    def resolve_kind_label(obj: RegionChange) -> str:
        return obj.get_kind_display()


class RegionDetailOut(RegionOut):
    """A region with what the drill-down page shows; the view attaches the computed parts
    (counts depend on the user's scope) as `detail`."""

    ancestors: list[RegionRef] = Field(description="从乡镇到上级区划")
    successor: RegionRef | None = Field(description="撤并后归入的区划")
    totals: CountsOut = Field(description="本区划内（您权限范围内）的合计")
    children: list[RegionChildOut] = Field(description="下级区划及各自的数量")
    ungrouped: CountsOut | None = Field(description="村（社区）直属、未分到组的户")
    changes: list[RegionChangeOut]

    @staticmethod
    def resolve_ancestors(obj: Region) -> list[Region]:
        return obj.detail["ancestors"]  # type: ignore[attr-defined]

    @staticmethod
    def resolve_totals(obj: Region) -> dict[str, int]:
        return obj.detail["totals"]  # type: ignore[attr-defined]

    @staticmethod
    def resolve_children(obj: Region) -> list[Region]:
        return obj.detail["children"]  # type: ignore[attr-defined]

    @staticmethod
    def resolve_ungrouped(obj: Region) -> dict[str, int] | None:
        return obj.detail["ungrouped"]  # type: ignore[attr-defined]

    @staticmethod
    def resolve_changes(obj: Region) -> list[RegionChange]:
        return obj.detail["changes"]  # type: ignore[attr-defined]


class RegionPage(Schema):
    count: int
    items: list[RegionOut]


class RegionFilters(PageParams):
    level: Level | None = Field(None, description="层级：township / village / group")
    parent: RowId | None = Field(None, description="上级区划 id")
    include_ended: bool = Field(False, description="包含已撤销的区划")
    q: str | None = Field(None, description="名称或代码（前缀）")


@router.get(
    "",
    summary="区划列表",
    description="您权限范围内的区划；默认不含已撤销的。",
    **documented(RegionPage, 401, 422),
)
def region_list(request, filters: Query[RegionFilters]):
    params = filters.dict(exclude_none=True)
    qs = filter_regions(visible_regions(request.user), params).order_by(*tree_order())
    return page_of(qs, filters)


@router.get(
    "/{region_id}",
    summary="区划详情",
    description="区划本身、上级链、合计、下级区划及其户数/居民数/困难群众户数、变更记录。",
    **documented(RegionDetailOut, 401, 404, 422),
)
def region_detail(request, region_id: int, include_ended: bool = False):
    user = request.user
    region = get_region_or_404(user, region_id)
    children = children_of(user, region, include_ended=include_ended)
    counts = child_counts(user, children, region)
    for child in children:
        child.counts = counts.get(child.pk, RegionCounts()).as_dict()  # type: ignore[attr-defined]
    ungrouped = counts.get(region.pk)
    region.detail = {  # type: ignore[attr-defined]
        "ancestors": region.ancestors(),
        "totals": region_totals(user, region).as_dict(),
        "children": children,
        "ungrouped": ungrouped.as_dict() if ungrouped and ungrouped.households else None,
        "changes": list(RegionChange.objects.filter(region=region).order_by("effective_on", "id")),
    }
    return region
