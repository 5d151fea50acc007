from __future__ import annotations

from typing import Any

from django import forms

from lianxin.core.forms import DATE_INPUT

from .models import Diary, Story


class DiaryForm(forms.Form):
    title = forms.CharField(label="标题", max_length=Diary._meta.get_field("title").max_length)
    date = forms.DateField(
        label="日期", widget=DATE_INPUT, error_messages={"invalid": "请填写正确的日期"}
    )
    text = forms.CharField(label="正文", max_length=5000, widget=forms.Textarea(attrs={"rows": 10}))
    households = forms.MultipleChoiceField(
        label="相关户（可不选）", required=False, widget=forms.CheckboxSelectMultiple
    )
    visits = forms.MultipleChoiceField(
        label="相关走访（可不选）", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, households=(), visits=(), **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["households"].choices = [(str(h.pk), h.number) for h in households]  # type: ignore[attr-defined]
        self.fields["visits"].choices = [  # type: ignore[attr-defined]
            (str(v.pk), f"{v.occurred_on:%Y-%m-%d} {v.get_mode_display()}") for v in visits
        ]


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label="退回意见",
        max_length=Story._meta.get_field("comment").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PublishForm(forms.Form):
    consent_to_name = forms.BooleanField(label="该户同意公开署名（已当面征得同意）", required=False)
