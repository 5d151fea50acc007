"""The audit log pages: read-only, for the audit administrator alone (everyone else 404)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from lianxin.core.access import get_visible_or_404
from lianxin.core.views import paginate, query_without_page

from .filters import (
    AuditFilter,
    change_rows,
    last_verification,
    target_type_label,
    visible_entries,
)
from .models import AuditEntry


@login_required
@require_GET
def entry_list(request: HttpRequest) -> HttpResponse:
    entries = visible_entries(request.user)
    filters = AuditFilter(request.GET, user=request.user)
    filters.load_choices(entries)
    page = paginate(request, filters.apply(entries))
    rows = [(e, target_type_label(e.target_type), change_rows(e)) for e in page]
    context = {
        "filters": filters,
        "page": page,
        "rows": rows,
        "query": query_without_page(request),
        "verification": last_verification(entries),
    }
    return render(
        request, "audit/entry_list.html", context, status=200 if filters.is_valid() else 400
    )


@login_required
@require_GET
def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    visible_entries(request.user)  # 404 for everyone but the audit administrator
    entry = get_visible_or_404(AuditEntry, request.user, pk)
    context = {
        "entry": entry,
        "type_label": target_type_label(entry.target_type),
        "changes": change_rows(entry),
    }
    return render(request, "audit/entry_detail.html", context)
