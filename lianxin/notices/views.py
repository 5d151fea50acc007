"""The notices page: the user's own notices, newest first, each marked read with one tap."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from lianxin.core.access import get_visible_or_404
from lianxin.core.views import paginate, query_without_page

from . import services
from .models import Notice


@login_required
@require_GET
def notice_list(request: HttpRequest) -> HttpResponse:
    qs = Notice.objects.visible_to(request.user)
    if request.GET.get("unread") == "1":
        qs = qs.unread()
    page = paginate(request, qs.order_by("-day", "-id"))
    context = {
        "page": page,
        "query": query_without_page(request),
        "unread_only": request.GET.get("unread") == "1",
    }
    return render(request, "notices/notice_list.html", context)


@login_required
@require_POST
def notice_read(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_visible_or_404(Notice, request.user, pk, write=True)
    services.do_mark_read(notice, acting_user=request.user)
    return redirect("notices:notice_list")


@login_required
@require_POST
def notice_read_all(request: HttpRequest) -> HttpResponse:
    n = services.do_mark_all_read(request.user, acting_user=request.user)
    messages.success(request, f"已将{n}条通知标为已读" if n else "没有未读通知")
    return redirect("notices:notice_list")
