"""The cadre's phone pages: 我联系的户 (their home page), the visit form, correcting a visit
within 7 days, and the service worker that keeps both working without signal (static/js/
visits.js sends visits made offline from its outbox to /api/visits)."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_POST

from lianxin.core.access import NOT_FOUND, get_visible_or_404
from lianxin.core.errors import Refused
from lianxin.core.forms import refuse_into
from lianxin.core.models import today
from lianxin.org.models import Cadre
from lianxin.pairing.models import Pairing
from lianxin.people.choices import Relation
from lianxin.people.models import Household, Resident

from . import services
from .forms import NEED_LINES, EditForm, PhotoForm, VisitForm
from .models import Visit
from .phone import month_summary, my_households, recent_visits

# What the service worker keeps for the app to start without signal (besides the pages).
SHELL = (
    "css/lianxin.css",
    "css/pickers.css",
    "js/lianxin.js",
    "js/visits.js",
    "vendor/htmx.min.js",
)


def offline(response: HttpResponse) -> HttpResponse:
    """Mark a page the service worker may keep for use without signal (static/js/sw.js keeps
    only pages so marked: the cadre's own, never another role's home on the same phone)."""
    response["X-Lianxin-Offline"] = "1"
    return response


def own_cadre(user: Any) -> Cadre:
    """The signed-in cadre's record; anyone else has no phone pages (404)."""
    cadre = Cadre.objects.filter(user=user).first() if user.is_authenticated else None
    if cadre is None or not user.sees_people:
        raise Http404(NOT_FOUND)
    return cadre


def mine(request: HttpRequest, cadre: Cadre) -> HttpResponse:
    """我联系的户: the cadre's home page (lianxin.home sends a cadre here)."""
    user = request.user
    rows = my_households(cadre)
    shown = sum(1 for r in rows if r.phone)
    # One audit row for this page view, however many numbers it shows in full.
    services.do_show_contact_phones(acting_user=user, cadre=cadre, shown=shown)
    context = {
        "cadre": cadre,
        "rows": rows,
        "month": month_summary(user, cadre),
        "recent": recent_visits(user, cadre),
        "today": today(),
        "warm_urls": json.dumps([reverse("visits:new", args=[r.household.pk]) for r in rows]),
    }
    return offline(render(request, "visits/mine.html", context))


def _serving(cadre: Cadre, household_id: int) -> Household:
    """A household the cadre serves today, else 404."""
    pairing = (
        Pairing.objects.serving(today())
        .filter(cadre=cadre, household_id=household_id)
        .select_related("household__village", "household__region")
        .first()
    )
    if pairing is None:
        raise Http404(NOT_FOUND)
    return pairing.household


def _members(household: Household) -> list[Resident]:
    members = list(Resident.objects.filter(household=household).order_by("id"))
    return sorted(members, key=lambda r: r.relation != Relation.HEAD)


def _head_name(members: list[Resident]) -> str:
    return next((f"{r.name}户" for r in members if r.relation == Relation.HEAD), "")


def _entries(form: VisitForm, household: Household):
    met = form.cleaned_data["met"] == "1"
    visited = services.Visited(household, met=met, members=tuple(form.cleaned_data["members"]))
    needs = [services.Need(household, text) for text in form.needs()]
    return visited, needs


def _text(form: VisitForm) -> dict[str, Any]:
    d = form.cleaned_data
    return {
        "mode": d["mode"],
        "heard": d["heard"],
        "notes": d["notes"],
        "help_kind": d["help_kind"] or "",
        "help_text": d["help_text"],
    }


# Service fields the form has no field of: their refusals show above the form.
ALIASES = {"households": "", "idempotency_key": "", "needs": "", "version": "", "visit": ""}


@login_required
def visit_new(request: HttpRequest, household_id: int) -> HttpResponse:
    """The visit form for one of the cadre's households, filled in for the common case:
    上门走访, today, met, the head ticked. Saving it is one tap."""
    cadre = own_cadre(request.user)
    household = _serving(cadre, household_id)
    members = _members(household)
    head = [r.pk for r in members if r.relation == Relation.HEAD]
    if request.method == "POST":
        form = VisitForm(request.POST, members=members)
        if form.is_valid():
            visited, needs = _entries(form, household)
            if not form.errors:
                try:
                    recorded = services.do_record_visit(
                        acting_user=request.user,
                        households=[visited],
                        occurred_on=form.cleaned_data["occurred_on"],
                        needs=needs,
                        idempotency_key=form.cleaned_data["idempotency_key"],
                        **_text(form),
                    )
                except Refused as exc:
                    refuse_into(form, exc, ALIASES)
                else:
                    word = "已登记" if recorded.created else "这条走访已登记过"
                    messages.success(request, f"{word}：{_head_name(members) or household.number}")
                    return redirect("core:home")
    else:
        form = VisitForm(members=members, initial={"members": head})
    return offline(
        render(
            request,
            "visits/form.html",
            {
                "form": form,
                "household": household,
                "name": _head_name(members) or f"户 {household.number}",
                "need_lines": range(NEED_LINES),
                "needs": request.POST.getlist("need") if request.method == "POST" else [],
                "today": today(),
            },
        )
    )


