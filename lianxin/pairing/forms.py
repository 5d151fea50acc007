"""Forms of the pairing policy, automatic pairing and manual pairing pages. They only shape
input; the rules (bounds, zones, overlapping exclusions, stale previews) live in services.py
and come back as Refused, which `refuse_into` puts beside the field it names."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Count, Q

from lianxin.core.fields import form_field
from lianxin.core.forms import DATE_INPUT, end_date_field
from lianxin.core.models import today
from lianxin.geo.choices import Level
from lianxin.geo.models import Region, tree_order
from lianxin.geo.pickers import region_search_field
from lianxin.org.models import Cadre, ResponsibilityZone, Unit
from lianxin.org.pickers import cadre_field
from lianxin.people.choices import HardshipKind

from .choices import Coverage
from .models import CadreExclusion, PairingPolicy
from .policy import policy_for
from .services import BUDGET_CAP, BUDGET_MIN, MAX_LOAD_CAP

DATE = DATE_INPUT


def coverage_regions(county_id: int):
    """Current villages and groups of the county, in map order."""
    return (
        Region.objects.current()
        .filter(county_id=county_id, level__in=(Level.VILLAGE, Level.GROUP))
        .select_related("parent__parent")
        .order_by(*tree_order())
    )


class PolicyForm(forms.Form):
    """The county's pairing rules."""

    coverage = forms.ChoiceField(
        label="需覆盖的户", choices=Coverage.choices, widget=forms.RadioSelect
    )
    hardship_kinds = forms.MultipleChoiceField(
        label="困难类型",
        choices=HardshipKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="覆盖范围为“指定困难类型的户”时适用；不勾选则为任一困难类型",
    )
    regions = forms.Field(label="指定村（社区）或组", required=False)
    min_load = forms.IntegerField(label="每名干部最少联系户数", min_value=0, max_value=MAX_LOAD_CAP)
    max_load = forms.IntegerField(label="每名干部最多联系户数", min_value=1, max_value=MAX_LOAD_CAP)
    keep_groups_together = forms.BooleanField(label="同组户尽量由同一干部联系", required=False)
    exclude_city_leaders = forms.BooleanField(
        label="市级领导不承接户（市级领导联系乡镇）", required=False
    )

    def __init__(self, *args: Any, county_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["regions"] = region_search_field(
            None,
            coverage_regions(county_id),
            url_params="level=village&level=group",
            label="指定村（社区）或组",
            required=False,
            help_text="覆盖范围为“指定村（社区）或组的户”时适用；输入名称或拼音首字母查找，可选多个",
        )

    @classmethod
    def initial_for(cls, policy: PairingPolicy) -> dict[str, Any]:
        return {
            "coverage": policy.coverage,
            "hardship_kinds": policy.hardship_kinds,
            "regions": [r.pk for r in policy.regions.all()],
            "min_load": policy.min_load,
            "max_load": policy.max_load,
            "keep_groups_together": policy.keep_groups_together,
            "exclude_city_leaders": policy.exclude_city_leaders,
        }


class UnitOverrideForm(forms.Form):
    """A unit's own load bounds."""

    unit = forms.ModelChoiceField(label="单位", queryset=Unit.objects.none())
    min_load = forms.IntegerField(label="最少联系户数", min_value=0, max_value=MAX_LOAD_CAP)
    max_load = forms.IntegerField(label="最多联系户数", min_value=1, max_value=MAX_LOAD_CAP)

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units.filter(dissolved_on__isnull=True)  # type: ignore[attr-defined]


class ExclusionForm(forms.Form):
    """A cadre kept out of automatic pairing for a period."""

    reason = form_field(CadreExclusion, "reason", help_text="如：病假、借调、产假")
    valid_from = forms.DateField(label="开始日期", widget=DATE, required=False)
    valid_to = forms.DateField(
        label="最后一天", widget=DATE, required=False, help_text="不填则一直不参与，直到结束"
    )

    def __init__(self, *args: Any, cadres: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cadres = cadres
        self.fields["cadre"] = cadre_field(
            cadres, label="干部", help_text="输入姓名、拼音首字母或人员编号查找"
        )
        self.order_fields(["cadre", "reason", "valid_from", "valid_to"])


class DateForm(forms.Form):
    """One date: the last day of an exclusion or of a pairing."""

    valid_to = end_date_field(initial_today=False)


class RunForm(forms.Form):
    """Starting a dry run: an optional note on why (shown in the run list and the audit) and
    its time budget, up to the policy's maximum (services.do_start_pairing_run checks it)."""

    note = forms.CharField(label="说明", max_length=200, required=False)
    budget = forms.IntegerField(label="计算时限（秒）", required=False)

    def __init__(self, *args: Any, policy: PairingPolicy, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("budget", policy.run_budget)
        super().__init__(*args, **kwargs)
        field = self.fields["budget"]
        field.help_text = (
            f"默认 {policy.run_budget} 秒，最多 {policy.run_budget_max} 秒。时限到时停止计算，"
            "保留已找到的最好方案（覆盖仍为最优），并标出未能证明最优的部分"
        )
        field.widget.attrs.update(min=BUDGET_MIN, max=policy.run_budget_max)


class BudgetForm(forms.Form):
    """How long an automatic pairing run may compute (wall-clock seconds)."""

    run_budget = forms.IntegerField(
        label="默认计算时限（秒）", help_text="发起自动结对时预先填入的时限"
    )
    run_budget_max = forms.IntegerField(
        label="计算时限上限（秒）",
        help_text=f"发起人可选的最长时限，{BUDGET_MIN}–{BUDGET_CAP} 秒",
    )

    @classmethod
    def initial_for(cls, policy: PairingPolicy) -> dict[str, Any]:
        return {"run_budget": policy.run_budget, "run_budget_max": policy.run_budget_max}


class _NamedOptionsSelect(forms.Select):
    """A select whose options carry data-* attributes by value: lianxin.js names the chosen
    option in a confirmation ("{choice}", data-label), or asks nothing (data-confirm-none)."""

    option_attrs: dict[str, dict[str, str]] = {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        option["attrs"].update(self.option_attrs.get(str(value), {}))
        return option


class ManualPairForm(forms.Form):
    """Pair one household by hand. The choices offered are the cadres of the units whose zone
    holds the household's village; any other cadre of the county is still accepted here so
    that the service answers with its reason instead of a bare "invalid choice". When the
    household has a current pairing, choosing another cadre ends it: the options name the
    cadre for the question the button asks, and its current cadre asks nothing."""

    cadre = forms.ModelChoiceField(
        label="结对干部", queryset=Cadre.objects.none(), widget=_NamedOptionsSelect
    )
    locked = forms.BooleanField(label="锁定（自动结对不改动）", required=False, initial=True)

    def __init__(self, *args: Any, household: Any, current: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["cadre"]
        field.queryset = Cadre.objects.filter(county_id=household.county_id)  # type: ignore[attr-defined]
        self.offered = zone_cadres(household)
        field.widget.choices = [("", "请选择")] + [  # type: ignore[attr-defined]
            (str(c.pk), f"{c.name}（{c.unit}，已联系{getattr(c, 'load', 0)}户）")
            for c in self.offered
        ]
        if current is not None:
            widget = field.widget
            widget.attrs["data-confirm-choice"] = ""
            names = {str(c.pk): {"data-label": f"{c.name}（{c.unit}）"} for c in self.offered}
            names.setdefault(str(current.cadre_id), {})["data-confirm-none"] = ""
            widget.option_attrs = names  # type: ignore[attr-defined]


def zone_cadres(household: Any, on: dt.date | None = None) -> list[Cadre]:
    """The cadres the policy lets take this household — active, not excluded, not a city
    leader kept to townships, of a unit whose current zone holds its village — with their
    current loads, in one query."""
    on = on or today()
    policy = policy_for(household.county_id)
    units = ResponsibilityZone.objects.current(on).filter(village_id=household.village_id)
    cadres = Cadre.objects.filter(unit_id__in=units.values("unit_id"), left_on__isnull=True)
    if policy.exclude_city_leaders:
        cadres = cadres.filter(is_city_leader=False)
    away = CadreExclusion.objects.current(on).filter(county_id=household.county_id)
    open_pairings = Q(pairings__valid_to__isnull=True)
    return list(
        cadres.exclude(pk__in=away.values("cadre_id"))
        .select_related("unit")
        .annotate(load=Count("pairings", filter=open_pairings))
        .order_by("unit__name", "load", "staff_no")
    )
