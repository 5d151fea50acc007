"""The one .xlsx writer every export goes through: a print-ready sheet, streamed.

Every sheet gets a title row, a row saying which filters made it, when and by whom, the header
frozen below them with an autofilter, column widths fitted to the text (a CJK character counts
twice, capped), counts and rates as numbers in the shared formats (lianxin.lib.numbers), a totals
row under the columns declared as summable, and A4 landscape print setup (fit to the page's
width, the header repeated on every page, "第 n 页 共 m 页" in the footer).

The sheet is written by XlsxWriter in its constant-memory mode (each row goes to disk as the next
begins), so memory stays flat whatever the row count; it writes several times faster than
openpyxl's write-only sheets did (bench/README.md). That fixes
the order things are known in: column widths go into the file before the first row, so they come
from the declared columns plus the first SAMPLE_ROWS rows (held back, then written); totals are
summed as the rows stream past and written last. Cell text is always stored as text, never as a
formula (a name beginning with "=" must not run when the file is opened).
"""

from __future__ import annotations

import datetime as dt
import itertools
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from lianxin.lib.numbers import XLSX_COUNT_FORMAT, XLSX_PERCENT_FORMAT, percent_value

# Rows read ahead to fit the widths; the rest of the file streams without being measured.
SAMPLE_ROWS = 500
# Widths are in Excel's character units (one Latin digit); a CJK character is two.
MIN_WIDTH = 6
MAX_WIDTH = 50
# The rows above the header: the title and the filters/made-by line.
HEADING_ROWS = 2
TOTALS_LABEL = "合计"
FOOTER = "第 &P 页 共 &N 页"
_PAPER_A4 = "9"


class Kind(Enum):
    """How a column's values are written."""

    TEXT = "text"
    COUNT = "count"  # an integer, "#,##0"
    NUMBER = "number"  # any other figure (an average), written as given
    RATE = "rate"  # percent (93.7 for 93.7 %), '0.0"%"'


@dataclass(frozen=True)
class Column:
    """One column of an export: its title, how its values are written, and what its totals
    row cell holds (`total`: the column's sum; `rate_of`: the rate of two summed columns)."""

    title: str
    kind: Kind = Kind.TEXT
    total: bool = False
    rate_of: tuple[str, str] | None = None  # (part column title, whole column title)
    width: float | None = None  # at least this wide (e.g. an 18-digit ID number)


def text(title: str, width: float | None = None) -> Column:
    return Column(title, width=width)


def count(title: str, *, total: bool = True) -> Column:
    return Column(title, Kind.COUNT, total=total)


def rate(title: str, *, part: str | None = None, whole: str | None = None) -> Column:
    return Column(title, Kind.RATE, rate_of=(part, whole) if part and whole else None)


def number(title: str) -> Column:
    return Column(title, Kind.NUMBER)


@dataclass(frozen=True)
class Heading:
    """What the two rows above the header say: the title, and the filters, time and maker."""

    title: str
    filters: str = ""
    made_by: str = ""
    made_at: dt.datetime | None = None

    def line(self) -> str:
        parts = [f"筛选条件：{self.filters or '无（权限范围内全部）'}"]
        if self.made_at is not None:
            parts.append(f"导出时间：{self.made_at:%Y-%m-%d %H:%M}")
        if self.made_by:
            parts.append(f"导出人：{self.made_by}")
        return "；".join(parts)


def display_width(value: Any) -> int:
    """Columns a value takes in a spreadsheet: wide (CJK) characters count two."""
    if value is None:
        return 0
    if isinstance(value, bool):
        value = str(value)
    elif isinstance(value, int):
        value = f"{value:,}"
    elif isinstance(value, float):
        value = f"{value:,.1f}"
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(value))


