"""/api/pairing: automatic pairing runs, their previews and changes, the pairing policy, and
a household's cadre on a given day — the same rows and rules as the pages (run_views.py).

City administrators start and apply runs; leaders read; everyone else gets 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404
from ninja import Field, Query, Router, Schema, Status

from lianxin.core.access import get_visible_or_404
from lianxin.core.api import ANSWER_CONFIG, PageParams, Ref, documented, page_of
from lianxin.core.errors import Refused
from lianxin.core.models import today
from lianxin.geo.models import tree_order
from lianxin.people.models import Household

from . import engine, services
from .choices import ChangeKind
from .models import PairingRun
from .policy import policy_for

router = Router(tags=["自动结对"])

READ_ERRORS = (404, 422)
WRITE_ERRORS = (400, 403, 404, 409, 422)
NOT_FOUND = "对象不存在或不在您的权限范围内"


def _reader(request: Any) -> Any:
    user = request.user
    if not user.reads_pairing:
        raise Http404(NOT_FOUND)
    return user


def _writer(request: Any) -> Any:
    user = request.user
    if not user.manages_pairing:
        raise Http404(NOT_FOUND)
    return user


# --- schemas ----------------------------------------------------------------------------------


class RunOut(Schema):
    model_config = ANSWER_CONFIG

    id: int
    status: str
    status_label: str
    created_at: dt.datetime
    created_by: str = Field(description="发起人；命令行或定时任务为“系统”")
    finished_at: dt.datetime | None
    applied_at: dt.datetime | None
    progress_done: int
    progress_total: int = Field(description="求解分区数；计算中时按分区报告进度")
    phase: str = ""
    note: str = ""
    error: str = ""
    counts: dict[str, int] | None = Field(
        None, description="new 新结对、ended 结束结对、kept 保持、uncovered 仍无干部的户等"
    )
    coverage: dict[str, dict[str, int]] | None = Field(
        None, description="before/after：已有干部的户、须覆盖的户、有联系户的干部、可参与结对的干部"
    )
    budget_seconds: int | None = Field(None, description="本次计算的时限（秒，墙钟时间）")
    budget_exhausted: bool | None = Field(
        None, description="时限已到，计算停在已找到的最好方案；计算完成后才有"
    )
    unproven_components: int | None = Field(
        None,
        description="结果未能证明最优的分区数（明细见详情 summary.unproven）；计算完成后才有。"
        "这样的预览可以直接执行，也可以放宽时限重新计算",
    )


class RunPage(Schema):
    count: int
    items: list[RunOut]


class RunDetailOut(RunOut):
    summary: dict[str, Any] = Field(
        description="预览的完整摘要：policy、units（每单位户数、差、拆分的组、空闲干部、新/结束/保持、"
        "unproven 未证明最优的项）、villages、shortfalls（message_zh）、objective、status、"
        "unproven（未能证明最优的分区：units、households、tiers、tiers_zh、reason）、"
        "coverage_proved、budget（seconds、exhausted、within）、solver_seconds、wall_seconds"
    )


class ChangeOut(Schema):
    kind: str
    kind_label: str
    household: Ref
    cadre: Ref
    unit: Ref
    village: Ref
    reason: str


class ChangePage(Schema):
    count: int
    items: list[ChangeOut]


class ChangeQuery(Schema):
    kind: str | None = Field(None, description="new 新结对 / ended 结束结对")
    unit: int | None = Field(
        None, description="单位 id（新结对按新干部的单位，结束按原干部的单位）"
    )
    village: int | None = Field(None, description="村（社区）id")


class RunIn(Schema):
    note: str = Field("", max_length=200, description="说明（记入审计）")
    time_limit: float | None = Field(
        None,
        description=(
            "整次计算用于减少拆分组的求解量（确定性秒数，0 为只用最小费用流，"
            f"默认 {engine.DEFAULT_TIME_LIMIT}）"
        ),
    )
    budget_seconds: int | None = Field(
        None,
        description="本次计算的时限（秒，墙钟时间）：默认按结对规则的默认值，不能超过规则规定的上限",
    )


class PairingPolicyOut(Schema):
    coverage: str
    coverage_label: str
    hardship_kinds: list[str]
    regions: list[Ref]
    min_load: int
    max_load: int
    keep_groups_together: bool
    exclude_city_leaders: bool
    run_budget: int = Field(description="自动结对默认计算时限（秒）")
    run_budget_max: int = Field(description="自动结对计算时限上限（秒）")
    unit_overrides: list[dict[str, Any]]


class BudgetIn(Schema):
    run_budget: int = Field(description="默认计算时限（秒），不大于上限")
    run_budget_max: int = Field(description="计算时限上限（秒），10–1800")


class CadreOnOut(Schema):
    on: dt.date
    cadre: Ref | None
    unit: Ref | None


def _run(run: PairingRun) -> dict[str, Any]:
    s = run.summary or {}
    return {
        "id": run.pk,
        "status": run.status,
        "status_label": run.get_status_display(),
        "created_at": run.created_at,
        "created_by": str(run.created_by) if run.created_by else "系统",
        "finished_at": run.finished_at,
        "applied_at": run.applied_at,
        "progress_done": run.progress_done,
        "progress_total": run.progress_total,
        "phase": run.phase,
        "note": s.get("note", ""),
        "error": run.error,
        "counts": s.get("counts"),
        "coverage": s.get("coverage"),
        "budget_seconds": (s.get("params") or {}).get("budget_seconds"),
        "budget_exhausted": (s.get("budget") or {}).get("exhausted"),
        "unproven_components": len(s["unproven"]) if "unproven" in s else None,
    }


# --- endpoints --------------------------------------------------------------------------------


@router.get("/runs", summary="自动结对列表", **documented(RunPage, *READ_ERRORS))
def list_runs(request, paging: Query[PageParams]):
    """The county's runs, newest first."""
    user = _reader(request)
    page = page_of(PairingRun.objects.visible_to(user).select_related("created_by", "job"), paging)
    return {"count": page["count"], "items": [_run(r) for r in page["items"]]}


