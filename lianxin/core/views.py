"""View helpers every app's pages share: paging and the query string without the page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest


def paginate(request: HttpRequest, queryset: Any, per_page: int | None = None):
    """A page of rows with an honest total; bad page numbers fall back to the nearest page."""
    paginator = Paginator(queryset, per_page or settings.LIANXIN_PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
