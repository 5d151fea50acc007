"""The coverage pages (双向全覆盖): the four layers, the gap lists and their xlsx export.
Every list starts from the user's scope (visible_to); ids in filters and lookups outside it
answer 404. The same figures as data: coverage_api.py.
"""

from __future__ import annotations

import tempfile
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from lianxin.core.errors import Refused
from lianxin.core.views import paginate, query_without_page

from .coverage import Coverage, coverage_for, stale_note
from .coverage_export import XLSX, do_start_coverage_export, prepare, recent_exports, write
from .coverage_figures import DEFINITIONS, LOAD_CHOICES, CoverageQuery
from .filters import LISTS, filter_options, parse_list, parse_load, parse_query

# =============================================================================================
# Coverage (双向全覆盖): the four layers, the gap lists and their xlsx export


def _coverage_refused(request: HttpRequest, exc: Refused) -> HttpResponse:
    """The page with the refusal beside the filters and no figures, answered 4xx."""
    context = {
        "error": exc,
        "params": request.GET,
        "asked": CoverageQuery(),
        **filter_options(request.user, CoverageQuery()),
    }
    return render(request, "pairing/coverage.html", context, status=exc.status)


def _decorate_cadres(cov: Coverage, page: Any) -> None:
    """Each row's load bounds (its unit's, on the day), for the page."""
    rows = list(page.object_list)
    for c in rows:
        c.min_load, c.max_load = cov.bounds_of(c.unit_on)
    page.object_list = rows


def _list_context(request: HttpRequest, cov: Coverage, name: str, load: str) -> dict[str, Any]:
    """The rows of the chosen list or table (paginated where it can grow long)."""
    if name == "households":
        page = paginate(request, cov.households_without_cadre())
        rows = list(page.object_list)
        for h in rows:
            h.note = stale_note(h)
        page.object_list = rows
        return {"page": page}
    if name == "cadres":
        page = paginate(request, cov.cadres_by_load(load))
        _decorate_cadres(cov, page)
        return {"page": page}
    if name == "villages":
        page = paginate(request, cov.villages_without_unit())
        rows = list(page.object_list)
        for v in rows:
            v.ratio = cov.village_households.get(v.pk)
        page.object_list = rows
        return {"page": page}
    if name == "townships":
        page = paginate(request, cov.townships_without_leader())
        rows = list(page.object_list)
        for t in rows:
            t.village_count = cov.village_counts.get(t.pk, 0)
            t.ratio = cov.township_households.get(t.pk)
        page.object_list = rows
        return {"page": page}
    if name == "regions":
        rows = cov.region_rows()
        # All 253 villages at once is too long for a phone: villages unfold for one township.
        expanded = len(rows) == 1 or cov.query.township is not None or cov.query.village is not None
        return {"township_rows": rows, "expanded": expanded}
    return {"page": paginate(request, cov.unit_rows())}


def _without(request: HttpRequest, *names: str) -> str:
    params = request.GET.copy()
    for n in ("page", *names):
        params.pop(n, None)
    return params.urlencode()


@login_required
@require_GET
def coverage(request: HttpRequest) -> HttpResponse:
    """The four layers at the top, then one gap list or table (`list`), all with the filters."""
    user = request.user
    try:
        query = parse_query(user, request.GET)
        name = parse_list(request.GET.get("list"))
        load = parse_load(request.GET.get("load"))
    except Refused as exc:
        return _coverage_refused(request, exc)
    cov = coverage_for(user, query)
    summary = cov.summary()
    gaps = {
        "households": summary.households.gaps,
        "cadres": summary.cadres.gaps,
        "villages": summary.villages.gaps,
        "townships": summary.townships.gaps,
    }
    context = {
        "asked": query,
        "summary": summary,
        "definitions": DEFINITIONS,
        "policy": cov.policy,
        "lists": [(key, label, gaps.get(key)) for key, label in LISTS.items()],
        "list": name,
        "list_label": LISTS[name],
        "load": load,
        "loads": LOAD_CHOICES,
        "params": request.GET,
        # Switching tabs keeps the filters and drops the page (and the cadre sub-filter).
        "filters_query": _without(request, "list", "load"),
        "query": query_without_page(request),
        **filter_options(user, query),
        **_list_context(request, cov, name, load),
        "sync_rows": settings.LIANXIN_SYNC_EXPORT_ROWS,
        "exports": recent_exports(user),
    }
    return render(request, "pairing/coverage.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def coverage_export(request: HttpRequest) -> HttpResponseBase:
    """One gap list or table as .xlsx, with the page's filters (the query string, for both
    methods); masked values only, audited before the first row is written.

    A short list (coverage_export.is_short) is the file itself, at once. A long one is an
    export job: POST (the page's button) starts it and goes to its page, which follows the
    progress and offers the file when it is ready; a GET (a link, a bookmark) answers a page
    saying so, with the button, and starts nothing."""
    user = request.user
    try:
        export = prepare(user, request.GET)
    except Refused as exc:
        return _coverage_refused(request, exc)
    if not export.is_short():
        if request.method != "POST":
            context = {
                "export": export,
                "title": export.table().title,
                "limit": settings.LIANXIN_SYNC_EXPORT_ROWS,
                "keep_days": settings.LIANXIN_TRANSFER_KEEP_DAYS,
                "query": request.GET.urlencode(),
            }
            return render(request, "pairing/coverage_export.html", context)
        try:
            job = do_start_coverage_export(acting_user=user, params=request.GET)
        except Refused as exc:
            return _coverage_refused(request, exc)
        return redirect("transfer:job_detail", pk=job.pk)
    # A spooled temporary file: a short export stays in memory. FileResponse closes it once
    # sent.
    target = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115
    write(export, target)
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename=export.filename, content_type=XLSX)
