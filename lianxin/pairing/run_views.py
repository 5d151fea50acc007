"""Pages of automatic pairing (自动结对), the pairing policy and manual pairing.

The city administrator writes; a leader reads runs and the policy; everyone else gets 404
(PairingRun.objects.visible_to and the policy rows' visible_to). Writes go through the do_*
services in services.py; their refusals are shown beside the field they name.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from lianxin.core.access import get_visible_or_404
from lianxin.core.ending import day_text, ended_message
from lianxin.core.errors import Refused
from lianxin.core.forms import refuse_into
from lianxin.core.models import today
from lianxin.core.views import paginate, query_without_page
from lianxin.geo.models import tree_order
from lianxin.jobs.pages import tell_cancel
from lianxin.lib.numbers import percent_text
from lianxin.org.models import Cadre, Unit
from lianxin.people.models import Household

from . import services
from .choices import ChangeKind, RunStatus
from .forms import (
    BudgetForm,
    DateForm,
    ExclusionForm,
    ManualPairForm,
    PolicyForm,
    RunForm,
    UnitOverrideForm,
)
from .models import CadreExclusion, Pairing, PairingRun, UnitLoadOverride
from .policy import policy_for
from .repair_offer import offer_repair

NOT_FOUND = "对象不存在或不在您的权限范围内"
TABS = {"units": "按单位", "villages": "按村（社区）", "changes": "变化明细", "shortfalls": "缺口"}


def _reader(request: HttpRequest) -> Any:
    """City administrators and leaders; anyone else gets 404, as if the pages did not exist."""
    user = request.user
    if not user.is_authenticated or not user.reads_pairing:  # type: ignore[union-attr]
        raise Http404(NOT_FOUND)
    return user


def _writer(request: HttpRequest) -> Any:
    user = request.user
    if not user.is_authenticated or not user.manages_pairing:  # type: ignore[union-attr]
        raise Http404(NOT_FOUND)
    return user


def _hx_redirect(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect htmx follows as a full page load (an hx-post link), or a plain 302."""
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


# =============================================================================================
# Runs: list, start, preview with progress, apply


