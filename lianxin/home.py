"""The home page: the user's figures across the apps. A page above every app, as lianxin/api.py
is for the API, so that core, which every app builds on, imports none of them."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from lianxin.core.models import today
from lianxin.geo.choices import Level
from lianxin.geo.models import Region
from lianxin.org.models import Cadre, Unit
from lianxin.people.models import Enterprise, Household, HouseholdHardship, Resident


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    figures: list[tuple[str, int, str]] = []
    if user.sees_people:  # type: ignore[union-attr]
        regions = Region.objects.visible_to(user).current()
        households = Household.objects.visible_to(user)
        figures = [
            ("乡镇（街道）", regions.filter(level=Level.TOWNSHIP).count(), "geo:county"),
            ("村（社区）", regions.filter(level=Level.VILLAGE).count(), "geo:county"),
            ("户", households.count(), "people:household_list"),
            ("居民", Resident.objects.visible_to(user).count(), "people:resident_list"),
            (
                "困难群众户",
                HouseholdHardship.objects.current()
                .filter(household__in=households)
                .values("household_id")
                .distinct()
                .count(),
                "people:household_list",
            ),
            ("企业", Enterprise.objects.visible_to(user).count(), "people:enterprise_list"),
            ("单位", Unit.objects.visible_to(user).count(), "org:unit_list"),
            ("干部职工", Cadre.objects.visible_to(user).active().count(), "org:cadre_list"),
        ]
    return render(request, "core/home.html", {"figures": figures, "today": today()})