@router.post("/runs", summary="计算自动结对预览", **documented(RunOut, *WRITE_ERRORS, status=201))
def start_run(request, payload: RunIn):
    """Start a dry run in the background (nothing is paired); poll GET /runs/{id} for progress.
    409 while another run of the county is computing."""
    user = _writer(request)
    run = services.do_start_pairing_run(
        county=user.county_id,
        acting_user=user,
        note=payload.note,
        time_limit=payload.time_limit,
        budget=payload.budget_seconds,
    )
    run.refresh_from_db()
    return Status(201, _run(run))


@router.get("/runs/{run_id}", summary="自动结对详情", **documented(RunDetailOut, *READ_ERRORS))
def get_run(request, run_id: int):
    """One run: progress while it computes, then the whole preview summary."""
    user = _reader(request)
    run = get_visible_or_404(PairingRun, user, run_id)
    return {**_run(run), "summary": run.summary or {}}


@router.post(
    "/runs/{run_id}/cancel", summary="取消自动结对计算", **documented(RunOut, 403, 404, 409, 422)
)
def cancel_run(request, run_id: int):
    """Cancel a queued or computing run: a queued one at once (status cancelled), a computing
    one within a second or two (status stays running with phase "正在取消" until then). 409
    once the run has finished."""
    user = _writer(request)
    run = get_visible_or_404(PairingRun, user, run_id, write=True)
    run = services.do_cancel_pairing_run(run, acting_user=user)
    return _run(run)