def fitted_widths(columns: Sequence[Column], sample: Iterable[Sequence[Any]]) -> list[float]:
    """Each column's width: its title, its declared width and the widest sampled value, with
    room for the autofilter button, between MIN_WIDTH and MAX_WIDTH."""
    widest = [max(display_width(c.title) + 3, c.width or 0) for c in columns]
    for row in sample:
        for i, value in enumerate(row[: len(columns)]):
            widest[i] = max(widest[i], display_width(value) + 2)
    return [float(min(max(w, MIN_WIDTH), MAX_WIDTH)) for w in widest]


def sheet_name(title: str) -> str:
    """A title as a sheet's name: Excel refuses []:*?/\\ there and more than 31 characters."""
    return "".join("－" if ch in "[]:*?/\\" else ch for ch in title)[:31] or "Sheet1"


class _Totals:
    """The summable columns' sums, kept as rows stream past."""

    def __init__(self, columns: Sequence[Column], counts_row: Callable[[Sequence[Any]], bool]):
        self.columns = columns
        self.counts_row = counts_row
        self.sums = [0 if c.total else None for c in columns]

    @property
    def wanted(self) -> bool:
        return any(s is not None for s in self.sums)

    def add(self, row: Sequence[Any]) -> None:
        if not self.counts_row(row):
            return
        for i, s in enumerate(self.sums):
            if s is not None and i < len(row) and isinstance(row[i], int | float):
                self.sums[i] = s + row[i]

    def row(self) -> list[Any]:
        by_title = {c.title: s for c, s in zip(self.columns, self.sums, strict=True)}
        out: list[Any] = []
        for c, s in zip(self.columns, self.sums, strict=True):
            if c.rate_of:
                part, whole = (by_title.get(t) for t in c.rate_of)
                out.append(percent_value(int(part or 0), int(whole or 0)))
            else:
                out.append(s)
        if out and out[0] is None:
            out[0] = TOTALS_LABEL
        return out


def _all_rows(_row: Sequence[Any]) -> bool:
    return True


class _Formats:
    """The workbook's cell formats, made once (XlsxWriter keeps one record per format)."""

    def __init__(self, book: Any):
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.header = book.add_format(
            {"bold": True, "align": "center", "valign": "vcenter", "text_wrap": True}
        )
        self.bold = book.add_format({"bold": True})
        self.count = book.add_format({"num_format": XLSX_COUNT_FORMAT})
        self.rate = book.add_format({"num_format": XLSX_PERCENT_FORMAT})
        self.bold_count = book.add_format({"bold": True, "num_format": XLSX_COUNT_FORMAT})
        self.bold_rate = book.add_format({"bold": True, "num_format": XLSX_PERCENT_FORMAT})
        self.date = book.add_format({"num_format": "yyyy-mm-dd"})
        self.datetime = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})

    def number(self, column: Column | None, bold: bool) -> Any:
        if column is not None and column.kind is Kind.COUNT:
            return self.bold_count if bold else self.count
        if column is not None and column.kind is Kind.RATE:
            return self.bold_rate if bold else self.rate
        return self.bold if bold else None


def _write(
    sheet: Any,
    formats: _Formats,
    row: int,
    col: int,
    column: Column | None,
    value: Any,
    *,
    bold: bool = False,
) -> None:
    """One cell: text always as text (a value beginning with "=" never becomes a formula),
    figures as numbers in their column's format, dates as dates."""
    if value is None:
        return
    if isinstance(value, str):
        if value:
            sheet.write_string(row, col, value, formats.bold if bold else None)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value, formats.bold if bold else None)
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value, formats.number(column, bold))
    elif isinstance(value, dt.datetime):
        sheet.write_datetime(row, col, value.replace(tzinfo=None), formats.datetime)
    elif isinstance(value, dt.date):
        sheet.write_datetime(row, col, value, formats.date)
    else:
        sheet.write_string(row, col, str(value), formats.bold if bold else None)


def _book(target: Any) -> Any:
    import xlsxwriter

    # constant_memory: each row goes to disk once the next begins, so memory stays flat;
    # no conversion of text that looks like a number, a formula or a link.
    return xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )


def add_sheet(
    book: Any,
    name: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    heading: Heading | None = None,
    counts_row: Callable[[Sequence[Any]], bool] = _all_rows,
    formats: _Formats | None = None,
) -> int:
    """Stream `rows` into a new sheet of an XlsxWriter workbook, laid out as the module says.
    `counts_row` says which rows the totals add up (a table listing townships and their
    villages sums only the township rows). Returns the number of data rows written."""
    formats = formats or _Formats(book)
    sheet = book.add_worksheet(sheet_name(name))
    rows = iter(rows)
    sample = list(itertools.islice(rows, SAMPLE_ROWS))
    last_col = max(len(columns), 1) - 1
    for i, width in enumerate(fitted_widths(columns, sample)):
        sheet.set_column(i, i, width)
    header_row = HEADING_ROWS if heading else 0  # 0-based
    sheet.freeze_panes(header_row + 1, 0)
    sheet.repeat_rows(header_row)
    sheet.set_landscape()
    sheet.set_paper(int(_PAPER_A4))
    sheet.fit_to_pages(1, 0)  # one page wide, as many pages down as it takes
    sheet.center_horizontally()
    sheet.set_footer(f"&C{FOOTER}")

    if heading:
        sheet.write_string(0, 0, heading.title, formats.title)
        sheet.write_string(1, 0, heading.line())
    for i, c in enumerate(columns):
        sheet.write_string(header_row, i, c.title, formats.header)
    totals = _Totals(columns, counts_row)
    n = 0
    at = header_row + 1
    for row in itertools.chain(sample, rows):
        for i, (c, v) in enumerate(zip(columns, row, strict=False)):
            _write(sheet, formats, at, i, c, v)
        totals.add(row)
        n += 1
        at += 1
    sheet.autofilter(header_row, 0, header_row + n, last_col)
    if totals.wanted:
        for i, (c, v) in enumerate(zip(columns, totals.row(), strict=True)):
            _write(sheet, formats, at, i, c, v, bold=True)
    return n


def add_notes(
    book: Any, name: str, notes: Iterable[tuple[str, Any]], formats: _Formats | None = None
) -> None:
    """A plain two-column sheet (项目, 内容) saying what the export is: its day, its rules."""
    formats = formats or _Formats(book)
    notes = list(notes)
    sheet = book.add_worksheet(sheet_name(name))
    for i, width in enumerate(fitted_widths([text("项目"), text("内容")], notes)):
        sheet.set_column(i, i, width)
    sheet.freeze_panes(1, 0)
    sheet.write_string(0, 0, "项目")
    sheet.write_string(0, 1, "内容")
    for at, (key, value) in enumerate(notes, start=1):
        _write(sheet, formats, at, 0, None, key)
        _write(sheet, formats, at, 1, number(key), value)


def write_xlsx(
    target: Any,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    heading: Heading | None = None,
    sheet_name: str = "",
    counts_row: Callable[[Sequence[Any]], bool] = _all_rows,
    notes: Iterable[tuple[str, Any]] = (),
) -> int:
    """One export as an .xlsx at `target` (a path or binary stream): the sheet, then a notes
    sheet when `notes` are given. Returns the number of data rows."""
    book = _book(target)
    formats = _Formats(book)
    n = add_sheet(
        book,
        sheet_name or (heading.title if heading else "Sheet1"),
        columns,
        rows,
        heading=heading,
        counts_row=counts_row,
        formats=formats,
    )
    notes = list(notes)
    if notes:
        add_notes(book, "说明", [*notes, ("行数", n)], formats)
    book.close()
    return n


def heading_rows_before(cells: Sequence[str]) -> bool:
    """Whether a row read back from a file is one of the rows an export puts above its header
    (a title or a filters line: one filled cell), so an importer can skip it."""
    return sum(1 for c in cells if str(c).strip()) <= 1