@login_required
@require_GET
def run_list(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    runs = PairingRun.objects.visible_to(user).select_related("created_by")
    return render(
        request,
        "pairing/run_list.html",
        {
            "page": paginate(request, runs, per_page=20),
            "query": query_without_page(request),
            "policy": policy_for(user.county_id),
        },
    )


@login_required
def run_create(request: HttpRequest) -> HttpResponse:
    """GET: what a dry run does, with one button; POST: start it and follow its progress."""
    user = _writer(request)
    policy = policy_for(user.county_id)
    if request.method != "POST":
        form = RunForm(initial={"note": request.GET.get("note", "")[:200]}, policy=policy)
        return _run_create_page(request, form)
    form = RunForm(request.POST, policy=policy)
    if not form.is_valid():
        return _run_create_page(request, form, status=400)
    try:
        run = services.do_start_pairing_run(
            county=user.county_id,
            acting_user=user,
            note=form.cleaned_data["note"],
            budget=form.cleaned_data["budget"],
        )
    except Refused as exc:
        if request.headers.get("HX-Request"):
            messages.error(request, exc.message)
            return _hx_redirect(request, reverse("pairing:run_list"))
        refuse_into(form, exc)
        return _run_create_page(request, form, status=exc.status)
    return _hx_redirect(request, reverse("pairing:run_detail", args=[run.pk]))


def _run_create_page(request: HttpRequest, form: RunForm, status: int = 200) -> HttpResponse:
    policy = policy_for(request.user.county_id)  # type: ignore[union-attr]
    busy = PairingRun.objects.visible_to(request.user).filter(
        status__in=(RunStatus.QUEUED, RunStatus.RUNNING)
    )
    return render(
        request,
        "pairing/run_create.html",
        {"form": form, "policy": policy, "busy": busy.first()},
        status=status,
    )


def _changes(request: HttpRequest, run: PairingRun) -> dict[str, Any]:
    """The run's changes, filtered by kind / unit / village (ids of the run's own rows)."""
    rows = run.changes.select_related("household", "cadre", "unit", "village").order_by(
        "unit__name", "village_id", "kind", "household__number"
    )
    kind = request.GET.get("kind", "")
    if kind in ChangeKind.values:
        rows = rows.filter(kind=kind)
    chosen: dict[str, int | None] = {}
    for name in ("unit", "village"):
        raw = request.GET.get(name, "")
        chosen[name] = int(raw) if raw.isdigit() else None
        if chosen[name] is not None:
            rows = rows.filter(**{f"{name}_id": chosen[name]})
    return {"page": paginate(request, rows), "kind": kind, "chosen": chosen}


def _run_context(request: HttpRequest, run: PairingRun) -> dict[str, Any]:
    tab = request.GET.get("tab", "units")
    if tab not in TABS:
        tab = "units"
    summary = run.summary or {}
    context: dict[str, Any] = {
        "run": run,
        "s": summary,
        "tab": tab,
        "tabs": TABS,
        "can_apply": request.user.manages_pairing  # type: ignore[union-attr]
        and run.status == RunStatus.PREVIEWED,
        "can_write": request.user.manages_pairing,  # type: ignore[union-attr]
        "query": query_without_page(request),
        "ready": run.status in (RunStatus.PREVIEWED, RunStatus.APPLIED, RunStatus.SUPERSEDED),
    }
    if not context["ready"]:
        return context
    context["coverage"] = _coverage_rows(summary.get("coverage", {}))
    if tab == "changes":
        context.update(_changes(request, run))
    elif tab == "villages":
        context["page"] = paginate(request, summary.get("villages", []))
    elif tab == "units":
        context["page"] = paginate(request, summary.get("units", []))
    return context


def _ratio(part: int, whole: int) -> dict[str, Any]:
    return {"part": part, "whole": whole, "percent": percent_text(part, whole)}


def _coverage_rows(coverage: dict[str, Any]) -> list[dict[str, Any]]:
    """Households and cadres covered, before the run and after it would be applied."""
    before, after = coverage.get("before", {}), coverage.get("after", {})
    return [
        {
            "label": label,
            "definition": definition,
            "before": _ratio(before.get(part, 0), before.get(whole, 0)),
            "after": _ratio(after.get(part, 0), after.get(whole, 0)),
        }
        for label, definition, part, whole in (
            (
                "户覆盖",
                "已有结对干部的户 ÷ 按结对规则须覆盖的户（结对干部已退出的，视为未结对）",
                "households_covered",
                "households_must",
            ),
            (
                "干部覆盖",
                "已联系至少1户的干部 ÷ 可参与结对的干部",
                "cadres_paired",
                "cadres_eligible",
            ),
        )
    ]


@login_required
@require_GET
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _reader(request)
    run = get_visible_or_404(PairingRun, user, pk)
    return render(request, "pairing/run_detail.html", _run_context(request, run))


@login_required
@require_GET
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The status and progress bar alone: htmx polls it while the run computes."""
    user = _reader(request)
    run = get_visible_or_404(PairingRun, user, pk)
    response = render(
        request,
        "pairing/run_progress.html",
        {"run": run, "can_write": PairingRun.objects.writable_by(user).filter(pk=run.pk).exists()},
    )
    if request.headers.get("HX-Request") and run.status not in (
        RunStatus.QUEUED,
        RunStatus.RUNNING,
    ):
        # Finished: reload once to show the preview's tables.
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def run_apply(request: HttpRequest, pk: int) -> HttpResponse:
    user = _writer(request)
    run = get_visible_or_404(PairingRun, user, pk, write=True)
    try:
        services.do_apply_pairing_run(run, acting_user=user)
    except Refused as exc:
        run.refresh_from_db()
        context = _run_context(request, run)
        context["error"] = exc.message
        return render(request, "pairing/run_detail.html", context, status=exc.status)
    run.refresh_from_db()
    applied = run.summary.get("applied", {})
    if applied.get("new") or applied.get("ended"):
        messages.success(
            request,
            f"已执行：新结对 {applied.get('new', 0)} 户，结束结对 {applied.get('ended', 0)} 户，"
            f"自{applied.get('on')}起生效",
        )
    else:
        messages.success(request, "已执行：没有需要变动的结对")
    return redirect("pairing:run_detail", pk=run.pk)


@login_required
@require_POST
def run_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a queued or computing run; the page shows "正在取消" until the worker stops it."""
    user = _writer(request)
    run = get_visible_or_404(PairingRun, user, pk, write=True)
    tell_cancel(
        request,
        lambda: services.do_cancel_pairing_run(run, acting_user=user),
        cancelled=lambda r: f"自动结对 #{r.pk} 已取消，未写入任何结对",
        stopping=f"正在取消自动结对 #{run.pk}：当前分区算完即停止，不写入任何结对",
    )
    return redirect("pairing:run_detail", pk=run.pk)


# =============================================================================================
# The policy: rules, unit load overrides, cadre exclusions


def _policy_page(
    request: HttpRequest,
    *,
    form: PolicyForm | None = None,
    override_form: UnitOverrideForm | None = None,
    exclusion_form: ExclusionForm | None = None,
    budget_form: BudgetForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    county_id = user.county_id  # type: ignore[union-attr]
    policy = policy_for(county_id)
    units = Unit.objects.visible_to(user)
    exclusions = (
        CadreExclusion.objects.visible_to(user)
        .exclude(valid_to__lt=today())
        .select_related("cadre__unit")
        .order_by("valid_from", "id")
    )
    context = {
        "policy": policy,
        "overrides": UnitLoadOverride.objects.visible_to(user)
        .select_related("unit")
        .order_by("unit__name"),
        "page": paginate(request, exclusions),
        "query": query_without_page(request),
        "today": today(),
        "regions": list(policy.regions.select_related("parent__parent").order_by(*tree_order())),
    }
    if user.manages_pairing:  # type: ignore[union-attr]
        context["form"] = form or PolicyForm(
            initial=PolicyForm.initial_for(policy), county_id=county_id
        )
        context["override_form"] = override_form or UnitOverrideForm(units=units)
        context["budget_form"] = budget_form or BudgetForm(initial=BudgetForm.initial_for(policy))
        context["exclusion_form"] = exclusion_form or ExclusionForm(
            initial={"valid_from": today()}, cadres=_cadres(request)
        )
    return render(request, "pairing/policy.html", context, status=status)


def _cadres(request: HttpRequest):
    return Cadre.objects.visible_to(request.user).filter(left_on__isnull=True)


@login_required
def policy(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    if request.method != "POST":
        return _policy_page(request)
    user = _writer(request)
    form = PolicyForm(request.POST, county_id=user.county_id)
    if not form.is_valid():
        return _policy_page(request, form=form, status=400)
    data = form.cleaned_data
    try:
        services.do_set_policy(
            county=user.county_id,
            acting_user=user,
            coverage=data["coverage"],
            hardship_kinds=data["hardship_kinds"],
            regions=list(data["regions"]),
            min_load=data["min_load"],
            max_load=data["max_load"],
            keep_groups_together=data["keep_groups_together"],
            exclude_city_leaders=data["exclude_city_leaders"],
        )
    except Refused as exc:
        refuse_into(form, exc)
        return _policy_page(request, form=form, status=exc.status)
    messages.success(request, "结对规则已保存，下次自动结对时生效")
    return redirect("pairing:policy")


@login_required
@require_POST
def policy_budget(request: HttpRequest) -> HttpResponse:
    """The default and the most seconds an automatic pairing run may compute."""
    user = _writer(request)
    form = BudgetForm(request.POST)
    if not form.is_valid():
        return _policy_page(request, budget_form=form, status=400)
    try:
        services.do_set_run_budget(
            county=user.county_id,
            acting_user=user,
            run_budget=form.cleaned_data["run_budget"],
            run_budget_max=form.cleaned_data["run_budget_max"],
        )
    except Refused as exc:
        refuse_into(form, exc)
        return _policy_page(request, budget_form=form, status=exc.status)
    messages.success(request, "计算时限已保存，下次自动结对时生效")
    return redirect("pairing:policy")


@login_required
@require_POST
def policy_override(request: HttpRequest) -> HttpResponse:
    user = _writer(request)
    form = UnitOverrideForm(request.POST, units=Unit.objects.visible_to(user))
    if not form.is_valid():
        return _policy_page(request, override_form=form, status=400)
    data = form.cleaned_data
    try:
        services.do_set_unit_override(
            unit=data["unit"],
            min_load=data["min_load"],
            max_load=data["max_load"],
            acting_user=user,
        )
    except Refused as exc:
        refuse_into(form, exc)
        return _policy_page(request, override_form=form, status=exc.status)
    messages.success(request, f"已设置{data['unit']}的联系户数")
    return redirect("pairing:policy")


@login_required
@require_POST
def policy_override_remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = _writer(request)
    override = get_visible_or_404(UnitLoadOverride, user, pk, write=True)
    services.do_remove_unit_override(override, acting_user=user)
    messages.success(request, f"{override.unit}恢复按全县默认联系户数")
    return redirect("pairing:policy")


@login_required
@require_POST
def policy_exclusion(request: HttpRequest) -> HttpResponse:
    user = _writer(request)
    form = ExclusionForm(request.POST, cadres=_cadres(request))
    if not form.is_valid():
        return _policy_page(request, exclusion_form=form, status=400)
    data = form.cleaned_data
    try:
        services.do_exclude_cadre(
            cadre=data["cadre"],
            reason=data["reason"],
            valid_from=data["valid_from"],
            valid_to=data["valid_to"],
            acting_user=user,
        )
    except Refused as exc:
        refuse_into(form, exc)
        return _policy_page(request, exclusion_form=form, status=exc.status)
    messages.success(request, f"{data['cadre'].name}已设置为不参与结对，下次自动结对时生效")
    return redirect("pairing:policy")


@login_required
@require_POST
def policy_exclusion_end(request: HttpRequest, pk: int) -> HttpResponse:
    user = _writer(request)
    exclusion = get_visible_or_404(CadreExclusion, user, pk, write=True)
    form = DateForm(request.POST)
    try:
        if not form.is_valid():
            raise Refused("请填写最后一天", field="valid_to")
        services.do_end_exclusion(
            exclusion, valid_to=form.cleaned_data["valid_to"], acting_user=user
        )
    except Refused as exc:
        messages.error(request, f"{exclusion.cadre.name}：{exc.message}")
        return redirect("pairing:policy")
    last = form.cleaned_data["valid_to"]
    messages.success(
        request,
        ended_message(f"{exclusion.cadre.name}不参与结对", last) + "，届时重新参与结对",
    )
    return redirect("pairing:policy")


# =============================================================================================
# Manual pairing on the household page


def _household_url(household: Household) -> str:
    return reverse("people:household_detail", args=[household.pk])


def _handover_question(current: Pairing, household: Household) -> str:
    """What the 结对 button asks when the household has a current pairing: the one it ends,
    its last day, and who takes over ("{choice}": the cadre chosen, put in by lianxin.js)."""
    last = services.handover_last_day(current, today())
    return (
        f"将结束 {current.cadre.name} 与 {household.named} 的结对，最后一天为 {day_text(last)}；"
        "自今天起改由 {choice} 联系。确定？"
    )


@login_required
def manual(request: HttpRequest, pk: int) -> HttpResponse:
    """Pair a household by hand with a cadre of a unit whose zone holds its village; another
    cadre than the current one ends the current pairing (asked first, as every end is)."""
    user = _writer(request)
    household = get_visible_or_404(Household, user, pk)
    current = (
        Pairing.objects.filter(household=household, valid_to__isnull=True)
        .select_related("cadre__unit")
        .first()
    )
    form = ManualPairForm(request.POST or None, household=household, current=current)
    status = 200
    if request.method == "POST" and form.is_valid():
        cadre = form.cleaned_data["cadre"]
        try:
            services.do_pair_manually(
                household=household,
                cadre=cadre,
                locked=form.cleaned_data["locked"],
                acting_user=user,
            )
        except Refused as exc:
            refuse_into(form, exc)
            status = exc.status
        else:
            if current is not None and current.cadre_id != cadre.pk:
                current.refresh_from_db(fields=["valid_to"])
            if current is not None and current.valid_to is not None:
                what = f"{current.cadre.name}与户{household.number}的结对"
                done = ended_message(what, current.valid_to) + f"；自今天起由{cadre.name}联系"
            else:
                done = f"户 {household.number} 已与{cadre.name}结对"
            messages.success(request, done)
            return redirect(_household_url(household))
    elif request.method == "POST":
        status = 400
    context = {
        "household": household,
        "form": form,
        "current": current,
        "handover_day": current and day_text(services.handover_last_day(current, today())),
        "question": current and _handover_question(current, household),
    }
    return render(request, "pairing/manual.html", context, status=status)


def _pairing(request: HttpRequest, pk: int) -> Pairing:
    user = _writer(request)
    return get_visible_or_404(Pairing, user, pk, write=True)


@login_required
@require_POST
def pairing_lock(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = _pairing(request, pk)
    try:
        services.do_lock_pairing(pairing, acting_user=request.user)
    except Refused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已锁定：自动结对不会改动这一结对")
    return redirect(_household_url(pairing.household))


@login_required
@require_POST
def pairing_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = _pairing(request, pk)
    try:
        services.do_unlock_pairing(pairing, acting_user=request.user)
    except Refused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已解除锁定")
    return redirect(_household_url(pairing.household))


@login_required
@require_POST
def pairing_end(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = _pairing(request, pk)
    form = DateForm(request.POST)
    try:
        if not form.is_valid():
            raise Refused("请填写结对的最后一天", field="valid_to")
        # do_end_pairing itself accepts any date (the registry's tests end a pairing made
        # today yesterday); from this page an end before the start would be a typing slip.
        if form.cleaned_data["valid_to"] < pairing.valid_from:
            raise Refused(f"最后一天不能早于结对起始日期{pairing.valid_from}", field="valid_to")
        services.do_end_pairing(
            pairing, valid_to=form.cleaned_data["valid_to"], acting_user=request.user
        )
    except Refused as exc:
        messages.error(request, exc.message)
    else:
        what = f"{pairing.cadre.name}与户{pairing.household.number}的结对"
        messages.success(request, ended_message(what, form.cleaned_data["valid_to"]))
        offer_repair(request, f"户{pairing.household.number}结束结对")
    return redirect(_household_url(pairing.household))
