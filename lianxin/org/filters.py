"""The rows and filters of the unit, cadre and leader-liaison lists, shared by the pages and the
API so that one query string gives the same rows in both."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from lianxin.geo.choices import Level
from lianxin.geo.models import Region
from lianxin.geo.pickers import choosable_regions
from lianxin.pairing.models import Pairing

from .choices import UnitKind
from .models import Cadre, CadreQuerySet, LeaderLiaison, ResponsibilityZone, Unit, UnitQuerySet

# ---------------------------------------------------------------------------------------------
# Scopes: the starting querysets. The three separated administrators manage the system, not
# people's data, so the registry of units and cadres answers them 404 like any outsider.


def require_registry_reader(user: Any) -> None:
    if not user.is_authenticated or not user.sees_people:
        raise Http404("对象不存在或不在您的权限范围内")


def visible_units(user: Any) -> UnitQuerySet:
    """Units the user may see (UnitQuerySet.visible_to), or 404 for the separated admins."""
    require_registry_reader(user)
    return Unit.objects.visible_to(user)


def visible_cadres(user: Any) -> CadreQuerySet:
    """Cadres the user may see (CadreQuerySet.visible_to), or 404 for the separated admins."""
    require_registry_reader(user)
    return Cadre.objects.visible_to(user)


def visible_townships(user: Any) -> QuerySet[Region]:
    """Current townships in the user's scope (the whole county for county-wide roles)."""
    require_registry_reader(user)
    return Region.objects.visible_to(user).current().filter(level=Level.TOWNSHIP)


def township_choices(user: Any) -> QuerySet[Region]:
    """The townships a filter offers: the pickers' (choosable_regions — for a cadre or a
    handler those holding their households, not the county's 25), in official order."""
    require_registry_reader(user)
    return choosable_regions(user).filter(level=Level.TOWNSHIP).order_by("sort_key", "pk")


