"""{% load lianxin_numbers %}: counts and rates written by lianxin.lib.numbers, on every page."""

from __future__ import annotations

from typing import Any

from django import template

from lianxin.lib.numbers import count_text, percent_text

register = template.Library()


@register.filter
def count(value: Any) -> str:
    """{{ n|count }} → "4,621"; anything that is not a whole number (None, "—") is shown as is."""
    if isinstance(value, bool) or not isinstance(value, int):
        return "—" if value is None or value == "" else str(value)
    return count_text(value)


@register.simple_tag
def percent(part: int, whole: int) -> str:
    """{% percent covered total %} → "93.7%" (rounded down), or "—" when total is 0."""
    return percent_text(int(part or 0), int(whole or 0))
