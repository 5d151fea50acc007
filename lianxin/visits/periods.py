"""Periods the plan and the rates are computed over: calendar months, quarters, years and
date ranges, each a closed range of days [start, end]."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from lianxin.core.errors import Refused

# Long enough for a year-on-year view, short enough that one query stays a query.
MAX_RANGE_DAYS = 3 * 366


@dataclass(frozen=True)
class Period:
    """A closed range of days with its name as pages show it."""

    start: dt.date
    end: dt.date
    label: str
    # The period as the API's `period` parameter spells it ("2025-03", "2025-Q1" …).
    code: str = ""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def month(year: int, month_: int) -> Period:
    last = calendar.monthrange(year, month_)[1]
    return Period(
        dt.date(year, month_, 1),
        dt.date(year, month_, last),
        f"{year}年{month_}月",
        f"{year}-{month_:02d}",
    )


def month_of(day: dt.date) -> Period:
    return month(day.year, day.month)


def previous_month(period: Period) -> Period:
    return month_of(period.start - dt.timedelta(days=1))


def quarter(year: int, q: int) -> Period:
    first = 3 * (q - 1) + 1
    return Period(
        dt.date(year, first, 1),
        month(year, first + 2).end,
        f"{year}年第{q}季度",
        f"{year}-Q{q}",
    )


def year(year_: int) -> Period:
    return Period(dt.date(year_, 1, 1), dt.date(year_, 12, 31), f"{year_}年", f"{year_}")


def date_range(start: dt.date, end: dt.date) -> Period:
    if end < start:
        raise Refused("结束日期不能早于开始日期", field="period")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise Refused(f"统计期间最长{MAX_RANGE_DAYS}天", field="period")
    return Period(start, end, f"{start:%Y-%m-%d}至{end:%Y-%m-%d}", f"{start}..{end}")


_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
PERIOD_HELP = "2025-03（月）、2025-Q1（季度）、2025（年）或 2025-01-01..2025-03-31（日期范围）"


def parse_period(text: str | None, *, default: dt.date) -> Period:
    """A period from its spelling (PERIOD_HELP); empty: the month of `default`."""
    text = (text or "").strip()
    if not text:
        return month_of(default)
    try:
        if m := _MONTH.match(text):
            y, mo = int(m[1]), int(m[2])
            if 1 <= mo <= 12 and y >= 1900:
                return month(y, mo)
        elif m := _QUARTER.match(text):
            if int(m[1]) >= 1900:
                return quarter(int(m[1]), int(m[2]))
        elif m := _YEAR.match(text):
            if int(m[1]) >= 1900:
                return year(int(m[1]))
        elif m := _RANGE.match(text):
            return date_range(dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2]))
    except ValueError:
        pass
    raise Refused(f"无法识别的统计期间“{text[:30]}”，请填写 {PERIOD_HELP}", field="period")
