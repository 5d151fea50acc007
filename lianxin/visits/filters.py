"""The visit history's filters, one set for the page (/visits/) and the API (GET /api/visits):
household, cadre, date range, mode, and whether withdrawn visits are included."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet

from lianxin.core.forms import DATE_INPUT
from lianxin.org.filters import YES_NO, FilterSet

from .choices import VisitMode
from .models import Visit, VisitHousehold


def filter_visits(
    qs: QuerySet[Visit],
    *,
    household: int | None = None,
    cadre: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    mode: str | None = None,
    withdrawn: bool = False,
) -> QuerySet[Visit]:
    """The history's rows, newest first: withdrawn visits only when asked for."""
    if not withdrawn:
        qs = qs.filter(withdrawn_at__isnull=True)
    if cadre:
        qs = qs.filter(cadre_id=cadre)
    if start:
        qs = qs.filter(occurred_on__gte=start)
    if end:
        qs = qs.filter(occurred_on__lte=end)
    if mode:
        qs = qs.filter(mode=mode)
    if household or cadre:
        # A household has a few dozen visits, a cadre a few hundred: their ids come from the
        # visit rows' indexes, and the list asks for those visits by primary key, the scope and
        # the other filters checked on those few. SQLite, which plans without statistics, would
        # otherwise walk the county's 1.14 million visits by the (county, day) index to find
        # them: 540 ms for a household's page at scale 1, a second to count a cadre's.
        rows = VisitHousehold.objects.all()
        if household:
            rows = rows.filter(household_id=household)
        if cadre:
            rows = rows.filter(cadre_id=cadre)
        picked = qs.filter(pk__in=rows.values("visit_id")).order_by().values("pk")
        qs = Visit.objects.filter(pk__in=picked)
    return qs.order_by("-occurred_on", "-id")


class VisitFilter(FilterSet):
    """The page's filters, as GET parameters named like the API's."""

    household = forms.IntegerField(
        label="户", required=False, min_value=1, widget=forms.HiddenInput
    )
    cadre = forms.IntegerField(label="干部", required=False, min_value=1, widget=forms.HiddenInput)
    start = forms.DateField(
        label="起始日期",
        required=False,
        widget=DATE_INPUT,
        error_messages={"invalid": "请填写正确的日期，如 2025-03-01"},
    )
    end = forms.DateField(
        label="结束日期",
        required=False,
        widget=DATE_INPUT,
        error_messages={"invalid": "请填写正确的日期，如 2025-03-31"},
    )
    mode = forms.ChoiceField(
        label="方式",
        required=False,
        choices=[("", "全部"), *VisitMode.choices],
        error_messages={"invalid_choice": "无法识别的走访方式“%(value)s”"},
    )
    withdrawn = forms.NullBooleanField(
        label="含已撤回", required=False, widget=forms.Select(choices=YES_NO)
    )

    def __init__(self, data: Any = None, *, user: Any) -> None:
        # The API's spelling: from / to.
        if data is not None:
            data = data.copy()
            for api_name, name in (("from", "start"), ("to", "end")):
                if api_name in data and name not in data:
                    data[name] = data[api_name]
        super().__init__(data, user=user)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "结束日期不能早于起始日期")
        return data

    def narrow(self, qs: QuerySet, data: dict[str, Any]) -> QuerySet:
        return filter_visits(
            qs,
            household=data.get("household"),
            cadre=data.get("cadre"),
            start=data.get("start"),
            end=data.get("end"),
            mode=data.get("mode") or None,
            withdrawn=bool(data.get("withdrawn")),
        )
