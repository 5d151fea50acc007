"""Form pieces every app's pages share."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms

from lianxin.core.ending import END_DATE_HELP
from lianxin.core.errors import Refused
from lianxin.core.models import today

# ISO values: a browser's date input shows nothing for the locale's "2025/3/1".
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class EndDateInput(forms.DateInput):
    """The date input of an ending form, marked for lianxin.js to name the day it asks about."""

    input_type = "date"

    def __init__(self) -> None:
        super().__init__(attrs={"data-end-date": ""}, format="%Y-%m-%d")

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        # The county's today, read per page: the browser's clock may be in another zone.
        context["widget"]["attrs"]["data-today"] = today().isoformat()
        return context


def end_date_field(label: str = "最后一天", *, initial_today: bool = True) -> forms.DateField:
    """The last day of a dated fact (lianxin.core.ending): today by default, the rule shown."""
    return forms.DateField(
        label=label,
        initial=today if initial_today else None,
        widget=EndDateInput(),
        help_text=END_DATE_HELP,
    )


def refuse_into(form: forms.Form, exc: Refused, aliases: Mapping[str, str] | None = None) -> None:
    """Show a service's refusal beside the field it names (or above the form); `aliases` maps
    the service's field names to the form's where they differ."""
    name = (aliases or {}).get(exc.field, exc.field)
    form.add_error(name if name in form.fields else None, exc.message)
