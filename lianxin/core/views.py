"""View helpers every app's pages share: paging, the query string without the page, and the
error pages."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from lianxin.core.paging import BoundedPaginator, DeepPaginator

logger = logging.getLogger(__name__)


def paginate(
    request: HttpRequest, queryset: Any, per_page: int | None = None, *, cap: int | None = None
):
    """A page of rows with an honest total; bad page numbers fall back to the nearest page.
    With `cap`, the total is counted only up to it (core.paging.BoundedPaginator)."""
    size = per_page or settings.LIANXIN_PAGE_SIZE
    paginator = (
        DeepPaginator(queryset, size) if cap is None else BoundedPaginator(queryset, size, cap=cap)
    )
    return paginator.get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# --- Error pages: Chinese, in the site's layout, with the menu when the user is signed in.
# Django's own 400 and 500 handlers render without the request (no user, no menu); these render
# every code the same way, and fall back to plain text if the page itself cannot be drawn
# (a 500 raised because the database is down must not raise again while showing the menu).

_PLAIN = {
    400: "400 请求无法处理：提交的内容不完整或格式不对。",
    403: "403 没有权限。",
    404: "404 找不到该页面或记录。",
    500: "500 系统出错了，这次操作没有完成，请稍后重试。",
}


def error_page(request: HttpRequest, code: int, template: str | None = None) -> HttpResponse:
    from django.http import JsonResponse
    from django.shortcuts import render

    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _PLAIN[code], "field": ""}, status=code)
    try:
        return render(request, template or f"{code}.html", {"code": code}, status=code)
    except Exception:
        logger.exception("error page %s could not be drawn", code)
        return HttpResponse(_PLAIN[code], content_type="text/plain; charset=utf-8", status=code)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return error_page(request, 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return error_page(request, 403, "403_csrf.html")