@login_required
def visit_edit(request: HttpRequest, visit_id: int) -> HttpResponse:
    """Correct a visit within 7 days of recording it, against the version read (an older
    one is refused: someone changed it meanwhile)."""
    cadre = own_cadre(request.user)
    visit = get_visible_or_404(Visit, request.user, visit_id)
    rows = list(visit.households.select_related("household").prefetch_related("member_rows"))
    if len(rows) != 1:
        raise Http404(NOT_FOUND)  # a yard meeting is corrected through the API
    row = rows[0]
    household = row.household
    members = _members(household)
    if request.method == "POST":
        form = EditForm(request.POST, members=members)
        if form.is_valid():
            visited, needs = _entries(form, household)
            if not form.errors:
                try:
                    services.do_edit_visit(
                        visit,
                        acting_user=request.user,
                        expected_version=form.cleaned_data["version"],
                        occurred_on=form.cleaned_data["occurred_on"],
                        households=[visited],
                        needs=needs,
                        **_text(form),
                    )
                except Refused as exc:
                    refuse_into(form, exc, ALIASES)
                else:
                    messages.success(request, f"已修改：{_head_name(members) or household.number}")
                    return redirect("core:home")
        needs_typed = request.POST.getlist("need")
    else:
        form = EditForm(
            members=members,
            initial={
                "mode": visit.mode,
                "occurred_on": visit.occurred_on,
                "met": "1" if row.met else "0",
                "members": [m.resident_id for m in row.member_rows.all()],
                "heard": visit.heard,
                "notes": visit.notes,
                "help_kind": visit.help_kind,
                "help_text": visit.help_text,
                "version": visit.version,
                "idempotency_key": "",
            },
        )
        needs_typed = [n.text for n in visit.needs.all()]
    return render(
        request,
        "visits/form.html",
        {
            "form": form,
            "visit": visit,
            "editable": visit.is_editable() and visit.author_id == request.user.pk,
            "household": household,
            "name": _head_name(members) or f"户 {household.number}",
            "need_lines": range(max(0, NEED_LINES - len(needs_typed))),
            "needs": needs_typed,
            "photos": list(visit.photos.all()),
            "photo_form": PhotoForm(),
            "cadre": cadre,
            "today": today(),
        },
    )


@login_required
@require_POST
def photo_add(request: HttpRequest, visit_id: int) -> HttpResponse:
    """Attach a photo to a visit (never required); stored without EXIF/GPS."""
    own_cadre(request.user)
    visit = get_visible_or_404(Visit, request.user, visit_id)
    form = PhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "请选择一张照片")
    else:
        try:
            services.do_add_visit_photo(
                visit, upload=form.cleaned_data["image"], acting_user=request.user
            )
        except Refused as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "照片已上传（已去除拍摄位置等信息）")
    return redirect("visits:edit", visit.pk)


# --- the service worker -----------------------------------------------------------------------


def _read(name: str) -> str:
    found = finders.find(name)
    return Path(str(found)).read_text(encoding="utf-8") if found else ""


@cache
def _shell() -> tuple[str, list[str]]:
    """The shell's URLs and a version made of their contents: a deploy that changes any of
    them changes the worker's text, so browsers install the new one."""
    digest = hashlib.sha256()
    for name in SHELL:
        digest.update(_read(name).encode())
    digest.update(_read("js/sw.js").encode())
    return digest.hexdigest()[:12], [static(name) for name in SHELL]


def service_worker(request: HttpRequest) -> HttpResponse:
    """/sw.js: the worker, from the site's root so that its scope is the whole site. Its text
    is static/js/sw.js with the shell's URLs and version put first."""
    version, urls = _shell()
    body = _read("js/sw.js")
    head = (
        f"var LIANXIN_VERSION = {json.dumps(version)};\n"
        f"var LIANXIN_SHELL = {json.dumps(urls)};\n"
        f"var LIANXIN_LOGIN = {json.dumps(reverse('accounts:login'))};\n"
        f"var LIANXIN_LOGOUT = {json.dumps(reverse('accounts:logout'))};\n"
    )
    response = HttpResponse(head + body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response
