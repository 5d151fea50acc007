"""The one rule for ending a dated fact (a pairing, a zone, a liaison, a hardship, an exclusion).

The day given when ending is the fact's last day (`Dated.valid_to`, inclusive): ended "today",
the row is still current until the end of today and stops counting from tomorrow. Not "as of
yesterday": a pairing made today could then not be ended at all (its last day would fall
before its first), and "who was it on that day" would answer differently for the last day.
Pages say which of the three a row is in, with the words below, so an end dated today never
looks like nothing happened.
"""

from __future__ import annotations

import datetime as dt

from lianxin.core.models import today

RULE = "所填日期为最后一天，当天仍计入，次日起不再计入"
END_DATE_HELP = f"默认今天。{RULE}"


def end_note(valid_to: dt.date | None, on: dt.date | None = None) -> str:
    """How an end stands on a day (today by default): "" when it has none."""
    if valid_to is None:
        return ""
    on = on or today()
    if valid_to < on:
        return f"已于{valid_to:%Y-%m-%d}结束"
    if valid_to == on:
        return f"已结束，今天（{valid_to:%Y-%m-%d}）为最后一天，明天起不再计入"
    return (
        f"将于{valid_to:%Y-%m-%d}结束（该日为最后一天），"
        f"{valid_to + dt.timedelta(days=1):%Y-%m-%d}起不再计入"
    )


def end_tag(valid_to: dt.date | None, on: dt.date | None = None) -> str:
    """A short label for a table cell or a tag: 今天结束 / 已结束 / 将于…结束."""
    if valid_to is None:
        return ""
    on = on or today()
    if valid_to < on:
        return "已结束"
    if valid_to == on:
        return "今天结束"
    return f"将于{valid_to:%Y-%m-%d}结束"


def end_question(what: str, after: str = "次日起不再计入") -> str:
    """The question an ending action asks, naming what it ends; lianxin.js puts the chosen
    last day where "{date}" stands (the no-JS confirmation page shows the field beside it)."""
    return f"{what}？最后一天：{{date}}，{after}。"


def day_text(day: dt.date, on: dt.date | None = None) -> str:
    """A day as a question names it: "2026-03-10（今天）", "2026-03-09（昨天）", else the date."""
    on = on or today()
    name = {on: "（今天）", on - dt.timedelta(days=1): "（昨天）"}.get(day, "")
    return f"{day:%Y-%m-%d}{name}"


def ended_message(subject: str, valid_to: dt.date) -> str:
    """The banner after an ending action: what was ended and how it stands now."""
    return f"{subject}：{end_note(valid_to)}"
