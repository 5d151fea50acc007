"""/api/visits and /api/rates: recording a visit (idempotently, for an offline outbox),
correcting and withdrawing it, the visit history with its filters, and the rates with their
definitions. Scoped like every list (Visit.objects.visible_to); outside the scope is 404.

Residents appear only by id and name; ID numbers and phones never appear in these answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from ninja import Field, Header, Query, Router, Schema, Status

from lianxin.core.access import NOT_FOUND, get_visible_or_404
from lianxin.core.api import ERROR_TEXT, PageParams, Ref, RowId, documented, page_of
from lianxin.core.errors import Refused
from lianxin.core.fields import schema_field
from lianxin.core.models import today
from lianxin.geo.filters import get_region_or_404
from lianxin.people.models import Household

from . import filters, services
from .choices import HelpKind, VisitMode
from .models import Visit, VisitHousehold, VisitMember, VisitNeed
from .periods import PERIOD_HELP, parse_period
from .rates import DEFINITIONS, KEYS, LEVELS, Figure, RateRow, rates_for

router = Router(tags=["走访"])
rates_router = Router(tags=["走访统计"])


# --- schemas ----------------------------------------------------------------------------------


class VisitedIn(Schema):
    household_id: RowId
    met: bool = Field(True, description="见到人；false 为家中无人（或电话未接通）")
    members: list[RowId] = Field(
        default_factory=list, max_length=30, description="见到的成员（居民 id），可不填"
    )


class VisitNeedIn(Schema):
    household_id: RowId = Field(description="提出诉求的户，须是本次走访的户")
    text: str = schema_field(VisitNeed, "text", description="诉求内容")
    category: str = schema_field(VisitNeed, "category", "", description="诉求类别代码，可不填")


class VisitIn(Schema):
    households: list[VisitedIn] = Field(
        max_length=services.MAX_HOUSEHOLDS,
        description="走访的户：上门走访、电话等一户；院坝会/集中见面可多户",
    )
    occurred_on: dt.date = Field(description="走访日期（事后补记即可，不能晚于今天）")
    occurred_at: dt.time | None = Field(None, description="走访时间，可不填")
    mode: VisitMode = Field(description="方式")
    heard: str = schema_field(Visit, "heard", "", description="听：群众说了什么")
    notes: str = schema_field(Visit, "notes", "", description="记")
    help_kind: HelpKind | None = Field(None, description="帮扶类型，可不填")
    help_text: str = schema_field(Visit, "help_text", "", description="帮：做了什么")
    needs: list[VisitNeedIn] = Field(
        default_factory=list, max_length=services.MAX_NEEDS, description="反映的诉求"
    )


class VisitPatchIn(Schema):
    version: int = Field(
        ge=1, description="所修改记录的版本号（读取时的 version）；已被改过则返回 409"
    )
    households: list[VisitedIn] | None = Field(None, max_length=services.MAX_HOUSEHOLDS)
    occurred_on: dt.date | None = None
    occurred_at: dt.time | None = None
    mode: VisitMode | None = None
    heard: str | None = schema_field(Visit, "heard", None)
    notes: str | None = schema_field(Visit, "notes", None)
    help_kind: HelpKind | None = None
    help_text: str | None = schema_field(Visit, "help_text", None)
    needs: list[VisitNeedIn] | None = Field(None, max_length=services.MAX_NEEDS)


class VisitWithdrawIn(Schema):
    version: int | None = Field(None, ge=1, description="所撤回记录的版本号；已被改过则返回 409")
    reason: str = schema_field(Visit, "withdraw_reason", "", description="撤回原因")


class VisitMemberOut(Schema):
    id: int
    name: str


class VisitHouseholdRef(Schema):
    id: int
    number: str = Field(description="户号")


class VisitHouseholdOut(Schema):
    household: VisitHouseholdRef
    met: bool
    members: list[VisitMemberOut]
    pairing_id: int | None = Field(description="本次走访所服务的结对")


class VisitNeedOut(Schema):
    id: int
    household_id: int
    text: str
    category: str


class VisitOut(Schema):
    id: int
    cadre: Ref
    occurred_on: dt.date
    occurred_at: dt.time | None
    mode: str
    mode_label: str
    heard: str
    notes: str
    help_kind: str
    help_kind_label: str
    help_text: str
    households: list[VisitHouseholdOut] = Field(description="您范围内的走访户")
    needs: list[VisitNeedOut]
    photos: int = Field(description="照片张数")
    author: str | None = Field(description="登记人；系统导入时为空")
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    editable_until: dt.datetime = Field(description="登记人可修改、撤回到此时（登记后7天）")
    editable: bool = Field(description="当前账号现在能否修改")
    withdrawn_at: dt.datetime | None
    withdraw_reason: str


class VisitPage(Schema):
    count: int = Field(
        description="符合条件的走访条数，最多计到上限（默认 10,000 条，见 count_capped）"
    )
    count_capped: bool = Field(
        description="true：符合条件的超过 count 条，没有全部计数；请用日期等条件缩小范围"
    )
    items: list[VisitOut]


class VisitFilters(Schema):
    household: RowId | None = Field(None, description="户 id")
    cadre: RowId | None = Field(None, description="干部 id")
    from_: dt.date | None = Field(None, alias="from", description="起始日期（含）")
    to: dt.date | None = Field(None, description="结束日期（含）")
    mode: VisitMode | None = Field(None, description="方式")
    withdrawn: bool = Field(False, description="true：包括已撤回的走访")


# --- answers ----------------------------------------------------------------------------------


def visit_rows(qs: QuerySet[Visit], user: Any) -> QuerySet[Visit]:
    """Visits with what their answer shows, in a fixed number of queries."""
    members = VisitMember.objects.select_related("resident").order_by("id")
    rows = (
        VisitHousehold.objects.visible_to(user)
        .select_related("household")
        .prefetch_related(Prefetch("member_rows", queryset=members))
        .order_by("id")
    )
    return qs.select_related("cadre", "author").prefetch_related(
        Prefetch("households", queryset=rows),
        Prefetch("needs", queryset=VisitNeed.objects.visible_to(user).order_by("id")),
        "photos",
    )


def visit_out(v: Visit, user: Any) -> dict[str, Any]:
    return {
        "id": v.pk,
        "cadre": {"id": v.cadre_id, "name": v.cadre.name},
        "occurred_on": v.occurred_on,
        "occurred_at": v.occurred_at,
        "mode": v.mode,
        "mode_label": v.get_mode_display(),
        "heard": v.heard,
        "notes": v.notes,
        "help_kind": v.help_kind,
        "help_kind_label": v.get_help_kind_display() if v.help_kind else "",
        "help_text": v.help_text,
        "households": [
            {
                "household": {"id": r.household_id, "number": r.household.number},
                "met": r.met,
                "members": [
                    {"id": m.resident_id, "name": m.resident.name} for m in r.member_rows.all()
                ],
                "pairing_id": r.pairing_id,
            }
            for r in v.households.all()
        ],
        "needs": [
            {"id": n.pk, "household_id": n.household_id, "text": n.text, "category": n.category}
            for n in v.needs.all()
        ],
        "photos": len(v.photos.all()),
        "author": str(v.author) if v.author else None,
        "version": v.version,
        "created_at": v.created_at,
        "updated_at": v.updated_at,
        "editable_until": v.editable_until,
        "editable": v.author_id == user.pk and v.is_editable(),
        "withdrawn_at": v.withdrawn_at,
        "withdraw_reason": v.withdraw_reason,
    }


def _one(pk: int, user: Any) -> dict[str, Any]:
    return visit_out(visit_rows(Visit.objects.filter(pk=pk), user).get(), user)


def _households(user: Any, ids: list[int]) -> dict[int, Household]:
    """The households named in a body. The service refuses (404) any the recording cadre was
    never paired with — the pairing is a cadre's scope for writing, including households since
    handed over, which Household.visible_to no longer shows them."""
    found = Household.objects.filter(county_id=user.county_id, pk__in=ids).in_bulk()
    if len(found) != len(set(ids)):
        raise Refused(NOT_FOUND, field="households", status=404)
    return found


def _entries(user: Any, households: list[VisitedIn], needs: list[VisitNeedIn]):
    found = _households(
        user, [h.household_id for h in households] + [n.household_id for n in needs]
    )
    entries = [
        services.Visited(found[h.household_id], met=h.met, members=tuple(h.members))
        for h in households
    ]
    need_rows = [services.Need(found[n.household_id], n.text, n.category) for n in needs]
    return entries, need_rows


# --- endpoints --------------------------------------------------------------------------------

CREATED = documented(VisitOut, 400, 403, 404, 422, status=201)
CREATED["response"][200] = VisitOut
CREATED["openapi_extra"]["responses"][200] = {
    "description": "重发：同一 Idempotency-Key、同一内容，返回当初登记的记录，不会重复登记"
}
CREATED["openapi_extra"]["responses"][422] = {
    "description": ERROR_TEXT[422] + "；或同一 Idempotency-Key 已用于内容不同的走访"
}


@router.post(
    "",
    summary="登记走访",
    description="干部本人登记对其结对户的走访（可事后补记）。带 Idempotency-Key（UUID）头时，"
    "重发同一内容返回 200 和原记录；同一个键、不同内容返回 422。",
    **CREATED,
)
def visit_create(
    request,
    payload: VisitIn,
    idempotency_key: str | None = Header(
        None, alias="Idempotency-Key", description="客户端生成的 UUID；离线重发时原样带上"
    ),
):
    entries, needs = _entries(request.user, payload.households, payload.needs)
    body = payload.model_dump(mode="json")
    recorded = services.do_record_visit(
        acting_user=request.user,
        households=entries,
        occurred_on=payload.occurred_on,
        occurred_at=payload.occurred_at,
        mode=payload.mode,
        heard=payload.heard,
        notes=payload.notes,
        help_kind=payload.help_kind or "",
        help_text=payload.help_text,
        needs=needs,
        idempotency_key=(idempotency_key or "").strip() or None,
        request_hash=services.fingerprint(body) if idempotency_key else "",
    )
    return Status(201 if recorded.created else 200, _one(recorded.visit.pk, request.user))


@router.get(
    "",
    summary="走访记录",
    description="按户、干部、日期、方式筛选；默认不含已撤回的走访。",
    **documented(VisitPage, 422),
)
def visit_list(request, filters: Query[VisitFilters], paging: Query[PageParams]):
    qs = filter_visits(Visit.objects.visible_to(request.user), filters)
    # The county's history is a million rows: counted up to the cap on every request.
    page = page_of(visit_rows(qs, request.user), paging, cap=settings.LIANXIN_COUNT_CAP)
    return {**page, "items": [visit_out(v, request.user) for v in page["items"]]}


def filter_visits(qs: QuerySet[Visit], f: VisitFilters) -> QuerySet[Visit]:
    """The history's filters, shared with the page list (visits.filters)."""
    return filters.filter_visits(
        qs,
        household=f.household,
        cadre=f.cadre,
        start=f.from_,
        end=f.to,
        mode=f.mode,
        withdrawn=f.withdrawn,
    )


