"""Forms of the registry pages. They only parse input; the do_* services decide and refuse."""

from __future__ import annotations

from django import forms

from lianxin.core.errors import Refused
from lianxin.core.fields import form_field
from lianxin.core.forms import DATE_INPUT, end_date_field, refuse_into
from lianxin.core.models import today
from lianxin.geo.pickers import RegionPickerField
from lianxin.lib.patterns import GRAMMAR_HINT, MAX_COUNT

from .choices import HardshipKind, Relation, Trade
from .models import Enterprise, Household, HouseholdHardship, HouseholdNumberRule, Resident
from .numbering import rule_for

# A native date picker on phones; the value goes over the wire as YYYY-MM-DD.
DATE = DATE_INPUT


class RefusalForm(forms.Form):
    """A form that can show a service's refusal beside the field it names."""

    # Service field names that a form calls differently.
    aliases: dict[str, str] = {}

    def refuse(self, exc: Refused) -> None:
        refuse_into(self, exc, self.aliases)


def _region_field(user, label: str = "所在组（或村）") -> RegionPickerField:
    """Township → village → group; a village is the answer only where it has no groups."""
    return RegionPickerField(user, label=label)


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
        # The county's rule, as the service will check it (people.numbering).
        self.fields["number"].help_text = rule_for(user.county).message
        self.fields["region"] = _region_field(user)
        self.order_fields(["number", "region", "address", "hardships", "hardship_since"])


class NumberRuleForm(RefusalForm):
    pattern = form_field(HouseholdNumberRule, "pattern")
    description = form_field(HouseholdNumberRule, "description")
    reason = forms.CharField(label="修改事由", max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pattern"].help_text = (
            f"整个户号须与之完全相符，如 5101\\d{{2}}[A-Z]\\d{{10}}。{GRAMMAR_HINT}"
            f"（次数最多 {MAX_COUNT}）；不能用 *、+、. 或嵌套的括号。留空表示使用默认规则"
        )
        self.fields[
            "description"
        ].help_text = "接在“户号须为”之后显示，如“18 位数字：本县代码 6 位 + 乡镇 2 位 + …”"


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
