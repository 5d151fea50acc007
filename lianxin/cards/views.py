"""连心卡 pages: choosing and downloading a print, re-issuing a lost card, and the public page a
household reaches by scanning its card (no login, rate-limited, nothing about the household)."""

from __future__ import annotations

import re
import tempfile
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from lianxin.core import ratelimit
from lianxin.core.access import get_visible_or_404
from lianxin.core.context import client_ip
from lianxin.core.errors import Refused
from lianxin.geo.choices import Level
from lianxin.geo.models import Region
from lianxin.org.models import Cadre, Unit
from lianxin.people.models import Household

from . import pdf, services
from .selection import Selection, resolve

PUBLIC_LIMITED = "访问太频繁，请稍后再试"
# The PDF is spooled in memory up to this size, then on disk, and sent in blocks.
SPOOL_BYTES = 8 * 1024 * 1024
_UNSAFE_FILENAME = re.compile(r'[\\/:*?"<>|\s]+')


def base_url(request: HttpRequest) -> str:
    """Where the QR codes point: the configured public address, or the one this request came to."""
    return settings.LIANXIN_PUBLIC_BASE_URL or request.build_absolute_uri("/").rstrip("/")


def _attachment(name: str) -> str:
    """Content-Disposition for a Chinese file name, with an ASCII fallback for old clients."""
    name = _UNSAFE_FILENAME.sub("_", name)
    return f"attachment; filename=\"lianxin-cards.pdf\"; filename*=UTF-8''{quote(name)}"


def _chooser_context(user: Any) -> dict[str, Any]:
    villages = (
        Region.objects.visible_to(user)
        .current()
        .filter(level=Level.VILLAGE)
        .select_related("parent")
        .order_by("parent__code", "parent_id", "code", "pk")
    )
    return {
        "villages": villages,
        "units": Unit.objects.visible_to(user).filter(dissolved_on__isnull=True).order_by("name"),
        "own_cadre": Cadre.objects.filter(user=user).first(),
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
    """GET: choose what to print, or see what a selection holds. POST: download the PDF."""
    data = request.POST if request.method == "POST" else request.GET
    kind, pk = data.get("kind", ""), data.get("pk", "")
    if request.method == "GET" and not kind:
        return _selection_page(request, None)
    selection = resolve(request.user, kind, pk)
    if request.method == "GET":
        return _selection_page(request, selection)
    # Not a context manager: FileResponse reads the file after this returns, then closes it.
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
    try:
        result = services.do_print_cards(
            selection, acting_user=request.user, base_url=base_url(request), out=out
        )
    except Refused as exc:
        out.close()
        return _selection_page(request, selection, error=exc.message, status=exc.status)
    out.seek(0)
    response = FileResponse(out, content_type="application/pdf")
    response["Content-Disposition"] = _attachment(f"{selection.label}连心卡.pdf")
    response["X-Card-Count"] = str(result.cards)
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
    # Search engines must not list these pages, and the token must not leak through Referer.
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
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
    return _public_headers(render(request, "cards/public.html", {"contact": contact}))
