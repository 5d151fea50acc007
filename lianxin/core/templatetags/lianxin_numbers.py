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


@register.filter
def duration(value: Any) -> str:
    """A timedelta as Chinese text: 15 分钟, 1 小时 30 分钟, 2 天."""
    seconds = int(value.total_seconds()) if hasattr(value, "total_seconds") else int(value or 0)
    minutes = -(-seconds // 60)  # a lock of 30 s still reads as 1 分钟
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    parts = [
        f"{days} 天" if days else "",
        f"{hours} 小时" if hours else "",
        f"{minutes} 分钟" if minutes else "",
    ]
    return " ".join(p for p in parts if p) or "0 分钟"