@router.get("/{visit_id}", summary="走访详情", **documented(VisitOut, 404, 422))
def visit_detail(request, visit_id: RowId):
    visit = get_visible_or_404(Visit, request.user, visit_id)
    return _one(visit.pk, request.user)


@router.patch(
    "/{visit_id}",
    summary="修改走访",
    description="登记人本人在登记后7天内可改；须带读取时的 version，记录已被改过则返回 409。"
    "只改提交的字段；households、needs 提交时整体替换。",
    **documented(VisitOut, 400, 403, 404, 409, 422),
)
def visit_edit(request, visit_id: RowId, payload: VisitPatchIn):
    visit = get_visible_or_404(Visit, request.user, visit_id)
    given = payload.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {}
    for name in ("occurred_on", "occurred_at", "mode"):
        if name in given:
            changes[name] = getattr(payload, name)
    for name in ("heard", "notes", "help_text", "help_kind"):
        if name in given:
            changes[name] = getattr(payload, name) or ""
    if "households" in given or "needs" in given:
        entries, needs = _entries(request.user, payload.households or [], payload.needs or [])
        if payload.households is not None:
            changes["households"] = entries
        if payload.needs is not None:
            changes["needs"] = needs
    if "occurred_on" in changes and changes["occurred_on"] is None:
        raise Refused("走访日期不能为空", field="occurred_on")
    if "mode" in changes and changes["mode"] is None:
        raise Refused("走访方式不能为空", field="mode")
    services.do_edit_visit(
        visit, acting_user=request.user, expected_version=payload.version, **changes
    )
    return _one(visit.pk, request.user)


