"""Pages for units, cadres and city leaders' township liaisons. Lists and lookups go through the
scopes in org/filters.py and get_visible_or_404; every change goes through an org do_* service."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lianxin.core.access import get_visible_or_404
from lianxin.core.ending import end_question, ended_message
from lianxin.core.errors import Refused
from lianxin.core.forms import refuse_into
from lianxin.core.models import today
from lianxin.core.signals import coverage_changed
from lianxin.core.views import paginate, query_without_page
from lianxin.pairing.models import Pairing
from lianxin.people.models import Household
from lianxin.people.services import do_reveal

from . import services
from .filters import (
    CadreFilter,
    LiaisonFilter,
    UnitFilter,
    cadre_rows,
    leader_rows,
    liaison_rows,
    paired_households_of_cadre,
    require_registry_reader,
    unit_rows,
    visible_cadres,
    visible_units,
)
from .forms import (
    CadreEditForm,
    CadreForm,
    EndForm,
    LeaveForm,
    LiaisonAssignForm,
    RevealForm,
    TransferForm,
    UnitForm,
    ZoneAssignForm,
)
from .models import Cadre, Unit

GET_POST = require_http_methods(["GET", "POST"])


def _require_writer(user: Any) -> None:
    if not user.writes_org:
        raise Http404("对象不存在或不在您的权限范围内")


def _unit(request: HttpRequest, pk: int, *, write: bool = False) -> Unit:
    require_registry_reader(request.user)
    return get_visible_or_404(Unit, request.user, pk, write=write)


def _cadre(request: HttpRequest, pk: int, *, write: bool = False) -> Cadre:
    require_registry_reader(request.user)
    return get_visible_or_404(Cadre, request.user, pk, write=write)


def _form_page(
    request: HttpRequest, form: Any, *, title: str, crumbs: list, status: int = 200, **ctx: Any
) -> HttpResponse:
    """The shared page around a single form; re-rendered with 4xx when the input is refused."""
    if request.method == "POST" and status == 200:
        status = 400
    context = {"form": form, "title": title, "crumbs": crumbs, **ctx}
    return render(request, "org/form.html", context, status=status)


def zone_end_question(unit: Unit, zone: Any) -> str:
    """The question asked before a zone ends, on the unit page and on the form page alike."""
    return end_question(f"结束 {unit} 的责任区 {zone.village.short_name}")


def liaison_end_question(cadre: Cadre, liaison: Any) -> str:
    return end_question(f"结束 {cadre.name} 联系 {liaison.township.short_name}")


# --- units ------------------------------------------------------------------------------------


@login_required
@require_GET
def unit_list(request: HttpRequest) -> HttpResponse:
    filters = UnitFilter(request.GET, user=request.user)
    page = paginate(request, filters.apply(unit_rows(request.user)))
    context = {
        "filters": filters,
        "page": page,
        "query": query_without_page(request),
    }
    return render(request, "org/unit_list.html", context, status=200 if filters.is_valid() else 400)


def _map_order(zone: Any) -> tuple:
    """Zones in map order: by township, then its villages, both in official order
    (Region.sort_key, as geo.tree_order sorts in SQL). A village always has its township."""
    village = zone.village
    return (village.parent.sort_key, village.parent_id, village.sort_key, village.pk)


def unit_facts(unit: Unit, user: Any) -> dict[str, Any]:
    """Zones (current and past), active cadres and the counts a unit's page and API show."""
    zones = list(unit.zones.select_related("village", "village__parent"))
    current = sorted((z for z in zones if z.is_current()), key=_map_order)
    history = sorted(
        (z for z in zones if not z.is_current()), key=lambda z: (z.valid_from, z.pk), reverse=True
    )
    cadres = list(
        visible_cadres(user)
        .filter(unit=unit, left_on__isnull=True)
        .annotate(paired_households=paired_households_of_cadre())
        .order_by("-is_city_leader", "staff_no")
    )
    village_ids = [z.village_id for z in current]
    zone_households = Household.objects.filter(village_id__in=village_ids)
    pairings = Pairing.objects.current()
    counts = {
        "active_cadres": len(cadres),
        "left_cadres": Cadre.objects.filter(unit=unit, left_on__isnull=False).count(),
        "current_zones": len(current),
        "zone_households": zone_households.count(),
        "zone_households_paired": pairings.filter(household__in=zone_households)
        .values("household_id")
        .distinct()
        .count(),
        "paired_households": pairings.filter(cadre__unit=unit)
        .values("household_id")
        .distinct()
        .count(),
    }
    return {"zones": current, "zone_history": history, "cadres": cadres, "counts": counts}


