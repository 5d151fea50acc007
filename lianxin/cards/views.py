"""连心卡 pages: choosing a print, following it in the job worker and downloading its PDF,
re-issuing a lost card, and the public page a household reaches by scanning its card (no login,
rate-limited, nothing about the household)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lianxin.core import ratelimit
from lianxin.core.access import get_visible_or_404
from lianxin.core.context import client_ip
from lianxin.core.errors import Refused
from lianxin.geo.choices import Level
from lianxin.geo.pickers import choosable_regions
from lianxin.jobs import runner
from lianxin.jobs.choices import JobKind, JobStatus
from lianxin.jobs.models import Job
from lianxin.jobs.pages import tell_cancel
from lianxin.org.models import Cadre, Unit
from lianxin.people.models import Household
from lianxin.visits.services import confirmed_this_month, do_confirm_contact

from . import pdf, print_files, services
from .selection import Selection, resolve

PUBLIC_LIMITED = "访问太频繁，请稍后再试"
_UNSAFE_FILENAME = re.compile(r'[\\/:*?"<>|\s]+')


def base_url(request: HttpRequest) -> str:
    """Where the QR codes point: the configured public address, or the one this request came to."""
    return settings.LIANXIN_PUBLIC_BASE_URL or request.build_absolute_uri("/").rstrip("/")


def _attachment(name: str) -> str:
    """Content-Disposition for a Chinese file name, with an ASCII fallback for old clients."""
    name = _UNSAFE_FILENAME.sub("_", name)
    return f"attachment; filename=\"lianxin-cards.pdf\"; filename*=UTF-8''{quote(name)}"


def _chooser_context(user: Any) -> dict[str, Any]:
    # The pickers' regions: for a cadre the villages holding their households, not the county's.
    villages = (
        choosable_regions(user)
        .filter(level=Level.VILLAGE)
        .select_related("parent")
        .order_by("parent__sort_key", "parent_id", "sort_key", "pk")
    )
    return {
        "villages": villages,
        "units": Unit.objects.visible_to(user).filter(dissolved_on__isnull=True).order_by("name"),
        "own_cadre": Cadre.objects.filter(user=user).first(),
        "prints": Job.objects.visible_to(user).filter(kind=JobKind.CARDS)[:10],
    }


def _selection_page(
    request: HttpRequest, selection: Selection | None, *, error: str = "", status: int = 200
) -> HttpResponse:
    context: dict[str, Any] = {"selection": selection, "error": error}
    if selection is None:
        context.update(_chooser_context(request.user))
    else:
        context["summary"] = services.summarize(selection)
        if not error:
            try:
                pdf.cjk_font()
            except pdf.FontMissing as exc:
                context["error"], status = exc.message, exc.status
    return render(request, "cards/print.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def print_cards(request: HttpRequest) -> HttpResponseBase:
    """GET: choose what to print, or see what a selection holds. POST: start the print (the
    job worker draws the PDF) and go to its page. A role that may not print (the read-only
    leader: printing issues QR tokens) gets the 403 page, not a form it cannot send."""
    user = request.user
    if not user.prints_cards:  # type: ignore[union-attr]
        # The separated administrators see no people at all: for them the page does not exist.
        raise PermissionDenied if user.sees_people else Http404  # type: ignore[union-attr]
    data = request.POST if request.method == "POST" else request.GET
    kind, pk = data.get("kind", ""), data.get("pk", "")
    if request.method == "GET" and not kind:
        return _selection_page(request, None)
    selection = resolve(request.user, kind, pk)
    if request.method == "GET":
        return _selection_page(request, selection)
    try:
        job = services.do_print_cards(
            selection, acting_user=request.user, base_url=base_url(request)
        )
    except Refused as exc:
        return _selection_page(request, selection, error=exc.message, status=exc.status)
    return redirect("cards:print_job", pk=job.pk)


def _print_job_or_404(request: HttpRequest, pk: int) -> Job:
    """The user's own print (a print's job is its creator's alone); 404 for anyone else's."""
    job = (
        Job.objects.visible_to(request.user)
        .filter(kind=JobKind.CARDS, pk=pk)
        .select_related("cancel_requested_by")
        .first()
    )
    if job is None:
        raise Http404("对象不存在或不在您的权限范围内")
    return job


def _print_context(job: Job) -> dict[str, Any]:
    return {
        "job": job,
        "ready": job.status == JobStatus.DONE and bool(job.result.get("file")),
        "gone": print_files.removed_message(job),
        "cancelled": job.status == JobStatus.CANCELLED,
        "failed": job.status == JobStatus.FAILED,
        "keep_days": settings.LIANXIN_TRANSFER_KEEP_DAYS,
    }


@login_required
@require_GET
def print_job(request: HttpRequest, pk: int) -> HttpResponse:
    """A print's page: its progress while the worker draws, then the download."""
    job = _print_job_or_404(request, pk)
    return render(request, "cards/print_job.html", _print_context(job))


