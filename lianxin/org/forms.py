"""Forms of the city administrator's unit and cadre pages. They only shape input; the rules
(duplicates, phone format, dates against the history) live in org/services.py and come back
as Refused, which `refuse_into` puts beside the field."""

from __future__ import annotations

from typing import Any

from django import forms

from lianxin.core.fields import form_field
from lianxin.core.forms import DATE_INPUT, EndDateInput, end_date_field
from lianxin.core.models import today
from lianxin.geo.choices import Level
from lianxin.geo.models import Region

from .choices import UnitKind
from .models import Cadre, LeaderLiaison, ResponsibilityZone, Unit

DATE = DATE_INPUT


class TownshipField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        return obj.short_name


class VillageField(forms.ModelChoiceField):
    """A current village/community, labelled with its township so same names stay apart."""

    def label_from_instance(self, obj: Region) -> str:
        return f"{obj.parent.short_name} · {obj.short_name}" if obj.parent else obj.short_name


def current_townships(county_id: int):
    return Region.objects.current().filter(county_id=county_id, level=Level.TOWNSHIP)


def current_villages(county_id: int):
    return (
        Region.objects.current()
        .filter(county_id=county_id, level=Level.VILLAGE)
        .select_related("parent")
        .order_by("parent__sort_key", "parent_id", "sort_key", "pk")
    )


class UnitForm(forms.Form):
    """Create or edit a unit."""

    name = form_field(Unit, "name")
    short_name = form_field(Unit, "short_name")
    kind = forms.ChoiceField(label="单位类型", choices=UnitKind.choices)
    handles_demands = forms.BooleanField(
        label="承办诉求", required=False, help_text="勾选后可在诉求分办时选择该单位"
    )
    township = TownshipField(
        label="所在乡镇",
        queryset=Region.objects.none(),
        required=False,
        empty_label="（市级单位不填）",
        help_text="乡镇（街道）单位填写",
    )
    phone = form_field(Unit, "phone")

    def __init__(self, *args: Any, county_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["township"].queryset = current_townships(county_id).order_by("sort_key", "pk")  # type: ignore[attr-defined]

    @classmethod
    def initial_from(cls, unit: Unit) -> dict[str, Any]:
        return {
            "name": unit.name,
            "short_name": unit.short_name,
            "kind": unit.kind,
            "handles_demands": unit.handles_demands,
            "township": unit.township_id,
            "phone": unit.phone,
        }


class ZoneAssignForm(forms.Form):
    """Give a unit responsibility for a current village/community."""

    village = VillageField(label="村（社区）", queryset=Region.objects.none())
    valid_from = forms.DateField(label="起始日期", initial=today, widget=DATE)

    def __init__(self, *args: Any, unit: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        held = ResponsibilityZone.objects.filter(unit=unit, valid_to__isnull=True)
        self.fields["village"].queryset = current_villages(unit.county_id).exclude(  # type: ignore[attr-defined]
            pk__in=held.values("village_id")
        )


class EndForm(forms.Form):
    """End a dated fact (a zone, a liaison) on a day."""

    valid_to = end_date_field()

    def __init__(self, *args: Any, starts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.starts = starts

    def clean_valid_to(self):
        value = self.cleaned_data["valid_to"]
        if value < self.starts:
            raise forms.ValidationError(f"终止日期不能早于起始日期{self.starts}")
        return value


class CadreForm(forms.Form):
    """Register a cadre in a unit."""

    unit = forms.ModelChoiceField(label="单位", queryset=Unit.objects.none())
    staff_no = form_field(Cadre, "staff_no")
    name = form_field(Cadre, "name")
    post = form_field(Cadre, "post")
    phone = forms.CharField(
        label="手机号", max_length=20, required=False, help_text="保存后只显示脱敏号码"
    )
    is_city_leader = forms.BooleanField(label="市级领导", required=False)
    joined_on = forms.DateField(label="参加日期", initial=today, widget=DATE)

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units.order_by("name")  # type: ignore[attr-defined]


class CadreEditForm(forms.Form):
    """Correct a cadre's name or phone, or mark them as a city leader."""

    name = form_field(Cadre, "name")
    phone = forms.CharField(
        label="手机号",
        max_length=20,
        required=False,
        help_text="留空表示不修改；当前号码不显示，如需更正请填写新号码",
    )
    is_city_leader = forms.BooleanField(label="市级领导", required=False)


class TransferForm(forms.Form):
    """Move a cadre to another unit or post from a date; the old assignment is kept as history."""

    unit = forms.ModelChoiceField(label="调入单位", queryset=Unit.objects.none())
    post = form_field(Cadre, "post", label="新职务")
    effective_on = forms.DateField(
        label="调动日期",
        initial=today,
        widget=DATE,
        help_text="默认今天。所填日期为在新单位的第一天，原任职到前一天为止",
    )

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units.order_by("name")  # type: ignore[attr-defined]


class LeaveForm(forms.Form):
    """A cadre leaves the program."""

    left_on = forms.DateField(
        label="退出日期",
        initial=today,
        widget=EndDateInput(),
        help_text="默认今天。所填日期为在任最后一天：任职和联系乡镇记录到这一天为止",
    )
    reason = forms.CharField(
        label="退出原因", max_length=200, help_text="如退休、调离本市、长期病假"
    )


class LiaisonAssignForm(forms.Form):
    """A city leader starts liaising with a township."""

    township = TownshipField(label="联系乡镇（街道）", queryset=Region.objects.none())
    valid_from = forms.DateField(label="起始日期", initial=today, widget=DATE)

    def __init__(self, *args: Any, leader: Cadre, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        held = LeaderLiaison.objects.filter(leader=leader, valid_to__isnull=True)
        self.fields["township"].queryset = (  # type: ignore[attr-defined]
            current_townships(leader.county_id)
            .exclude(pk__in=held.values("township_id"))
            .order_by("sort_key", "pk")
        )


class RevealForm(forms.Form):
    """Why the full phone number is needed; recorded in the audit log."""

    reason = forms.CharField(
        label="查看事由", max_length=200, min_length=2, help_text="将记入审计日志"
    )