@login_required
@require_GET
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _unit(request, pk)
    facts = unit_facts(unit, request.user)
    for zone in facts["zones"]:
        zone.end_question = zone_end_question(unit, zone)
    context = {"unit": unit, **facts, "today": today()}
    return render(request, "org/unit_detail.html", context)


@login_required
@GET_POST
def unit_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_registry_reader(user)
    _require_writer(user)
    form = UnitForm(request.POST or None, county_id=user.county_id)  # type: ignore[union-attr]
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.do_create_unit(
                county=user.county,  # type: ignore[union-attr]
                acting_user=user,
                **form.cleaned_data,
            )
        except Refused as exc:
            refuse_into(form, exc)
            status = exc.status
        else:
            messages.success(request, f"已新建单位“{unit.name}”")
            return redirect("org:unit_detail", pk=unit.pk)
    crumbs = [("单位", "org:unit_list", None)]
    return _form_page(request, form, title="新建单位", crumbs=crumbs, status=status)


@login_required
@GET_POST
def unit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _unit(request, pk, write=True)
    form = UnitForm(
        request.POST or None, initial=UnitForm.initial_from(unit), county_id=unit.county_id
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.do_update_unit(unit, acting_user=request.user, **form.cleaned_data)
        except Refused as exc:
            refuse_into(form, exc)
            status = exc.status
        else:
            messages.success(request, "单位信息已保存")
            return redirect("org:unit_detail", pk=unit.pk)
    crumbs = [("单位", "org:unit_list", None), (str(unit), "org:unit_detail", unit.pk)]
    return _form_page(request, form, title=f"修改单位：{unit.name}", crumbs=crumbs, status=status)


@login_required
@GET_POST
def unit_zone_assign(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _unit(request, pk, write=True)
    form = ZoneAssignForm(request.POST or None, unit=unit)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            zone = services.do_assign_zone(
                unit=unit,
                village=form.cleaned_data["village"],
                valid_from=form.cleaned_data["valid_from"],
                acting_user=request.user,
            )
        except Refused as exc:
            refuse_into(form, exc)
            status = exc.status
        else:
            messages.success(request, f"已将{zone.village.short_name}划入{unit}的责任区")
            return redirect("org:unit_detail", pk=unit.pk)
    crumbs = [("单位", "org:unit_list", None), (str(unit), "org:unit_detail", unit.pk)]
    return _form_page(request, form, title="划定责任区", crumbs=crumbs, status=status)


@login_required
@GET_POST
def unit_zone_end(request: HttpRequest, pk: int, zone_pk: int) -> HttpResponse:
    unit = _unit(request, pk, write=True)
    # The zone is reached through its unit, which was looked up through the user's scope.
    zone = unit.zones.select_related("village").filter(pk=zone_pk, valid_to__isnull=True).first()
    if zone is None:
        raise Http404("对象不存在或不在您的权限范围内")
    form = EndForm(request.POST or None, starts=zone.valid_from)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.do_end_zone(
                zone, valid_to=form.cleaned_data["valid_to"], acting_user=request.user
            )
        except Refused as exc:
            refuse_into(form, exc)
            status = exc.status
        else:
            what = f"{unit}的责任区{zone.village.short_name}"
            messages.success(request, ended_message(what, form.cleaned_data["valid_to"]))
            return redirect("org:unit_detail", pk=unit.pk)
    crumbs = [("单位", "org:unit_list", None), (str(unit), "org:unit_detail", unit.pk)]
    title = f"结束责任区：{zone.village.short_name}（自{zone.valid_from}起）"
    return _form_page(
        request,
        form,
        title=title,
        crumbs=crumbs,
        status=status,
        submit="结束责任区",
        confirm=zone_end_question(unit, zone),
    )


# --- cadres -----------------------------------------------------------------------------------


@login_required
@require_GET
def cadre_list(request: HttpRequest) -> HttpResponse:
    filters = CadreFilter(request.GET, user=request.user)
    page = paginate(request, filters.apply(cadre_rows(request.user)))
    context = {
        "filters": filters,
        "page": page,
        "query": query_without_page(request),
    }
    return render(
        request, "org/cadre_list.html", context, status=200 if filters.is_valid() else 400
    )


def cadre_facts(cadre: Cadre) -> dict[str, Any]:
    """Assignment history, township liaisons and the current paired-household count."""
    return {
        "assignments": list(cadre.assignments.select_related("unit").order_by("valid_from", "pk")),
        "liaisons": list(
            cadre.liaisons.select_related("township").order_by("-valid_to", "valid_from", "pk")
        ),
        "paired_households": Pairing.objects.current()
        .filter(cadre=cadre)
        .values("household_id")
        .distinct()
        .count(),
    }


def _cadre_page(
    request: HttpRequest, cadre: Cadre, *, status: int = 200, **extra: Any
) -> HttpResponse:
    user = request.user
    facts = cadre_facts(cadre)
    for liaison in facts["liaisons"]:
        liaison.end_question = liaison_end_question(cadre, liaison)
    context = {
        "cadre": cadre,
        **facts,
        "can_reveal": user.reveals_sensitive and bool(cadre.phone_enc),  # type: ignore[union-attr]
        "reveal_form": extra.pop("reveal_form", None) or RevealForm(),
        "today": today(),
        **extra,
    }
    response = render(request, "org/cadre_detail.html", context, status=status)
    if "revealed_phone" in extra:
        # A revealed number must not stay in a browser or proxy cache.
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def cadre_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _cadre_page(request, _cadre(request, pk))


@login_required
@require_POST
@never_cache
def cadre_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    cadre = _cadre(request, pk)
    form = RevealForm(request.POST)
    if not form.is_valid():
        return _cadre_page(request, cadre, status=400, reveal_form=form)
    try:
        phone = do_reveal(
            cadre, "phone", acting_user=request.user, reason=form.cleaned_data["reason"]
        )
    except Refused as exc:
        refuse_into(form, exc)
        return _cadre_page(request, cadre, status=exc.status, reveal_form=form)
    return _cadre_page(request, cadre, revealed_phone=phone)


@login_required
@GET_POST
def cadre_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_writer(user)
    units = visible_units(user).writable_by(user)
    initial = {}
    if request.GET.get("unit"):
        initial["unit"] = request.GET["unit"]
    form = CadreForm(request.POST or None, initial=initial, units=units)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            cadre = services.do_create_cadre(acting_user=user, **form.cleaned_data)
        except Refused as exc:
            refuse_into(form, exc)
            status = exc.status
        else:
            messages.success(request, f"已登记干部{cadre.name}（{cadre.staff_no}）")
            return redirect("org:cadre_detail", pk=cadre.pk)
    crumbs = [("干部职工", "org:cadre_list", None)]
    return _form_page(request, form, title="登记干部职工", crumbs=crumbs, status=status)


def _cadre_crumbs(cadre: Cadre) -> list:
    return [("干部职工", "org:cadre_list", None), (cadre.name, "org:cadre_detail", cadre.pk)]


@login_required
@GET_POST
def cadre_edit(request: HttpRequest, pk: int) -> HttpResponse:
    cadre = _cadre(request, pk, write=True)
    initial = {"name": cadre.name, "is_city_leader": cadre.is_city_leader}
    form = CadreEditForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.do_update_cadre(
                cadre,
                acting_user=request.user,
                name=data["name"],
                # An empty phone box means "keep the number": the page never shows it in full.
                phone=data["phone"] or None,
                is_city_leader=data["is_city_leader"],
            )
        except Refused as exc:
            refuse_into(form, exc)
            status = exc.status
        else:
            messages.success(request, "干部信息已保存")
            return redirect("org:cadre_detail", pk=cadre.pk)
    return _form_page(
        request,
        form,
        title=f"修改干部信息：{cadre.name}",
        crumbs=_cadre_crumbs(cadre),
        status=status,
        note=f"当前手机号：{cadre.phone_masked or '未登记'}",
    )


@login_required
@GET_POST
def cadre_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    cadre = _cadre(request, pk, write=True)
    if not cadre.is_active:
        messages.error(request, f"{cadre.name}已于{cadre.left_on}退出，不能调动")
        return redirect("org:cadre_detail", pk=cadre.pk)
    units = visible_units(request.user).writable_by(request.user)
    initial = {"unit": cadre.unit_id, "post": cadre.post}
    form = TransferForm(request.POST or None, initial=initial, units=units)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["unit"].pk == cadre.unit_id and data["post"] == cadre.post:
            form.add_error("unit", "调入单位和职务与现任相同，无需调动")
        else:
            try:
                services.do_transfer_cadre(cadre, acting_user=request.user, **data)
            except Refused as exc:
                refuse_into(form, exc)
                status = exc.status
            else:
                messages.success(request, f"{cadre.name}已调入{data['unit']}，原任职记录已保留")
                coverage_changed.send(sender=Cadre, request=request, what=f"{cadre.name}调动")
                return redirect("org:cadre_detail", pk=cadre.pk)
    return _form_page(
        request,
        form,
        title=f"干部调动：{cadre.name}",
        crumbs=_cadre_crumbs(cadre),
        status=status,
        note=f"现任：{cadre.unit} {cadre.post}。调动日期前一天结束现任职，历史记录保留。",
        submit="调动",
        confirm=f"结束 {cadre.name} 在{cadre.unit}的任职并调入所选单位？",
    )


@login_required
@GET_POST
def cadre_leave(request: HttpRequest, pk: int) -> HttpResponse:
    cadre = _cadre(request, pk, write=True)
    if not cadre.is_active:
        messages.info(request, f"{cadre.name}已于{cadre.left_on}退出")
        return redirect("org:cadre_detail", pk=cadre.pk)
    form = LeaveForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.do_cadre_leaves(
                cadre,
                left_on=form.cleaned_data["left_on"],
                reason=form.cleaned_data["reason"],
                acting_user=request.user,
            )
        except Refused as exc:
            refuse_into(form, exc)
            status = exc.status
        else:
            left_on = form.cleaned_data["left_on"]
            messages.success(request, f"{cadre.name}已标记为退出：{left_on:%Y-%m-%d}为在任最后一天")
            coverage_changed.send(sender=Cadre, request=request, what=f"{cadre.name}退出")
            return redirect("org:cadre_detail", pk=cadre.pk)
    paired = cadre_facts(cadre)["paired_households"]
    note = "退出后其任职和联系乡镇记录将结束。"
    if paired:
        # Leaving does not end pairings: the households must be re-paired, so say so up front.
        note += f"该干部目前结对{paired}户，退出后这些户需另行安排结对干部。"
    return _form_page(
        request,
        form,
        title=f"干部退出：{cadre.name}",
        crumbs=_cadre_crumbs(cadre),
        status=status,
        note=note,
        submit="标记退出",
        confirm=f"将 {cadre.name}（{cadre.unit}）标记为退出？退出日期：{{date}}。",
    )


@login_required
@GET_POST
def cadre_liaison_assign(request: HttpRequest, pk: int) -> HttpResponse:
    cadre = _cadre(request, pk, write=True)
    form = LiaisonAssignForm(request.POST or None, leader=cadre)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            liaison = services.do_assign_liaison(
                leader=cadre, acting_user=request.user, **form.cleaned_data
            )
        except Refused as exc:
            refuse_into(form, exc)
            status = exc.status
        else:
            messages.success(request, f"{cadre.name}开始联系{liaison.township.short_name}")
            return redirect("org:cadre_detail", pk=cadre.pk)
    return _form_page(
        request,
        form,
        title=f"安排联系乡镇：{cadre.name}",
        crumbs=_cadre_crumbs(cadre),
        status=status,
    )


@login_required
@GET_POST
def cadre_liaison_end(request: HttpRequest, pk: int, liaison_pk: int) -> HttpResponse:
    cadre = _cadre(request, pk, write=True)
    # Reached through the leader, who was looked up through the user's scope.
    liaison = (
        cadre.liaisons.select_related("township")
        .filter(pk=liaison_pk, valid_to__isnull=True)
        .first()
    )
    if liaison is None:
        raise Http404("对象不存在或不在您的权限范围内")
    form = EndForm(request.POST or None, starts=liaison.valid_from)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.do_end_liaison(
                liaison, valid_to=form.cleaned_data["valid_to"], acting_user=request.user
            )
        except Refused as exc:
            refuse_into(form, exc)
            status = exc.status
        else:
            what = f"{cadre.name}联系{liaison.township.short_name}"
            messages.success(request, ended_message(what, form.cleaned_data["valid_to"]))
            return redirect("org:cadre_detail", pk=cadre.pk)
    title = f"结束联系：{cadre.name} · {liaison.township.short_name}（自{liaison.valid_from}起）"
    return _form_page(
        request,
        form,
        title=title,
        crumbs=_cadre_crumbs(cadre),
        status=status,
        submit="结束联系",
        confirm=liaison_end_question(cadre, liaison),
    )


# --- leaders ↔ townships ------------------------------------------------------------------------


def liaison_summary(townships: list, leaders: list) -> dict[str, int]:
    """Counts over the whole scope: townships with and without a leader, leaders with none."""
    covered = sum(1 for t in townships if t.current_liaisons)
    return {
        "townships": len(townships),
        "covered": covered,
        "uncovered": len(townships) - covered,
        "leaders": len(leaders),
        "idle_leaders": sum(1 for c in leaders if not c.current_liaisons),
    }


@login_required
@require_GET
def liaison_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    filters = LiaisonFilter(request.GET, user=user)
    townships = list(liaison_rows(user))
    leaders = list(leader_rows(user))
    shown = list(filters.apply(liaison_rows(user))) if request.GET else townships
    context = {
        "filters": filters,
        "townships": shown,
        "leaders": leaders,
        # Leaders outside the user's scope are named but not linked.
        "linked_leaders": {c.pk for c in leaders},
        "summary": liaison_summary(townships, leaders),
    }
    return render(
        request, "org/liaison_list.html", context, status=200 if filters.is_valid() else 400
    )