@login_required
@require_GET
def print_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The status, progress bar and, once done, the download link alone: htmx polls it every
    second while the print runs; ?format=json answers the same as data."""
    job = _print_job_or_404(request, pk)
    context = _print_context(job)
    if request.GET.get("format") == "json":
        return JsonResponse(
            {
                "id": job.pk,
                "status": job.status,
                "status_label": job.get_status_display(),
                "cards_done": job.progress_done,
                "cards_total": job.progress_total,
                "percent": job.percent(),
                "cards": job.result.get("cards"),
                "pages": job.result.get("pages"),
                "download": reverse("cards:print_download", args=[job.pk])
                if context["ready"]
                else None,
                "error": job.error,
            }
        )
    return render(request, "cards/_print_progress.html", context)


@login_required
@require_POST
def print_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel the user's queued or running print; a running one stops before its next card."""
    job = _print_job_or_404(request, pk)
    tell_cancel(
        request,
        lambda: runner.do_cancel_job(job, acting_user=request.user),
        cancelled=lambda _: "已取消打印，未生成 PDF",
        stopping="正在取消：当前这张卡画完即停止",
    )
    return redirect("cards:print_job", pk=job.pk)


@login_required
@require_GET
def print_download(request: HttpRequest, pk: int) -> HttpResponse | FileResponse:
    """The print's PDF, for the user who asked for it; 410 once deleted after its time."""
    job = _print_job_or_404(request, pk)
    context = _print_context(job)
    if context["gone"]:
        return render(request, "cards/print_job.html", context, status=410)
    path = print_files.path_of(job.result.get("file", "")) if context["ready"] else None
    if path is None:
        raise Http404("PDF 尚未生成")
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise Http404("文件已不存在") from None
    response = FileResponse(handle, content_type="application/pdf")
    response["Content-Disposition"] = _attachment(job.result["filename"])
    response["X-Card-Count"] = str(job.result["cards"])
    return response


@login_required
@require_http_methods(["GET", "POST"])
def token_change(request: HttpRequest, pk: int) -> HttpResponse:
    """补发连心卡（原卡作废）, or only withdraw the card: registry writers, with a reason."""
    household = get_visible_or_404(Household, request.user, pk, write=True)
    action = request.POST.get("action", "reissue")
    if action not in ("reissue", "revoke"):
        action = "reissue"
    error, status = "", 200
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        try:
            if action == "revoke":
                revoked = services.do_revoke_token(
                    household, acting_user=request.user, reason=reason
                )
                messages.success(
                    request, "原连心卡二维码已作废" if revoked else "该户没有有效的连心卡二维码"
                )
                return redirect("people:household_detail", pk=household.pk)
            services.do_reissue_token(household, acting_user=request.user, reason=reason)
        except Refused as exc:
            error, status = exc.message, exc.status
        else:
            messages.success(request, "已补发：原卡二维码已作废，请打印新卡交给该户")
            return redirect("people:household_detail", pk=household.pk)
    context = {
        "household": household,
        "token": services.live_token(household),
        "action": action,
        "error": error,
        "reason": request.POST.get("reason", ""),
    }
    return render(request, "cards/token_form.html", context, status=status)


def _public_headers(response: HttpResponse) -> HttpResponse:
    # Search engines must not list these pages, and the token must not leak through Referer to
    # another site. "same-origin", not "no-referrer": under no-referrer a browser sends the
    # confirmation form's POST with `Origin: null`, which the CSRF check refuses (403).
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "same-origin"
    return response


@never_cache
@require_GET
def public(request: HttpRequest, token: str) -> HttpResponse:
    """The page behind a card's QR code: the household's current cadre and the township office."""
    # Valid, revoked and guessed tokens count alike: the limit is what makes guessing hopeless.
    verdict = ratelimit.hit(
        "card", client_ip(request), limit=settings.LIANXIN_PUBLIC_RATE_PER_MINUTE
    )
    if not verdict.allowed:
        return _public_headers(
            ratelimit.too_many(
                request, verdict, message=PUBLIC_LIMITED, template="cards/public_limited.html"
            )
        )
    contact = services.contact_for_token(token)
    if contact is None:
        return _public_headers(render(request, "cards/public_gone.html", status=404))
    context = {
        "contact": contact,
        "token": token,
        "confirmed": contact.household_id is not None
        and confirmed_this_month(contact.household_id),
        "signed_in": request.user.is_authenticated,
    }
    return _public_headers(render(request, "cards/public.html", context))


@never_cache
@require_POST
def public_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """One tap on the card's page: "本月联系干部来过了/联系过我" for the current month. Never
    required, never a condition of the cadre's record; a second tap the same month changes
    nothing. Rate-limited per client like the page, on its own counter; CSRF-checked."""
    verdict = ratelimit.hit(
        "card_confirm", client_ip(request), limit=settings.LIANXIN_CONFIRM_RATE_PER_MINUTE
    )
    if not verdict.allowed:
        return _public_headers(
            ratelimit.too_many(
                request, verdict, message=PUBLIC_LIMITED, template="cards/public_limited.html"
            )
        )
    try:
        do_confirm_contact(token=token, acting_user=request.user)
    except Refused as exc:
        if exc.status == 404:
            return _public_headers(render(request, "cards/public_gone.html", status=404))
        contact = services.contact_for_token(token)
        context = {"contact": contact, "token": token, "error": exc.message, "signed_in": True}
        return _public_headers(render(request, "cards/public.html", context, status=exc.status))
    return _public_headers(redirect(reverse("cards:public", args=[token]) + "#confirm"))
