"""The upload and export forms of the transfer page."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from lianxin.geo.filters import to_int
from lianxin.geo.models import Region
from lianxin.geo.pickers import cascade_context
from lianxin.people.choices import HardshipKind

from .choices import DataKind, FileFormat, ImportMode
from .models import ImportLimits
from .services import township_and_village_choices


class ImportForm(forms.Form):
    file = forms.FileField(label="文件（.xlsx 或 .csv）")
    data_kind = forms.ChoiceField(label="数据", choices=DataKind.choices)
    mode = forms.ChoiceField(label="导入方式", choices=ImportMode.choices, initial=ImportMode.ALL)


class ExportForm(forms.Form):
    data_kind = forms.ChoiceField(label="数据", choices=DataKind.choices)
    file_format = forms.ChoiceField(label="格式", choices=FileFormat.choices)
    # Drawn by the cascading picker (`region_picker`); these fields check what comes back.
    township = forms.ModelChoiceField(
        label="乡镇（街道）",
        queryset=Region.objects.none(),
        required=False,
        error_messages={"invalid_choice": "所选乡镇不存在或不在您的权限范围内"},
    )
    village = forms.ModelChoiceField(
        label="村（社区）",
        queryset=Region.objects.none(),
        required=False,
        error_messages={"invalid_choice": "所选村（社区）不存在或不在您的权限范围内"},
    )
    hardship = forms.ChoiceField(
        label="困难类型（仅户和居民）",
        choices=[("", "全部"), *HardshipKind.choices],
        required=False,
    )
    full = forms.BooleanField(label="导出完整身份证号和电话", required=False)
    reason = forms.CharField(label="事由（导出完整信息时必填）", max_length=200, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        # Its own element ids: it shares the page with the upload form's data_kind.
        kwargs.setdefault("auto_id", "export_%s")
        super().__init__(*args, **kwargs)
        townships, villages = township_and_village_choices(user)
        cast(forms.ModelChoiceField, self.fields["township"]).queryset = townships
        cast(forms.ModelChoiceField, self.fields["village"]).queryset = villages
        chosen = [to_int(self.data.get(k)) for k in ("township", "village")]
        self.region_picker = cascade_context(
            user, chosen, names=("township", "village"), id_prefix="export_"
        )
        # The full values are offered only to holders of the reveal permission.
        if not user.reveals_sensitive:
            del self.fields["full"]
            del self.fields["reason"]


class ImportLimitsForm(forms.Form):
    """The county's import limits, one field per ImportLimits.FIELDS entry, and a reason."""

    reason = forms.CharField(label="修改事由（记入审计日志）", max_length=200, required=False)

    def __init__(self, *args: Any, limits: ImportLimits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields = {
            name: forms.IntegerField(label=label, min_value=smallest, initial=getattr(limits, name))
            for name, (label, smallest) in ImportLimits.FIELDS.items()
        }
        self.fields = {**fields, "reason": self.fields["reason"]}
