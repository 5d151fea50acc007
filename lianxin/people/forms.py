"""Forms of the registry pages. They only parse input; the do_* services decide and refuse."""

from __future__ import annotations

from django import forms

from lianxin.core.errors import Refused
from lianxin.core.fields import form_field
from lianxin.core.forms import DATE_INPUT, end_date_field, refuse_into
from lianxin.core.models import today
from lianxin.geo.choices import Level
from lianxin.geo.filters import not_ended, visible_regions
from lianxin.geo.models import Region

from .choices import HardshipKind, Relation, Trade
from .models import Enterprise, Household, HouseholdHardship, Resident

# A native date picker on phones; the value goes over the wire as YYYY-MM-DD.
DATE = DATE_INPUT


class RefusalForm(forms.Form):
    """A form that can show a service's refusal beside the field it names."""

    # Service field names that a form calls differently.
    aliases: dict[str, str] = {}

    def refuse(self, exc: Refused) -> None:
        refuse_into(self, exc, self.aliases)


class RegionChoiceField(forms.ModelChoiceField):
    """A village or group, labelled with its whole path (文井江镇 › 大坪村 › 6组)."""

    def __init__(self, user, **kwargs):
        qs = not_ended(visible_regions(user)).exclude(level=Level.TOWNSHIP).order_by("path")
        self.names = dict(not_ended(visible_regions(user)).values_list("pk", "short_name"))
        super().__init__(queryset=qs, **kwargs)

    def label_from_instance(self, obj: Region) -> str:
        return " › ".join(self.names.get(pk, "?") for pk in obj.ancestor_ids)


def _region_field(user, label: str = "所在组（或村）") -> RegionChoiceField:
    return RegionChoiceField(
        user,
        label=label,
        empty_label="请选择",
        error_messages={"required": "请选择所在区域", "invalid_choice": "所选区域不在您的范围内"},
    )


class HouseholdCreateForm(RefusalForm):
    aliases = {"hardship": "hardships"}

    number = form_field(Household, "number")
    address = form_field(Household, "address")
    hardships = forms.MultipleChoiceField(
        label="困难类型",
        choices=HardshipKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    hardship_since = forms.DateField(label="困难登记起始日期", required=False, widget=DATE)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"] = _region_field(user)
        self.order_fields(["number", "region", "address", "hardships", "hardship_since"])


class HouseholdEditForm(RefusalForm):
    address = form_field(Household, "address")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"] = _region_field(user, "所在组（迁到其他组时修改）")


class HardshipAddForm(RefusalForm):
    aliases = {"hardship": "kind"}

    kind = forms.ChoiceField(label="困难类型", choices=HardshipKind.choices)
    valid_from = forms.DateField(label="起始日期", initial=today, required=False, widget=DATE)
    note = form_field(HouseholdHardship, "note")


class HardshipEndForm(RefusalForm):
    valid_to = end_date_field()


class ResidentCreateForm(RefusalForm):
    name = form_field(Resident, "name")
    id_number = forms.CharField(label="身份证号", max_length=30)
    relation = forms.ChoiceField(label="与户主关系", choices=Relation.choices)
    phone = forms.CharField(label="联系电话", max_length=20, required=False)


class ResidentEditForm(RefusalForm):
    name = form_field(Resident, "name")
    phone = forms.CharField(
        label="新的联系电话", max_length=20, required=False, help_text="留空表示不修改"
    )
    clear_phone = forms.BooleanField(label="删除已登记的联系电话", required=False)
    relation = forms.ChoiceField(label="与户主关系", choices=Relation.choices)


class EnterpriseCreateForm(RefusalForm):
    name = form_field(Enterprise, "name")
    credit_code = forms.CharField(label="统一社会信用代码", max_length=30)
    trade = forms.ChoiceField(label="行业门类", choices=Trade.choices)
    address = form_field(Enterprise, "address")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"] = _region_field(user, "所在村（社区）或组")
        self.order_fields(["name", "credit_code", "trade", "region", "address"])
