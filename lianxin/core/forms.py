"""Form pieces every app's pages share."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms

from lianxin.core.errors import Refused

# ISO values: a browser's date input shows nothing for the locale's "2025/3/1".
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def refuse_into(form: forms.Form, exc: Refused, aliases: Mapping[str, str] | None = None) -> None:
    """Show a service's refusal beside the field it names (or above the form); `aliases` maps
    the service's field names to the form's where they differ."""
    name = (aliases or {}).get(exc.field, exc.field)
    form.add_error(name if name in form.fields else None, exc.message)
