"""The cascading region picker (township → village → group) and the region search picker.

One widget for forms (RegionPickerField), one include for filter forms (`cascade_context`),
one endpoint for the children of a chosen region, all scoped by Region.objects.visible_to and
sorted by Region.sort_key. static/js/pickers.js reloads a level when the one above changes;
without a script the page is sent as it is and the server renders the chosen parent's children.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from lianxin.core.pickers import (
    PICKER_LIMIT,
    PickerInputError,
    SearchPickerField,
    picker_answer,
    picker_query,
    picker_refusal,
)

from .choices import CHILD_LEVEL, Level
from .filters import not_ended, to_int, visible_regions
from .models import Region, tree_order

LEVEL_LABELS = {
    Level.TOWNSHIP: "乡镇（街道）",
    Level.VILLAGE: "村（社区）",
    Level.GROUP: "组（网格）",
}


def choosable_regions(user) -> QuerySet[Region]:
    """The current regions a user may choose, in every picker and filter list. A cadre or a
    handler sees the county's map, but their rows lie in a few villages (the cadre's paired
    households, the handler's zone): their choices are the townships, villages and groups
    holding households they see, not all 2,700."""
    qs = not_ended(visible_regions(user))
    if user.is_authenticated and user.is_unit_scoped:
        from lianxin.people.models import Household

        held = Household.objects.visible_to(user).order_by()
        qs = qs.filter(
            Q(pk__in=held.values("township_id"))
            | Q(pk__in=held.values("village_id"))
            | Q(pk__in=held.values("region_id"))
        )
    return qs


def children_options(
    user, level: Level, parent_id: int | None, *, every: bool = False
) -> list[tuple[int, str]]:
    """(id, short name) of the current regions of one level the user may choose: under the
    parent when given, else every visible one of the level when `every` (a filter left at
    全部, or the top level of the user's scope), else none."""
    qs = choosable_regions(user).filter(level=level)
    if parent_id:
        qs = qs.filter(parent_id=parent_id)
    elif not (every or level == Level.TOWNSHIP):
        return []
    return list(qs.order_by(*tree_order()).values_list("pk", "short_name"))


def cascade_context(
    user,
    chosen: Sequence[int | None],
    *,
    names: Sequence[str] = ("township", "village", "group"),
    empty_label: str = "全部",
    every_village: bool = True,
    id_prefix: str = "id_",
    choose_only: bool = False,
) -> dict[str, Any]:
    """What templates/geo/_region_picker.html draws: township, village and group selects,
    each holding the children of the choice above it (rendered by the server, so a page sent
    without a script offers the right options when it comes back). A top level the user has
    none of is left out (a village staffer starts at their village). With `choose_only` (an
    entry form: a household's 所在组) a level with a single option has it chosen; a filter
    form leaves it at 全部, since choosing it would narrow the list unasked."""
    selects: list[dict[str, Any]] = []
    parent_id: int | None = None
    levels = (Level.TOWNSHIP, Level.VILLAGE, Level.GROUP)[: len(names)]
    for index, (level, name) in enumerate(zip(levels, names, strict=True)):
        every = not selects or (level == Level.VILLAGE and every_village)
        options = children_options(user, level, parent_id, every=every)
        if not selects and not options and level != Level.GROUP:
            continue
        value = chosen[index] if index < len(chosen) else None
        if value not in {pk for pk, _ in options}:
            value = options[0][0] if choose_only and len(options) == 1 else None
        selects.append(
            {
                "name": name,
                "id": f"{id_prefix}{name}",
                "label": LEVEL_LABELS[level],
                "level": level.value,
                "options": options,
                "value": value,
            }
        )
        parent_id = value
    return {
        "selects": selects,
        "url": reverse("geo:picker_children"),
        "empty_label": empty_label,
        "every_village": every_village,
        "choose_only": choose_only,
    }


class RegionPickerWidget(forms.Widget):
    """Three selects named <name>_township, <name>_village and <name> (the group, or the
    answer itself); the field reads the deepest one chosen."""

    def __init__(self, *, user, levels: Sequence[Level]) -> None:
        super().__init__()
        self.user = user
        self.levels = levels

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return {
            "township": data.get(f"{name}_township"),
            "village": data.get(f"{name}_village"),
            "group": data.get(name),
        }

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False

    def id_for_label(self, id_: str) -> str:
        # The form's label names the first select (the township's).
        return f"{id_}_township" if id_ else id_

    def _chosen(self, value: Any) -> list[int | None]:
        if isinstance(value, dict):
            return [to_int(value.get(k)) for k in ("township", "village", "group")]
        pk = to_int(getattr(value, "pk", value))
        region = Region.objects.filter(pk=pk).first() if pk else None
        if region is None:
            return [None, None, None]
        ids: list[int | None] = list(region.ancestor_ids)
        if region.level == Level.VILLAGE:
            ids.append(None)
        return [*ids, None, None, None][:3]

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        context = cascade_context(
            self.user,
            self._chosen(value),
            names=(f"{name}_township", f"{name}_village", name),
            empty_label="请选择",
            every_village=False,
            choose_only=True,
        )
        # render_to_string escaped every value: the markup is safe as a whole.
        return mark_safe(render_to_string("geo/_region_picker.html", context))


class RegionPickerField(forms.Field):
    """A village or group (or any of `levels`) chosen township → village → group, inside the
    user's scope. The form's label points at the first select of the picker."""

    def __init__(self, user, *, levels: Sequence[Level] = (Level.VILLAGE, Level.GROUP), **kw):
        self.user = user
        self.levels = levels
        kw.setdefault("widget", RegionPickerWidget(user=user, levels=levels))
        super().__init__(**kw)

    @property
    def queryset(self) -> QuerySet[Region]:
        """The regions this field accepts."""
        return choosable_regions(self.user).filter(level__in=self.levels)

    def clean(self, value: Any) -> Region | None:
        value = value if isinstance(value, dict) else {"group": value}
        group, village = to_int(value.get("group")), to_int(value.get("village"))
        township = to_int(value.get("township"))
        pk = group or village
        raw = value.get("group") or value.get("village")
        if pk is None:
            if raw:
                raise forms.ValidationError(f"无法识别的区域“{str(raw)[:20]}”")
            if self.required:
                raise forms.ValidationError("请选择所在区域")
            return None
        region = choosable_regions(self.user).filter(pk=pk, level__in=self.levels).first()
        if region is None:
            raise forms.ValidationError("所选区域不在您的范围内")
        # Without a script a changed village can come with the old village's group.
        if group and village and region.parent_id != village:
            raise forms.ValidationError("所选组不在所选村（社区）内，请重新选择组")
        if township and region.township_id != township:
            raise forms.ValidationError("所选村（社区）不在所选乡镇内，请重新选择")
        # Through the picker a village that has groups is a step, not the answer (a form
        # sent without a script after choosing the village comes back offering its groups).
        groups = choosable_regions(self.user).filter(parent=region, level=Level.GROUP)
        if not group and Level.GROUP in self.levels and groups.exists():
            raise forms.ValidationError(f"请选择“{region.short_name}”下的组")
        return region


# Endpoints --------------------------------------------------------------------------------


@login_required
def picker_children(request: HttpRequest) -> JsonResponse:
    """The current children of one region (`parent`) at `level`, for the cascading picker;
    every visible village when the township is left at 全部. Out of scope answers 404."""
    level_text = str(request.GET.get("level") or "")
    if level_text not in (Level.VILLAGE, Level.GROUP):
        return JsonResponse({"detail": "层级（level）只能是 village 或 group"}, status=400)
    level = Level(level_text)
    raw = request.GET.get("parent") or ""
    parent_id = to_int(raw)
    if raw and parent_id is None:
        return JsonResponse({"detail": f"上级区划（parent）应为编号，现为“{raw[:20]}”"}, status=400)
    if parent_id:
        parent = visible_regions(request.user).filter(pk=parent_id).first()
        if parent is None:
            return JsonResponse({"detail": "上级区划不存在或不在您的权限范围内"}, status=404)
        if CHILD_LEVEL.get(Level(parent.level)) != level:
            return JsonResponse({"detail": "上级区划的层级与所求层级不符"}, status=400)
    options = children_options(request.user, level, parent_id, every=level == Level.VILLAGE)
    return JsonResponse({"items": [{"id": pk, "label": label} for pk, label in options]})


def region_label(region: Region) -> str:
    """'文井江镇 · 大坪村 · 6组' from a region fetched with parent__parent."""
    names = [region.short_name]
    parent = region.parent
    while parent is not None:
        names.insert(0, parent.short_name)
        parent = parent.parent if parent.level != Level.TOWNSHIP else None
    return " · ".join(names)


def search_regions(user, q: str, levels: Sequence[str] = ()) -> QuerySet[Region]:
    """Current regions in scope by name (contains), pinyin initials (prefix) or code (prefix),
    in map order, at most PICKER_LIMIT + 1 rows."""
    match = Q(name__contains=q) | Q(short_name__contains=q)
    if q.isascii() and q.isalpha():
        match |= Q(name_initials__startswith=q.lower())
    if q.isdigit():
        match |= Q(code__startswith=q)
    qs = choosable_regions(user).filter(match)
    if levels:
        qs = qs.filter(level__in=levels)
    return qs.select_related("parent__parent").order_by(*tree_order())[: PICKER_LIMIT + 1]


@login_required
def picker_regions(request: HttpRequest) -> JsonResponse:
    """Regions for the search picker: `q`, optional `level` (repeatable)."""
    try:
        q = picker_query(request)
    except PickerInputError as exc:
        return picker_refusal(exc)
    levels = request.GET.getlist("level")
    bad = [lv for lv in levels if lv not in Level.values]
    if bad:
        return JsonResponse({"detail": f"无法识别的层级（level）“{bad[0][:20]}”"}, status=400)
    return picker_answer(
        search_regions(request.user, q, levels),
        lambda r: {"id": r.pk, "label": region_label(r), "detail": r.get_level_display()},
    )


def resolve_region(queryset: QuerySet[Region], text: str) -> Region:
    """The one region of `queryset` typed by its name, short name or code, its parents before
    it where the name alone is not enough ("大坪村 · 6组", as the picker labels it); else a
    ValidationError naming the text."""
    parts = [p.strip() for p in re.split(r"[·・]", text) if p.strip()]
    shown = text.strip()[:40]
    if not parts or len(parts) > 3:
        raise forms.ValidationError(f"找不到“{shown}”：请从查找结果中选择")
    qs, prefix = queryset, ""
    for part in reversed(parts):
        match = Q(**{f"{prefix}short_name": part}) | Q(**{f"{prefix}name": part})
        if part.isdigit():
            match |= Q(**{f"{prefix}code": part})
        qs, prefix = qs.filter(match), f"{prefix}parent__"
    found = list(qs.select_related("parent__parent").order_by(*tree_order())[:2])
    if not found:
        raise forms.ValidationError(
            f"找不到“{shown}”：请输入全称、简称或区划代码，或从查找结果中选择"
        )
    if len(found) > 1:
        raise forms.ValidationError(
            f"“{shown}”不止一处（如“{region_label(found[0])}”和“{region_label(found[1])}”），"
            "请写明所在乡镇或村，或从查找结果中选择"
        )
    return found[0]


def region_search_field(user: Any, queryset: QuerySet[Region], **kwargs: Any) -> SearchPickerField:
    """Several regions chosen by search (the pairing policy's villages and groups). Without a
    script the typed names (separated by 、) are resolved by resolve_region."""
    queryset = queryset.select_related("parent__parent")
    return SearchPickerField(
        queryset=queryset,
        url_name="geo:picker_regions",
        url_params=kwargs.pop("url_params", ""),
        label_of=region_label,
        multiple=True,
        resolve_text=lambda text: resolve_region(queryset, text),
        **kwargs,
    )
