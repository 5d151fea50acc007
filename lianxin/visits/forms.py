"""The visit form of the cadre's phone: the common case (in person, met the head, nothing
raised) is already filled in; everything else is there, folded."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django import forms

from lianxin.core.forms import DATE_INPUT
from lianxin.core.models import today
from lianxin.people.models import Resident

from .choices import HelpKind, VisitMode
from .models import Visit, VisitNeed
from .services import MAX_NEEDS

MET_CHOICES = [("1", "见到人"), ("0", "家中无人（或电话未接通）")]
# Empty need lines the form shows without a script (the script adds lines one by one).
NEED_LINES = 3


class VisitForm(forms.Form):
    mode = forms.ChoiceField(
        label="方式",
        choices=VisitMode.choices,
        initial=VisitMode.IN_PERSON,
        widget=forms.RadioSelect,
    )
    occurred_on = forms.DateField(label="走访日期", initial=today, widget=DATE_INPUT)
    met = forms.ChoiceField(
        label="见到人了吗", choices=MET_CHOICES, initial="1", widget=forms.RadioSelect
    )
    members = forms.TypedMultipleChoiceField(
        label="见到的成员", coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    heard = forms.CharField(
        label="听：群众说了什么",
        required=False,
        max_length=Visit._meta.get_field("heard").max_length,
    )
    notes = forms.CharField(
        label="记",
        required=False,
        max_length=Visit._meta.get_field("notes").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    help_kind = forms.ChoiceField(
        label="帮扶类型", choices=[("", "（无）"), *HelpKind.choices], required=False
    )
    help_text = forms.CharField(
        label="帮：做了什么",
        required=False,
        max_length=Visit._meta.get_field("help_text").max_length,
    )
    # A new key on every form drawn: the same form sent twice (a double tap, a resend after a
    # lost answer) records one visit.
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, members: Sequence[Resident] = (), **kwargs):
        super().__init__(*args, **kwargs)
        members_field: Any = self.fields["members"]
        members_field.choices = [(r.pk, f"{r.name}（{r.get_relation_display()}）") for r in members]
        if not self.is_bound and "idempotency_key" not in self.initial:
            self.initial["idempotency_key"] = uuid.uuid4()

    def clean(self):
        data = super().clean()
        if data.get("met") == "0" and data.get("members"):
            self.add_error("members", "登记为“家中无人”时不能选择见到的成员")
        return data

    def needs(self) -> list[str]:
        """The needs typed (empty lines dropped), each checked like the service checks it."""
        data: Any = self.data
        texts = [t.strip() for t in data.getlist("need") if t.strip()]
        limit = VisitNeed._meta.get_field("text").max_length or 500
        if len(texts) > MAX_NEEDS:
            self.add_error(None, f"一次走访最多登记{MAX_NEEDS}条诉求")
        for text in texts:
            if len(text) > limit:
                self.add_error(None, f"诉求内容最多{limit}个字")
                break
        return texts


class EditForm(VisitForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class PhotoForm(forms.Form):
    image = forms.FileField(label="照片")
