"""The cadre search picker: its endpoint and its form field (lianxin/core/pickers.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, JsonResponse

from lianxin.core.pickers import (
    PICKER_LIMIT,
    PickerInputError,
    SearchPickerField,
    picker_answer,
    picker_query,
    picker_refusal,
)

from .models import Cadre


def cadre_label(cadre: Cadre) -> str:
    return f"{cadre.name}（{cadre.unit}，{cadre.staff_no}）"


def search_cadres(qs: QuerySet[Cadre], q: str) -> QuerySet[Cadre]:
    """By name (contains), pinyin initials (prefix) or staff number (prefix), at most
    PICKER_LIMIT + 1 rows with their units, in one query."""
    match = Q(name__contains=q) | Q(staff_no__istartswith=q)
    if q.isascii() and q.isalpha():
        match |= Q(name_initials__startswith=q.lower())
    return (
        qs.filter(match)
        .select_related("unit")
        .order_by("name", "staff_no", "pk")[: PICKER_LIMIT + 1]
    )


@login_required
def picker_cadres(request: HttpRequest) -> JsonResponse:
    """Active cadres the user may see, for the search picker (`q`)."""
    try:
        q = picker_query(request)
    except PickerInputError as exc:
        return picker_refusal(exc)
    qs = Cadre.objects.visible_to(request.user).active()
    return picker_answer(
        search_cadres(qs, q),
        lambda c: {"id": c.pk, "label": c.name, "detail": f"{c.unit} · {c.staff_no}"},
    )


def cadre_field(cadres: QuerySet[Cadre], **kwargs: Any) -> SearchPickerField:
    """One cadre chosen by search. Without a script the typed staff number (or a name unique
    in the county) still finds the cadre."""

    def resolve(value: str) -> Cadre:
        found = cadres.filter(staff_no=value).first()
        if found is not None:
            return found
        named = list(cadres.filter(name=value)[:2])
        if len(named) == 1:
            return named[0]
        if named:
            raise forms.ValidationError(f"有多名干部叫“{value}”，请从查找结果中选择")
        raise forms.ValidationError(f"找不到人员编号或姓名为“{value}”的干部")

    return SearchPickerField(
        queryset=cadres.select_related("unit"),
        url_name="org:picker_cadres",
        label_of=cadre_label,
        resolve_text=resolve,
        **kwargs,
    )
