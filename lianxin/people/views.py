"""Registry pages: households, residents, enterprises and the search box.

Every list starts from `visible_to(user)` and every lookup goes through get_visible_or_404;
writes go through the do_* services, whose refusals are shown beside the field they name.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from lianxin.core.access import get_visible_or_404
from lianxin.core.ending import end_question, ended_message
from lianxin.core.errors import Refused
from lianxin.core.sensitive import seal, unseal
from lianxin.core.signals import coverage_changed
from lianxin.core.views import paginate, query_without_page
from lianxin.geo.filters import breadcrumbs, text
from lianxin.lib.errors import InvalidValue

from . import numbering, services
from .choices import HardshipKind, Sex, Trade
from .filters import (
    AGE_RULE,
    enterprise_rows,
    filter_enterprises,
    filter_households,
    filter_residents,
    household_rows,
    is_sensitive_query,
    region_options,
    resident_rows,
    search,
    with_ages,
)
from .forms import (
    EnterpriseCreateForm,
    HardshipAddForm,
    HardshipEndForm,
    HouseholdCreateForm,
    HouseholdEditForm,
    NumberRuleForm,
    RefusalForm,
    ResidentCreateForm,
    ResidentEditForm,
)
from .models import Enterprise, Household, HouseholdHardship, Resident

NO_WRITE = "您没有登记或修改户籍信息的权限"


def _submit(form: RefusalForm, action: Callable[[dict[str, Any]], Any]) -> tuple[Any, int]:
    """Run a service with the form's data: (result, 200), or (None, 4xx) with the reason on
    the form — a refusal never becomes a 500."""
    if not form.is_valid():
        return None, 400
    try:
        return action(form.cleaned_data), 200
    except Refused as exc:
        form.refuse(exc)
        return None, exc.status


def _data(request: HttpRequest):
    """Bound data on POST (even an empty body, so it reports the missing fields)."""
    return request.POST if request.method == "POST" else None


def _household_url(household: Household) -> str:
    return reverse("people:household_detail", args=[household.pk])


def _denied(request: HttpRequest, message: str = NO_WRITE) -> HttpResponse:
    return render(request, "people/denied.html", {"message": message}, status=403)


# Households ------------------------------------------------------------------------------


@login_required
def household_list(request: HttpRequest) -> HttpResponse:
    qs = filter_households(Household.objects.visible_to(request.user), request.GET)
    context = {
        "page": paginate(request, household_rows(qs)),
        "query": query_without_page(request),
        "params": request.GET,
        "hardship_kinds": HardshipKind.choices,
        **region_options(request.user, request.GET),
    }
    return render(request, "people/household_list.html", context)


@login_required
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    from lianxin.pairing.models import Pairing

    household = get_visible_or_404(Household, request.user, pk)
    # Loaded once into the household's prefetch cache: its title and the page's questions
    # name the head (Household.head), which would otherwise query the members each time.
    prefetch_related_objects([household], Prefetch("members", Resident.objects.order_by("id")))
    members = list(household.members.all())
    with_ages(members)
    pairings = list(
        Pairing.objects.filter(household=household)
        .select_related("cadre__unit", "made_by")
        .order_by("-valid_from", "-id")
    )
    hardships = list(household.hardships.order_by("-valid_from", "-id"))
    context = {
        "household": household,
        "crumbs": breadcrumbs(request.user, household.region),
        "members": members,
        "current_hardships": [h for h in hardships if h.is_current()],
        "past_hardships": [h for h in hardships if not h.is_current()],
        "current_pairing": next((p for p in pairings if p.is_current()), None),
        "pairings": pairings,
        "hardship_form": HardshipAddForm(),
    }
    return render(request, "people/household_detail.html", context)


@login_required
def household_create(request: HttpRequest) -> HttpResponse:
    if not request.user.writes_registry:  # type: ignore[union-attr]
        return _denied(request)
    form = HouseholdCreateForm(_data(request), user=request.user)
    status = 200
    if request.method == "POST":
        household, status = _submit(
            form,
            lambda d: services.do_create_household(
                county=request.user.county,  # type: ignore[union-attr]
                number=d["number"],
                region=d["region"],
                address=d["address"],
                hardships=d["hardships"],
                hardship_since=d["hardship_since"],
                acting_user=request.user,
            ),
        )
        if household is not None:
            messages.success(request, f"已新建户 {household.number}，请登记户主")
            return redirect("people:resident_create", pk=household.pk)
    return render(
        request,
        "people/form.html",
        {"form": form, "title": "新建户", "cancel": reverse("people:household_list")},
        status=status,
    )


@login_required
def number_rule(request: HttpRequest) -> HttpResponse:
    """The county's 户号 rule: shown to everyone who reads the registry, set by its
    administrator (the service refuses anyone else)."""
    user = request.user
    if not user.sees_people:  # type: ignore[union-attr]
        raise Http404("对象不存在或不在您的权限范围内")
    county = user.county  # type: ignore[union-attr]
    current = numbering.rule_for(county)
    initial = {"pattern": current.pattern, "description": current.description}
    form = NumberRuleForm(_data(request), initial=initial if current.custom else {})
    status = 200
    if request.method == "POST":
        saved, status = _submit(
            form,
            lambda d: services.do_set_household_number_rule(
                county=county,
                pattern=d["pattern"],
                description=d["description"],
                reason=d["reason"],
                acting_user=user,
            ),
        )
        if saved is not None:
            messages.success(request, f"已保存。现行规则：{saved.message}")
            return redirect("people:number_rule")
    context = {"rule": current, "default": numbering.default_rule(county), "form": form}
    return render(request, "people/number_rule.html", context, status=status)


@login_required
def household_edit(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_visible_or_404(Household, request.user, pk, write=True)
    initial = {"address": household.address, "region": household.region_id}
    form = HouseholdEditForm(_data(request), user=request.user, initial=initial)
    status = 200
    if request.method == "POST":
        saved, status = _submit(
            form,
            lambda d: services.do_update_household(
                household, address=d["address"], region=d["region"], acting_user=request.user
            ),
        )
        if saved is not None:
            messages.success(request, "已保存")
            if saved.region_id != household.region_id:
                coverage_changed.send(
                    sender=Household, request=request, what=f"户{saved.number}迁组"
                )
            return redirect("people:household_detail", pk=household.pk)
    return render(
        request,
        "people/form.html",
        {"form": form, "title": f"修改户 {household.number}", "cancel": _household_url(household)},
        status=status,
    )


@login_required
def hardship_add(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_visible_or_404(Household, request.user, pk, write=True)
    form = HardshipAddForm(_data(request))
    status = 200
    if request.method == "POST":
        saved, status = _submit(
            form,
            lambda d: services.do_add_hardship(
                household,
                kind=d["kind"],
                valid_from=d["valid_from"],
                note=d["note"],
                acting_user=request.user,
            ),
        )
        if saved is not None:
            messages.success(request, f"已登记困难类型：{saved.get_kind_display()}")
            return redirect("people:household_detail", pk=household.pk)
    return render(
        request,
        "people/form.html",
        {
            "form": form,
            "title": f"为户 {household.number} 登记困难类型",
            "cancel": _household_url(household),
        },
        status=status,
    )


@login_required
def hardship_end(request: HttpRequest, pk: int, hardship_pk: int) -> HttpResponse:
    household = get_visible_or_404(Household, request.user, pk, write=True)
    try:
        hardship = household.hardships.get(pk=hardship_pk)
    except (HouseholdHardship.DoesNotExist, ValueError):
        raise Http404("对象不存在或不在您的权限范围内") from None
    form = HardshipEndForm(_data(request))
    status = 200
    if request.method == "POST":
        saved, status = _submit(
            form,
            lambda d: services.do_end_hardship(
                hardship, valid_to=d["valid_to"], acting_user=request.user
            ),
        )
        if saved is not None:
            what = f"{household.named}的困难类型“{saved.get_kind_display()}”"
            messages.success(request, ended_message(what, saved.valid_to))
            return redirect("people:household_detail", pk=household.pk)
    title = f"结束{household.named}的困难类型“{hardship.get_kind_display()}”"
    context = {
        "form": form,
        "title": title,
        "cancel": _household_url(household),
        "submit": "结束困难类型",
        "confirm": end_question(title),
    }
    return render(request, "people/form.html", context, status=status)


# Residents -------------------------------------------------------------------------------


@login_required
def resident_list(request: HttpRequest) -> HttpResponse:
    qs = filter_residents(Resident.objects.visible_to(request.user), request.GET)
    page = paginate(request, resident_rows(qs))
    with_ages(page)
    context = {
        "page": page,
        "query": query_without_page(request),
        "params": request.GET,
        "sexes": Sex.choices,
        "age_rule": AGE_RULE,
        **region_options(request.user, request.GET),
    }
    return render(request, "people/resident_list.html", context)


@login_required
def resident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    resident = get_visible_or_404(Resident, request.user, pk)
    resident = resident_rows(Resident.objects.filter(pk=resident.pk)).get()
    with_ages([resident])
    context = {
        "resident": resident,
        "crumbs": breadcrumbs(request.user, resident.household.region),
        "can_reveal": request.user.reveals_sensitive,  # type: ignore[union-attr]
    }
    return render(request, "people/resident_detail.html", context)


@login_required
def resident_create(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_visible_or_404(Household, request.user, pk, write=True)
    form = ResidentCreateForm(_data(request))
    status = 200
    if request.method == "POST":
        resident, status = _submit(
            form,
            lambda d: services.do_create_resident(
                household=household,
                name=d["name"],
                id_number=d["id_number"],
                relation=d["relation"],
                phone=d["phone"],
                acting_user=request.user,
            ),
        )
        if resident is not None:
            messages.success(request, f"已登记居民 {resident.name}")
            return redirect("people:household_detail", pk=household.pk)
    return render(
        request,
        "people/form.html",
        {
            "form": form,
            "title": f"为户 {household.number} 登记成员",
            "cancel": _household_url(household),
        },
        status=status,
    )


@login_required
def resident_edit(request: HttpRequest, pk: int) -> HttpResponse:
    resident = get_visible_or_404(Resident, request.user, pk, write=True)
    initial = {"name": resident.name, "relation": resident.relation}
    form = ResidentEditForm(_data(request), initial=initial)
    status = 200
    if request.method == "POST":

        def save(d: dict[str, Any]) -> Resident:
            phone = "" if d["clear_phone"] else (d["phone"] or None)
            return services.do_update_resident(
                resident,
                name=d["name"],
                phone=phone,
                relation=d["relation"],
                acting_user=request.user,
            )

        saved, status = _submit(form, save)
        if saved is not None:
            messages.success(request, "已保存")
            return redirect("people:resident_detail", pk=resident.pk)
    return render(
        request,
        "people/form.html",
        {
            "form": form,
            "title": f"修改居民 {resident.name}",
            "cancel": reverse("people:resident_detail", args=[resident.pk]),
        },
        status=status,
    )


@login_required
@require_POST
def resident_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """The full ID number or phone, for a user with the reveal permission and a reason; the
    resident is looked up through the scope first, so an outsider gets 404, not 403."""
    resident = get_visible_or_404(Resident, request.user, pk)
    field = request.POST.get("field", "")
    masked = {"id_number": resident.id_number_masked, "phone": resident.phone_masked}
    context: dict[str, Any] = {
        "resident": resident,
        "field": field,
        "masked": masked.get(field, ""),
        "reason": request.POST.get("reason", ""),
        "can_reveal": request.user.reveals_sensitive,  # type: ignore[union-attr]
    }
    status = 200
    try:
        context["value"] = services.do_reveal(
            resident, field, acting_user=request.user, reason=context["reason"]
        )
        context["revealed"] = True
    except Refused as exc:
        context["error"], status = exc.message, exc.status
    template = "people/_reveal.html" if request.headers.get("HX-Request") else "people/reveal.html"
    response = render(request, template, context, status=status)
    # A revealed number must not linger in a shared browser's or proxy's cache.
    response["Cache-Control"] = "no-store"
    return response


# Enterprises -----------------------------------------------------------------------------


@login_required
def enterprise_list(request: HttpRequest) -> HttpResponse:
    qs = filter_enterprises(Enterprise.objects.visible_to(request.user), request.GET)
    context = {
        "page": paginate(request, enterprise_rows(qs)),
        "query": query_without_page(request),
        "params": request.GET,
        "trades": Trade.choices,
        **region_options(request.user, request.GET),
    }
    return render(request, "people/enterprise_list.html", context)


@login_required
def enterprise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = get_visible_or_404(Enterprise, request.user, pk)
    enterprise = enterprise_rows(Enterprise.objects.filter(pk=enterprise.pk)).get()
    context = {"enterprise": enterprise, "crumbs": breadcrumbs(request.user, enterprise.region)}
    return render(request, "people/enterprise_detail.html", context)


@login_required
def enterprise_create(request: HttpRequest) -> HttpResponse:
    if not request.user.writes_registry:  # type: ignore[union-attr]
        return _denied(request)
    form = EnterpriseCreateForm(_data(request), user=request.user)
    status = 200
    if request.method == "POST":
        enterprise, status = _submit(
            form,
            lambda d: services.do_create_enterprise(
                county=request.user.county,  # type: ignore[union-attr]
                name=d["name"],
                credit_code=d["credit_code"],
                trade=d["trade"],
                region=d["region"],
                address=d["address"],
                acting_user=request.user,
            ),
        )
        if enterprise is not None:
            messages.success(request, f"已登记企业 {enterprise.name}")
            return redirect("people:enterprise_detail", pk=enterprise.pk)
    return render(
        request,
        "people/form.html",
        {"form": form, "title": "登记企业", "cancel": reverse("people:enterprise_list")},
        status=status,
    )


# Search ----------------------------------------------------------------------------------


SEARCH_TOKENS = "lianxin_search_tokens"
SEARCH_TOKENS_KEPT = 20
SEARCH_LABEL = "people.search"
SEARCH_GONE = "这次查找已过期（只在本次登录中保留），请重新输入查找"


def _remember_search(request: HttpRequest, q: str) -> str:
    """A random token standing for a typed ID number or phone in the result page's URL. The
    session keeps the value encrypted with the field key: the session table is in the database
    too, and must not hold what the people tables seal."""
    token = secrets.token_urlsafe(12)
    kept = dict(request.session.get(SEARCH_TOKENS, {}))
    kept[token] = seal(q, label=SEARCH_LABEL, ref=token)
    request.session[SEARCH_TOKENS] = dict(list(kept.items())[-SEARCH_TOKENS_KEPT:])
    return token


def _recall_search(request: HttpRequest, token: str) -> str | None:
    sealed = request.session.get(SEARCH_TOKENS, {}).get(token)
    try:
        return unseal(sealed, label=SEARCH_LABEL, ref=token) if sealed else None
    except InvalidValue:  # sealed under a key since retired from the keyring: gone
        return None


@login_required
def search_view(request: HttpRequest) -> HttpResponse:
    """The form POSTs, then redirects to a GET the browser can go back to and refresh: names
    and 户号 ride in ?q=, an ID number or phone only as ?t=<token> (never in history or logs)."""
    url = reverse("people:search")
    if request.method == "POST":
        typed = text(request.POST.get("q"))[:60]
        if not typed:
            return redirect(url)
        if is_sensitive_query(typed):
            return redirect(f"{url}?{urlencode({'t': _remember_search(request, typed)})}")
        return redirect(f"{url}?{urlencode({'q': typed})}")
    token = request.GET.get("t")
    q = _recall_search(request, token) if token else request.GET.get("q")
    if token and q is None:
        return render(
            request, "people/search.html", {"results": search(None, ""), "gone": SEARCH_GONE}
        )
    results = search(request.user, q)
    with_ages(results.residents)
    return render(request, "people/search.html", {"results": results})