def _count(subquery: QuerySet, group: str, counted: str = "pk", *, distinct: bool = False):
    """A correlated COUNT as an annotation; subqueries rather than joins so that several counts
    on one row do not multiply each other."""
    return Coalesce(
        Subquery(
            subquery.order_by()
            .values(group)
            .annotate(n=Count(counted, distinct=distinct))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


def paired_households_of_cadre():
    """Annotation: households currently paired with the row's cadre."""
    return _count(
        Pairing.objects.current().filter(cadre_id=OuterRef("pk")),
        "cadre_id",
        "household_id",
        distinct=True,
    )


def unit_rows(user: Any) -> UnitQuerySet:
    """The unit list: township, counts and current zones in a fixed number of queries."""
    return (
        visible_units(user)
        .select_related("township")
        .annotate(
            active_cadres=_count(
                Cadre.objects.filter(unit_id=OuterRef("pk"), left_on__isnull=True), "unit_id"
            ),
            paired_households=_count(
                Pairing.objects.current().filter(cadre__unit_id=OuterRef("pk")),
                "cadre__unit_id",
                "household_id",
                distinct=True,
            ),
        )
        .prefetch_related(
            Prefetch(
                "zones",
                queryset=ResponsibilityZone.objects.current()
                .select_related("village")
                .order_by("village__sort_key", "village_id"),
                to_attr="current_zones",
            )
        )
        .order_by("name", "pk")
    )


def cadre_rows(user: Any) -> CadreQuerySet:
    """The cadre list: unit and paired-household count per row."""
    return (
        visible_cadres(user)
        .select_related("unit")
        .annotate(paired_households=paired_households_of_cadre())
        .order_by("unit__name", "staff_no", "pk")
    )


def liaison_rows(user: Any) -> QuerySet[Region]:
    """Townships in scope, each with its current city leaders (current_liaisons)."""
    return (
        visible_townships(user)
        .prefetch_related(
            Prefetch(
                "liaisons",
                queryset=LeaderLiaison.objects.current()
                .select_related("leader", "leader__unit")
                .order_by("valid_from", "pk"),
                to_attr="current_liaisons",
            )
        )
        .order_by("sort_key", "pk")
    )


def leader_rows(user: Any) -> QuerySet[Cadre]:
    """Active city leaders in scope, each with the townships they currently liaise with."""
    return (
        visible_cadres(user)
        .active()
        .filter(is_city_leader=True)
        .select_related("unit")
        .prefetch_related(
            Prefetch(
                "liaisons",
                queryset=LeaderLiaison.objects.current()
                .select_related("township")
                .order_by("township__sort_key", "pk"),
                to_attr="current_liaisons",
            )
        )
        .order_by("name", "pk")
    )


# ---------------------------------------------------------------------------------------------
# Filter sets: bound GET forms. The page renders them; the API feeds them its query parameters.

YES_NO = [("", "全部"), ("true", "是"), ("false", "否")]


class FilterSet(forms.Form):
    """A GET form that narrows a queryset; bad values are reported in Chinese, never ignored."""

    def __init__(self, data: Any = None, *, user: Any) -> None:
        super().__init__(data if data is not None else {})
        self.user = user

    def apply(self, qs: QuerySet) -> QuerySet:
        """The rows matching the valid filters (no rows when a filter value is invalid)."""
        if not self.is_valid():
            return qs.none()
        return self.narrow(qs, self.cleaned_data)

    def narrow(self, qs: QuerySet, data: dict[str, Any]) -> QuerySet:  # pragma: no cover
        raise NotImplementedError

    def first_error(self) -> tuple[str, str]:
        """(field, "label：message") of the first invalid filter, for the API's 422 answer."""
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else ""
            return name, f"{label}：{errors[0]}" if label else str(errors[0])
        return "", ""


def _initials_query(text: str) -> Q:
    """Name contains the text, or (for ASCII letters) the pinyin initials start with it."""
    q = Q(name__icontains=text)
    if text.isascii() and text.isalpha():
        q |= Q(name_initials__startswith=text.lower())
    return q


class TownshipChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        return obj.short_name


class UnitFilter(FilterSet):
    """Filters of the unit list: kind, handles demands, township served or based in, name."""

    kind = forms.ChoiceField(
        label="单位类型",
        required=False,
        choices=[("", "全部"), *UnitKind.choices],
        error_messages={"invalid_choice": "无法识别的单位类型“%(value)s”"},
    )
    handles_demands = forms.NullBooleanField(
        label="承办诉求", required=False, widget=forms.Select(choices=YES_NO)
    )
    township = TownshipChoiceField(
        label="乡镇（街道）",
        queryset=Region.objects.none(),
        required=False,
        empty_label="全部",
        error_messages={"invalid_choice": "所选乡镇不存在或不在您的权限范围内"},
    )
    name = forms.CharField(label="名称", required=False, max_length=80)

    def __init__(self, data: Any = None, *, user: Any) -> None:
        super().__init__(data, user=user)
        self.fields["township"].queryset = township_choices(user)  # type: ignore[attr-defined]

    def narrow(self, qs: QuerySet, data: dict[str, Any]) -> QuerySet:
        if data.get("kind"):
            qs = qs.filter(kind=data["kind"])
        if data.get("handles_demands") is not None:
            qs = qs.filter(handles_demands=data["handles_demands"])
        township = data.get("township")
        if township is not None:
            serving = ResponsibilityZone.objects.current().filter(
                village__path__startswith=township.path
            )
            qs = qs.filter(Q(township=township) | Q(pk__in=serving.values("unit_id")))
        name = (data.get("name") or "").strip()
        if name:
            qs = qs.filter(Q(name__icontains=name) | Q(short_name__icontains=name))
        return qs


class CadreStatus:
    ACTIVE, LEFT, ALL = "active", "left", "all"
    choices = [(ACTIVE, "在册"), (LEFT, "已退出"), (ALL, "全部")]


class CadreFilter(FilterSet):
    """Filters of the cadre list: unit, city leader, active or left, name or pinyin initials."""

    unit = forms.ModelChoiceField(
        label="单位",
        queryset=Unit.objects.none(),
        required=False,
        empty_label="全部",
        error_messages={"invalid_choice": "所选单位不存在或不在您的权限范围内"},
    )
    city_leader = forms.NullBooleanField(
        label="市级领导", required=False, widget=forms.Select(choices=YES_NO)
    )
    status = forms.ChoiceField(
        label="状态",
        required=False,
        choices=CadreStatus.choices,
        error_messages={"invalid_choice": "状态只能是 active、left 或 all"},
    )
    q = forms.CharField(label="姓名或拼音首字母", required=False, max_length=30)

    def __init__(self, data: Any = None, *, user: Any) -> None:
        super().__init__(data, user=user)
        self.fields["unit"].queryset = visible_units(user).order_by("name")  # type: ignore[attr-defined]

    def narrow(self, qs: QuerySet, data: dict[str, Any]) -> QuerySet:
        if data.get("unit") is not None:
            qs = qs.filter(unit=data["unit"])
        if data.get("city_leader") is not None:
            qs = qs.filter(is_city_leader=data["city_leader"])
        status = data.get("status") or CadreStatus.ACTIVE
        if status == CadreStatus.ACTIVE:
            qs = qs.filter(left_on__isnull=True)
        elif status == CadreStatus.LEFT:
            qs = qs.filter(left_on__isnull=False)
        text = (data.get("q") or "").strip()
        if text:
            qs = qs.filter(_initials_query(text) | Q(staff_no__iexact=text))
        return qs


class LiaisonFilter(FilterSet):
    """Filters of the leaders ↔ townships table: one township, or only those without a leader."""

    township = TownshipChoiceField(
        label="乡镇（街道）",
        queryset=Region.objects.none(),
        required=False,
        empty_label="全部",
        error_messages={"invalid_choice": "所选乡镇不存在或不在您的权限范围内"},
    )
    uncovered = forms.NullBooleanField(
        label="仅看无领导联系的乡镇",
        required=False,
        widget=forms.Select(choices=[("", "否"), ("true", "是")]),
    )

    def __init__(self, data: Any = None, *, user: Any) -> None:
        super().__init__(data, user=user)
        self.fields["township"].queryset = township_choices(user)  # type: ignore[attr-defined]

    def narrow(self, qs: QuerySet, data: dict[str, Any]) -> QuerySet:
        if data.get("township") is not None:
            qs = qs.filter(pk=data["township"].pk)
        if data.get("uncovered"):
            covered = LeaderLiaison.objects.current().values("township_id")
            qs = qs.exclude(pk__in=covered)
        return qs


def query_params(schema: Any) -> dict[str, str]:
    """An API filter schema as the string form data a FilterSet reads (booleans as true/false)."""
    data: dict[str, str] = {}
    for key, value in schema.model_dump(exclude_none=True).items():
        if isinstance(value, bool):
            data[key] = "true" if value else "false"
        else:
            data[key] = str(value)
    return data