@router.post(
    "/{visit_id}/withdraw",
    summary="撤回走访",
    description="登记人本人在登记后7天内可撤回误登的走访；撤回的走访不计入走访计划和各项比率。",
    **documented(VisitOut, 400, 403, 404, 409, 422),
)
def visit_withdraw(request, visit_id: RowId, payload: VisitWithdrawIn):
    visit = get_visible_or_404(Visit, request.user, visit_id)
    services.do_withdraw_visit(
        visit, acting_user=request.user, reason=payload.reason, expected_version=payload.version
    )
    return _one(visit.pk, request.user)


# --- rates ------------------------------------------------------------------------------------


class RateFigureOut(Schema):
    numerator: int
    denominator: int
    rate: float | None = Field(description="百分数，一位小数向下取整；分母为0时为空")
    percent: str = Field(description="如 93.7%；分母为0时为 —")
    definition: str


class RateRowOut(Schema):
    id: int | None = Field(description="户、干部、单位或区划的 id；合计行为空")
    name: str
    households: int = Field(description="结对户")
    met: int = Field(description="当面见到的结对户")
    talked: int = Field(description="有过交谈的结对户")
    visits: int = Field(description="走访次数")
    overdue: int = Field(description="逾期户数")
    confirmed: int = Field(description="群众本人确认联系过的结对户")
    meeting_rate: RateFigureOut = Field(description="见面率")
    dialogue_rate: RateFigureOut = Field(description="对话率")
    confirmation_rate: RateFigureOut = Field(description="群众确认率（只作参考）")


