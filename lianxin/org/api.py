"""Units, cadres and leader liaisons as data: the same rows and filters as the pages
(org/filters.py), phones masked, objects outside the caller's scope answered 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from ninja import Field, Query, Router, Schema

from lianxin.core.access import get_visible_or_404
from lianxin.core.api import PageParams, Ref, RowId, documented, page_of
from lianxin.core.errors import Refused
from lianxin.people.services import do_reveal

from .filters import (
    CadreFilter,
    FilterSet,
    LiaisonFilter,
    UnitFilter,
    cadre_rows,
    leader_rows,
    liaison_rows,
    query_params,
    require_registry_reader,
    unit_rows,
)
from .models import Cadre, Unit
from .views import cadre_facts, liaison_summary, unit_facts

router = Router(tags=["单位与干部"])


def filtered(filterset: FilterSet, qs: QuerySet) -> QuerySet:
    """The queryset narrowed by a filter set, or 422 naming the first bad parameter."""
    if not filterset.is_valid():
        field, message = filterset.first_error()
        raise Refused(message, field=field, status=422)
    return filterset.apply(qs)


# --- schemas ----------------------------------------------------------------------------------


class ZoneOut(Schema):
    id: int
    village: Ref
    township: Ref | None
    valid_from: dt.date
    valid_to: dt.date | None
    current: bool


class UnitCadreOut(Schema):
    id: int
    staff_no: str
    name: str
    post: str
    phone_masked: str = Field(description="脱敏电话；完整号码见 POST /api/cadres/{id}/reveal")
    is_city_leader: bool
    paired_households: int


class UnitOut(Schema):
    id: int
    name: str
    short_name: str
    kind: str
    kind_label: str
    handles_demands: bool
    township: Ref | None
    active_cadres: int
    paired_households: int
    zones: list[Ref] = Field(description="当前责任区村（社区）")


class UnitCounts(Schema):
    active_cadres: int
    left_cadres: int
    current_zones: int
    zone_households: int
    zone_households_paired: int
    paired_households: int


class UnitDetailOut(Schema):
    id: int
    name: str
    short_name: str
    kind: str
    kind_label: str
    handles_demands: bool
    township: Ref | None
    phone: str = Field(description="办公电话（单位座机，不脱敏）")
    dissolved_on: dt.date | None
    counts: UnitCounts
    zones: list[ZoneOut] = Field(description="当前责任区")
    zone_history: list[ZoneOut] = Field(description="已结束或尚未开始的责任区")
    cadres: list[UnitCadreOut] = Field(description="在册干部职工")


class UnitPage(Schema):
    count: int
    items: list[UnitOut]


class CadreOut(Schema):
    id: int
    staff_no: str
    name: str
    unit: Ref
    post: str
    phone_masked: str
    is_city_leader: bool
    joined_on: dt.date
    left_on: dt.date | None
    paired_households: int


class CadrePage(Schema):
    count: int
    items: list[CadreOut]


class AssignmentOut(Schema):
    unit: Ref
    post: str
    valid_from: dt.date
    valid_to: dt.date | None


class LiaisonOut(Schema):
    id: int
    township: Ref
    valid_from: dt.date
    valid_to: dt.date | None


class CadreDetailOut(CadreOut):
    assignments: list[AssignmentOut]
    liaisons: list[LiaisonOut] = Field(description="市级领导联系乡镇的记录（含已结束）")


class TownshipLeaderOut(Schema):
    liaison_id: int
    leader: Ref
    post: str
    valid_from: dt.date


class TownshipLiaisonsOut(Schema):
    township: Ref
    leaders: list[TownshipLeaderOut] = Field(description="当前联系该乡镇的市级领导；空表示缺口")


class LiaisonSummary(Schema):
    townships: int
    covered: int
    uncovered: int
    leaders: int
    idle_leaders: int


class LiaisonPage(Schema):
    count: int
    summary: LiaisonSummary = Field(description="权限范围内全部乡镇和领导的统计，不受筛选影响")
    items: list[TownshipLiaisonsOut]


class CadreRevealIn(Schema):
    # The enum and the minimum length are documented here and enforced by do_reveal, which
    # answers 400 with its Chinese message (after the permission check, so 403 comes first).
    field: str = Field("phone", description="只能是 phone", json_schema_extra={"enum": ["phone"]})
    reason: str = Field(
        description="查看事由，至少 2 个字，记入审计日志", json_schema_extra={"minLength": 2}
    )


class CadreRevealOut(Schema):
    field: str
    value: str


# --- filters as query parameters (the same names as the pages' GET forms) --------------------


class UnitQuery(Schema):
    kind: str | None = Field(None, description="单位类型，如 party_organ、city_department")
    handles_demands: bool | None = Field(None, description="是否承办诉求")
    township: RowId | None = Field(None, description="乡镇 id：驻该乡镇或负责其村（社区）的单位")
    name: str | None = Field(None, description="名称或简称包含")


class CadreQuery(Schema):
    unit: RowId | None = Field(None, description="单位 id")
    city_leader: bool | None = Field(None, description="是否市级领导")
    status: str | None = Field(None, description="active（默认，在册）、left（已退出）或 all")
    q: str | None = Field(None, description="姓名包含，或拼音首字母开头，或人员编号")


class LiaisonQuery(Schema):
    township: RowId | None = Field(None, description="乡镇 id")
    uncovered: bool | None = Field(None, description="true：只列无领导联系的乡镇")


# --- serialisation ----------------------------------------------------------------------------


def _ref(obj: Any, name: str | None = None) -> dict[str, Any] | None:
    if obj is None:
        return None
    return {"id": obj.pk, "name": name if name is not None else str(obj)}


def _zone(z: Any) -> dict[str, Any]:
    return {
        "id": z.pk,
        "village": _ref(z.village, z.village.short_name),
        "township": _ref(z.village.parent, z.village.parent.short_name)
        if z.village.parent
        else None,
        "valid_from": z.valid_from,
        "valid_to": z.valid_to,
        "current": z.is_current(),
    }


def _unit_row(u: Unit) -> dict[str, Any]:
    return {
        "id": u.pk,
        "name": u.name,
        "short_name": u.short_name,
        "kind": u.kind,
        "kind_label": u.get_kind_display(),
        "handles_demands": u.handles_demands,
        "township": _ref(u.township),
        "active_cadres": u.active_cadres,  # type: ignore[attr-defined]
        "paired_households": u.paired_households,  # type: ignore[attr-defined]
        "zones": [_ref(z.village, z.village.short_name) for z in u.current_zones],  # type: ignore[attr-defined]
    }


def _cadre_row(c: Cadre, paired: int) -> dict[str, Any]:
    return {
        "id": c.pk,
        "staff_no": c.staff_no,
        "name": c.name,
        "unit": _ref(c.unit, c.unit.name),
        "post": c.post,
        "phone_masked": c.phone_masked,
        "is_city_leader": c.is_city_leader,
        "joined_on": c.joined_on,
        "left_on": c.left_on,
        "paired_households": paired,
    }


# --- endpoints --------------------------------------------------------------------------------


@router.get("/units", summary="单位列表", **documented(UnitPage, 404, 422))
def list_units(request, filters: Query[UnitQuery], paging: Query[PageParams]):
    """Units in the caller's scope, with the unit page's filters."""
    rows = filtered(UnitFilter(query_params(filters), user=request.user), unit_rows(request.user))
    page = page_of(rows, paging)
    return {"count": page["count"], "items": [_unit_row(u) for u in page["items"]]}


@router.get("/units/{unit_id}", summary="单位详情", **documented(UnitDetailOut, 404, 422))
def get_unit(request, unit_id: int):
    """One unit: current zones and their history, active cadres (phones masked), counts."""
    require_registry_reader(request.user)
    unit = get_visible_or_404(Unit, request.user, unit_id)
    facts = unit_facts(unit, request.user)
    return {
        "id": unit.pk,
        "name": unit.name,
        "short_name": unit.short_name,
        "kind": unit.kind,
        "kind_label": unit.get_kind_display(),
        "handles_demands": unit.handles_demands,
        "township": _ref(unit.township),
        "phone": unit.phone,
        "dissolved_on": unit.dissolved_on,
        "counts": facts["counts"],
        "zones": [_zone(z) for z in facts["zones"]],
        "zone_history": [_zone(z) for z in facts["zone_history"]],
        "cadres": [
            {
                "id": c.pk,
                "staff_no": c.staff_no,
                "name": c.name,
                "post": c.post,
                "phone_masked": c.phone_masked,
                "is_city_leader": c.is_city_leader,
                "paired_households": c.paired_households,
            }
            for c in facts["cadres"]
        ],
    }


@router.get("/cadres", summary="干部职工列表", **documented(CadrePage, 404, 422))
def list_cadres(request, filters: Query[CadreQuery], paging: Query[PageParams]):
    """Cadres in the caller's scope (active by default), with the cadre page's filters."""
    rows = filtered(CadreFilter(query_params(filters), user=request.user), cadre_rows(request.user))
    page = page_of(rows, paging)
    return {
        "count": page["count"],
        "items": [_cadre_row(c, c.paired_households) for c in page["items"]],
    }


def _cadre(request, cadre_id: int) -> Cadre:
    require_registry_reader(request.user)
    return get_visible_or_404(Cadre, request.user, cadre_id)


@router.get("/cadres/{cadre_id}", summary="干部职工详情", **documented(CadreDetailOut, 404, 422))
def get_cadre(request, cadre_id: int):
    """One cadre: unit, post, masked phone, assignment history, liaisons, paired households."""
    cadre = _cadre(request, cadre_id)
    facts = cadre_facts(cadre)
    return {
        **_cadre_row(cadre, facts["paired_households"]),
        "assignments": [
            {
                "unit": _ref(a.unit, a.unit.name),
                "post": a.post,
                "valid_from": a.valid_from,
                "valid_to": a.valid_to,
            }
            for a in facts["assignments"]
        ],
        "liaisons": [
            {
                "id": x.pk,
                "township": _ref(x.township, x.township.short_name),
                "valid_from": x.valid_from,
                "valid_to": x.valid_to,
            }
            for x in facts["liaisons"]
        ],
    }


@router.post(
    "/cadres/{cadre_id}/reveal",
    summary="查看干部完整电话",
    **documented(CadreRevealOut, 400, 403, 404, 422),
)
def reveal_cadre(request, cadre_id: int, payload: CadreRevealIn):
    """The cadre's full phone number, for accounts holding the reveal permission; the reason is
    recorded in the audit log. 403 without the permission, 400 for a reason under 2 characters,
    422 without one."""
    cadre = _cadre(request, cadre_id)
    value = do_reveal(cadre, payload.field, acting_user=request.user, reason=payload.reason)
    return {"field": payload.field, "value": value}


@router.get("/liaisons", summary="市级领导联系乡镇", **documented(LiaisonPage, 404, 422))
def list_liaisons(request, filters: Query[LiaisonQuery], paging: Query[PageParams]):
    """Townships in the caller's scope, each with its current city leaders (an empty list is a
    gap), and the coverage summary over the whole scope."""
    user = request.user
    rows = filtered(LiaisonFilter(query_params(filters), user=user), liaison_rows(user))
    page = page_of(rows, paging)
    summary = liaison_summary(list(liaison_rows(user)), list(leader_rows(user)))
    return {
        "count": page["count"],
        "summary": summary,
        "items": [
            {
                "township": _ref(t, t.short_name),
                "leaders": [
                    {
                        "liaison_id": x.pk,
                        "leader": _ref(x.leader, x.leader.name),
                        "post": x.leader.post,
                        "valid_from": x.valid_from,
                    }
                    for x in t.current_liaisons
                ],
            }
            for t in page["items"]
        ],
    }
