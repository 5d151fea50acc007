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
    """{% end_rule %} → the rule in one sentence, where a table of endable rows begins."""
    return ending.RULE


@register.simple_tag
def end_question(*parts: object, after: str = "次日起不再计入") -> str:
    """{% end_question "结束 " p.cadre.name " 与 " household.named " 的结对" %}: the parts joined
    into the data-confirm text of ending.end_question."""
    return ending.end_question("".join(str(p) for p in parts), after)
