"""The visit history sections of other apps' pages: a household's visits and its own
confirmations (people's household page), a cadre's visits (org's cadre page). Each is a fixed
number of queries however many visits there are."""

from __future__ import annotations

from typing import Any

from django import template

from lianxin.visits.api import visit_rows
from lianxin.visits.filters import filter_visits
from lianxin.visits.models import Visit, VisitConfirmation

register = template.Library()

RECENT = 10


@register.inclusion_tag("visits/_household_visits.html", takes_context=True)
def household_visits(context: dict[str, Any], household: Any) -> dict[str, Any]:
    """The household's latest visits the user may see, and the months it confirmed."""
    user = context["request"].user
    qs = filter_visits(Visit.objects.visible_to(user), household=household.pk)
    visits = list(visit_rows(qs, user)[: RECENT + 1])
    months = list(
        VisitConfirmation.objects.visible_to(user)
        .filter(household=household)
        .values_list("month", flat=True)[:12]
    )
    return {
        "household": household,
        "visits": visits[:RECENT],
        "more": len(visits) > RECENT,
        "confirmed_months": months,
    }


@register.inclusion_tag("visits/_cadre_visits.html", takes_context=True)
def cadre_visits(context: dict[str, Any], cadre: Any) -> dict[str, Any]:
    """The cadre's latest visits the user may see (a cadre sees only their own)."""
    user = context["request"].user
    qs = filter_visits(Visit.objects.visible_to(user), cadre=cadre.pk)
    visits = list(visit_rows(qs, user)[: RECENT + 1])
    return {"cadre": cadre, "visits": visits[:RECENT], "more": len(visits) > RECENT}
