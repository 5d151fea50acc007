"""The visit history pages: the visits list (/visits/, filterable by household, cadre, dates
and mode; its JSON twin is GET /api/visits with the same filters) and one visit's page. Scoped
by Visit.objects.visible_to; outside the scope is 404. (The cadre's own phone page and the
visit form live beside these, in their own module.)"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from lianxin.core.access import NOT_FOUND, get_visible_or_404
from lianxin.core.views import paginate, query_without_page
from lianxin.org.models import Cadre
from lianxin.people.models import Household

from .api import visit_rows
from .filters import VisitFilter
from .models import Visit


def _require_reader(user) -> None:
    if not user.is_authenticated or not user.sees_people:
        raise Http404(NOT_FOUND)


@login_required
@require_GET
def visit_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_reader(user)
    filters = VisitFilter(request.GET, user=user)
    qs = filters.apply(Visit.objects.visible_to(user))
    # The county's history is a million rows: counted up to the cap on every page view.
    page = paginate(request, visit_rows(qs, user), cap=settings.LIANXIN_COUNT_CAP)
    data = filters.cleaned_data if filters.is_valid() else {}
    household = cadre = None
    if data.get("household"):
        household = Household.objects.visible_to(user).filter(pk=data["household"]).first()
    if data.get("cadre"):
        cadre = Cadre.objects.visible_to(user).filter(pk=data["cadre"]).first()
    context = {
        "filters": filters,
        "page": page,
        "query": query_without_page(request),
        "household": household,
        "cadre": cadre,
        "api_query": request.GET.urlencode(),
    }
    return render(
        request, "visits/visit_list.html", context, status=200 if filters.is_valid() else 400
    )


@login_required
@require_GET
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    _require_reader(user)
    visit = get_visible_or_404(Visit, user, pk)
    visit = visit_rows(Visit.objects.filter(pk=visit.pk), user).get()
    context = {
        "visit": visit,
        "rows": list(visit.households.all()),
        "needs": list(visit.needs.all()),
        "editable": visit.author_id == user.pk and visit.is_editable(),
    }
    return render(request, "visits/visit_detail.html", context)