@router.get(
    "/runs/{run_id}/changes", summary="自动结对变化明细", **documented(ChangePage, *READ_ERRORS)
)
def list_changes(request, run_id: int, filters: Query[ChangeQuery], paging: Query[PageParams]):
    """The pairings the run starts or ends, by unit and village."""
    user = _reader(request)
    run = get_visible_or_404(PairingRun, user, run_id)
    rows = run.changes.select_related("household", "cadre", "unit", "village").order_by(
        "unit__name", "village_id", "kind", "household__number"
    )
    if filters.kind:
        if filters.kind not in ChangeKind.values:
            raise Refused("变化类型只能是 new 或 ended", field="kind", status=422)
        rows = rows.filter(kind=filters.kind)
    if filters.unit is not None:
        rows = rows.filter(unit_id=filters.unit)
    if filters.village is not None:
        rows = rows.filter(village_id=filters.village)
    page = page_of(rows, paging)
    return {
        "count": page["count"],
        "items": [
            {
                "kind": c.kind,
                "kind_label": c.get_kind_display(),
                "household": {"id": c.household_id, "name": c.household.number},
                "cadre": {"id": c.cadre_id, "name": c.cadre.name},
                "unit": {"id": c.unit_id, "name": c.unit.name},
                "village": {"id": c.village_id, "name": c.village.short_name},
                "reason": c.reason,
            }
            for c in page["items"]
        ],
    }


@router.post(
    "/runs/{run_id}/apply", summary="执行自动结对", **documented(RunOut, 403, 404, 409, 422)
)
def apply_run(request, run_id: int):
    """Write the preview in one transaction (one audit row). 409 when the run is not a waiting
    preview or the county changed since it was computed (then recompute)."""
    user = _writer(request)
    run = get_visible_or_404(PairingRun, user, run_id, write=True)
    services.do_apply_pairing_run(run, acting_user=user)
    run.refresh_from_db()
    return _run(run)


@router.get("/policy", summary="结对规则", **documented(PairingPolicyOut, 404))
def get_policy(request):
    user = _reader(request)
    return _policy(policy_for(user.county_id))


@router.put(
    "/policy/budget",
    summary="设置自动结对计算时限",
    **documented(PairingPolicyOut, 400, 403, 404, 422),
)
def set_budget(request, payload: BudgetIn):
    """The default and the most wall-clock seconds a run may compute; a run started with a
    budget above the maximum is refused (400)."""
    user = _writer(request)
    policy = services.do_set_run_budget(
        county=user.county_id,
        acting_user=user,
        run_budget=payload.run_budget,
        run_budget_max=payload.run_budget_max,
    )
    return _policy(policy)


def _policy(policy: Any) -> dict[str, Any]:
    described = engine.describe_policy(policy)
    return {
        **{k: described[k] for k in ("coverage", "coverage_label", "hardship_kinds")},
        "regions": [
            {"id": r.pk, "name": r.short_name} for r in policy.regions.order_by(*tree_order())
        ],
        **{
            k: described[k]
            for k in (
                "min_load",
                "max_load",
                "keep_groups_together",
                "exclude_city_leaders",
                "run_budget",
                "run_budget_max",
            )
        },
        "unit_overrides": [
            {
                "unit": {"id": o.unit_id, "name": o.unit.name},
                "min_load": o.min_load,
                "max_load": o.max_load,
            }
            for o in policy.unit_overrides.select_related("unit").order_by("unit__name")
        ],
    }


@router.get(
    "/households/{household_id}/cadre",
    summary="某日的结对干部",
    **documented(CadreOnOut, *READ_ERRORS),
)
def household_cadre(request, household_id: int, on: dt.date | None = None):
    """Who was (or is) the household's cadre on the day — history is never overwritten.
    Anyone who may see the household may ask."""
    household = get_visible_or_404(Household, request.user, household_id)
    day = on or today()
    cadre = services.cadre_on(household, day)
    return {
        "on": day,
        "cadre": {"id": cadre.pk, "name": cadre.name} if cadre else None,
        "unit": {"id": cadre.unit_id, "name": cadre.unit.name} if cadre else None,
    }
