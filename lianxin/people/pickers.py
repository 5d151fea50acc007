"""The household search picker's endpoint (lianxin/core/pickers.py)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest, JsonResponse

from lianxin.core.pickers import (
    PICKER_LIMIT,
    PickerInputError,
    picker_answer,
    picker_query,
    picker_refusal,
)
from lianxin.lib import masking

from .choices import Relation
from .filters import is_sensitive_query
from .models import Household, Resident


def search_households(user, q: str) -> QuerySet[Household]:
    """Visible households by 户号 (prefix) or head's name (contains) or initials (prefix),
    with the head's name and places, at most PICKER_LIMIT + 1 rows in one query."""
    heads = Resident.objects.filter(household=OuterRef("pk"), relation=Relation.HEAD)
    match = Q(number__istartswith=masking.compact(q)) | Q(Exists(heads.filter(name__contains=q)))
    if q.isascii() and q.isalpha():
        match |= Q(Exists(heads.filter(name_initials__startswith=q.lower())))
    return (
        Household.objects.visible_to(user)
        .filter(match)
        .select_related("township", "village", "region")
        .annotate(head_name=Subquery(heads.values("name")[:1]))
        .order_by("number", "pk")[: PICKER_LIMIT + 1]
    )


def _item(h: Household) -> dict:
    place = " · ".join(
        dict.fromkeys(r.short_name for r in (h.township, h.village, h.region) if r is not None)
    )
    head = getattr(h, "head_name", None) or "（未登记户主）"
    return {"id": h.pk, "label": f"{h.number} {head}", "detail": place}


@login_required
def picker_households(request: HttpRequest) -> JsonResponse:
    """Households for the search picker (`q`); an ID or phone number is not searched here."""
    try:
        q = picker_query(request)
        if is_sensitive_query(q):
            raise PickerInputError("这里按户号或户主姓名查找；身份证号、电话请用“查找”页面")
    except PickerInputError as exc:
        return picker_refusal(exc)
    return picker_answer(search_households(request.user, q), _item)