class RateDefinitionsOut(Schema):
    households: str
    meeting_rate: str
    dialogue_rate: str
    visits: str
    overdue: str
    confirmation_rate: str


class RatePeriodOut(Schema):
    code: str
    label: str
    start: dt.date
    end: dt.date


class RatesOut(Schema):
    period: RatePeriodOut
    level: str
    level_label: str
    on: dt.date = Field(description="逾期户数的统计日")
    definitions: RateDefinitionsOut
    total: RateRowOut = Field(description="范围合计（按户计，每户一次）")
    count: int
    items: list[RateRowOut]


class RateFilters(Schema):
    period: str | None = Field(
        None, max_length=40, description=f"统计期间：{PERIOD_HELP}；默认本月"
    )
    level: str = Field(
        "township", description="统计层级：" + "、".join(f"{k}（{v}）" for k, v in LEVELS.items())
    )
    region: RowId | None = Field(None, description="只统计该区划（乡镇或村）内的户")


def _figure(f: Figure) -> dict[str, Any]:
    return f.as_dict()


def _rate_row(r: RateRow) -> dict[str, Any]:
    return {
        "id": r.id,
        "name": r.name,
        "households": r.households,
        "met": r.met,
        "talked": r.talked,
        "visits": r.visits,
        "overdue": r.overdue,
        "confirmed": r.confirmed,
        "meeting_rate": _figure(r.meeting_rate),
        "dialogue_rate": _figure(r.dialogue_rate),
        "confirmation_rate": _figure(r.confirmation_rate),
    }


@rates_router.get(
    "",
    summary="见面率、对话率、走访次数、逾期户数、群众确认率",
    description="按期间（月、季度、年、日期范围）和层级（户、干部、单位、村、乡镇、县）统计，"
    "每个数字附口径。范围按当前账号的权限。",
    **documented(RatesOut, 400, 403, 404, 422),
)
def rates(request, filters: Query[RateFilters], paging: Query[PageParams]):
    user = request.user
    if not user.sees_people:
        raise Refused("当前账号不查看走访统计", status=403)
    if filters.level not in KEYS:
        raise Refused(
            f"无法识别的统计层级“{filters.level[:20]}”，可选：{'、'.join(KEYS)}", field="level"
        )
    region = get_region_or_404(user, filters.region) if filters.region else None
    period = parse_period(filters.period, default=today())
    result = rates_for(user, period, filters.level, region=region)
    rows = result.rows[paging.offset : paging.offset + paging.limit]
    return {
        "period": {
            "code": period.code,
            "label": period.label,
            "start": period.start,
            "end": period.end,
        },
        "level": result.level,
        "level_label": LEVELS[result.level],
        "on": result.on,
        "definitions": DEFINITIONS,
        "total": _rate_row(result.total),
        "count": len(result.rows),
        "items": [_rate_row(r) for r in rows],
    }
