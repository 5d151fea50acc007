"""{% load lianxin_ending %}: the end-date rule of lianxin.core.ending on every page."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.html import format_html

from lianxin.core import ending
from lianxin.core.models import today

register = template.Library()


@register.filter
def end_note(valid_to: dt.date | None) -> str:
    """{{ row.valid_to|end_note }} → "已结束，今天（2026-12-02）为最后一天，明天起不再计入"."""
    return ending.end_note(valid_to)


@register.filter
def end_tag(valid_to: dt.date | None) -> str:
    """{{ row.valid_to|end_tag }} → 今天结束 / 已结束 / 将于…结束 ("" while open)."""
    return ending.end_tag(valid_to)


@register.simple_tag
def end_date_input(label: str = "最后一天", name: str = "valid_to") -> str:
    """The end-date field of an inline ending form: today by default, the rule beside it, and
    the marks lianxin.js reads to put the chosen day into the confirmation."""
    day = today().isoformat()
    return format_html(
        '<label class="small muted">{} <input type="date" name="{}" value="{}" required'
        ' data-end-date data-today="{}" title="{}"></label>'
        '<small class="muted end-rule">{}</small>',
        label,
        name,
        day,
        day,
        ending.END_DATE_HELP,
        ending.END_DATE_HELP,
    )


@register.simple_tag
def end_rule() -> str:
    return ending.RULE
