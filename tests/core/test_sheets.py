"""Every .xlsx export is laid out by one writer (issue 8, point 10): a title, the filters and who
made it, a frozen header with an autofilter, fitted widths, number formats, a totals row under
the count columns and A4 landscape print setup. CSV stays plain data."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from lianxin.core import sheets
from lianxin.core.errors import Refused
from lianxin.core.tabular import iter_rows
from lianxin.lib.numbers import XLSX_COUNT_FORMAT, XLSX_PERCENT_FORMAT
from lianxin.pairing.services import do_pair
from lianxin.transfer.exporters import export_people
from lianxin.transfer.importers import import_people

COLUMNS = [
    sheets.text("乡镇（街道）"),
    sheets.text("联系领导／责任单位"),
    sheets.count("须覆盖户数"),
    sheets.count("已结对户数"),
    sheets.count("每人最多", total=False),
    sheets.rate("覆盖率（%）", part="已结对户数", whole="须覆盖户数"),
]
ROWS = [
    ["文井江镇", '=HYPERLINK("x")', 4621, 4334, 15, 93.7],
    ["道明镇", "中共崇州市委宣传部", 1200, 1199, 12, 99.9],
]
HEADING = sheets.Heading(
    title="崇州市 结对覆盖情况",
    filters="文井江镇；仅困难群众户",
    made_by="张三",
    made_at=dt.datetime(2026, 12, 2, 9, 30),
)


def _book(rows=ROWS, **kw):
    out = io.BytesIO()
    n = sheets.write_xlsx(out, COLUMNS, iter(rows), heading=HEADING, **kw)
    book = load_workbook(io.BytesIO(out.getvalue()))
    return n, book


def test_it_heads_the_sheet_with_a_title_and_the_filters_time_and_maker():
    n, book = _book()
    ws = book.worksheets[0]
    assert n == 2
    assert ws["A1"].value == "崇州市 结对覆盖情况" and ws["A1"].font.b
    assert ws["A2"].value == (
        "筛选条件：文井江镇；仅困难群众户；导出时间：2026-12-02 09:30；导出人：张三"
    )
    assert [c.value for c in ws[3]] == [c.title for c in COLUMNS]


def test_it_freezes_the_header_and_filters_on_it():
    _, book = _book()
    ws = book.worksheets[0]
    assert ws.freeze_panes == "A4"
    assert ws.auto_filter.ref == "A3:F5"  # header and data, not the totals row


def test_it_fits_widths_to_cjk_text_and_caps_them():
    long = ["镇" * 80, "x", 1, 1, 1, 1.0]
    _, book = _book(rows=[*ROWS, long])
    ws = book.worksheets[0]
    widths = {k: ws.column_dimensions[k].width for k in "ABCDEF"}
    # "联系领导／责任单位" is 9 double-width characters: wider than Excel's default 8.43.
    assert widths["B"] >= 18 + 2
    # XlsxWriter stores a width as Excel does, with the cell's padding (50 -> 50.71).
    assert sheets.MAX_WIDTH <= widths["A"] < sheets.MAX_WIDTH + 1
    assert all(w > 8.43 for w in widths.values())


def test_it_totals_the_count_columns_and_the_rate_of_the_totals():
    _, book = _book()
    ws = book.worksheets[0]
    totals = [c.value for c in ws[6]]
    assert totals == [sheets.TOTALS_LABEL, None, 5821, 5533, None, 95.0]
    assert ws.max_row == 6


def test_it_totals_only_the_rows_it_is_told_to():
    _, book = _book(counts_row=lambda row: row[0] == "道明镇")
    assert [c.value for c in book.worksheets[0][6]][2:4] == [1200, 1199]


def test_it_writes_counts_and_rates_as_numbers_in_the_shared_formats():
    _, book = _book()
    ws = book.worksheets[0]
    assert ws["C4"].value == 4621 and ws["C4"].number_format == XLSX_COUNT_FORMAT
    assert ws["F4"].value == 93.7 and ws["F4"].number_format == XLSX_PERCENT_FORMAT
    assert ws["C6"].number_format == XLSX_COUNT_FORMAT
    assert ws["F6"].number_format == XLSX_PERCENT_FORMAT


def test_it_sets_up_the_page_for_printing():
    _, book = _book()
    ws = book.worksheets[0]
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    # An absent fitToWidth is OOXML's default, 1 (XlsxWriter writes only what differs).
    assert (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.print_title_rows == "$3:$3"
    assert ws.oddFooter.center.text == "第 &P 页 共 &N 页"


def test_it_keeps_formula_text_as_text():
    _, book = _book()
    ws = book.worksheets[0]
    assert ws["B4"].value == '=HYPERLINK("x")' and ws["B4"].data_type == "s"


def test_it_streams_rows_past_the_width_sample():
    rows = [["镇", "单位", i, i, 1, 100.0] for i in range(sheets.SAMPLE_ROWS + 50)]
    n, book = _book(rows=rows)
    ws = book.worksheets[0]
    assert n == len(rows) and ws.max_row == 3 + len(rows) + 1
    assert ws.cell(ws.max_row, 3).value == sum(range(len(rows)))


def test_it_lays_out_the_registry_export_and_reads_it_back(world):
    out = io.BytesIO()
    export_people(
        out,
        "居民.xlsx",
        county=world.county,
        kind="residents",
        user=world.city_admin,
        full=True,
        reason="系统迁移",
    )
    data = out.getvalue()
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    assert ws["A1"].value == f"{world.county.name} 户和居民 导出"
    assert ws["A2"].value.startswith("筛选条件：完整身份证号和电话（事由：系统迁移）；导出时间：")
    assert ws["A2"].value.endswith(f"导出人：{world.city_admin}")
    assert ws.freeze_panes == "A4" and ws.print_title_rows == "$3:$3"
    assert ws.column_dimensions["H"].width >= 18  # 身份证号: 18 characters

    # The importer skips the title and filters rows: the export is still an import file.
    rows = iter_rows(io.BytesIO(data), "居民.xlsx")
    result = import_people(
        rows, county=world.county, kind="residents", mode="all", acting_user=None
    )
    assert result.errors == [] and result.unchanged == 5


def test_it_keeps_the_csv_export_plain(world):
    out = io.StringIO()
    export_people(out, "居民.csv", county=world.county, kind="residents", user=world.city_admin)
    first = next(csv.reader(io.StringIO(out.getvalue())))
    assert first[0] == "户号"


def test_it_lays_out_the_coverage_export(world, login):
    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    response = login(world.city_admin).get(
        reverse("pairing:coverage_export"), {"list": "cadres", "township": world.township.pk}
    )
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    ws = book.worksheets[0]
    assert ws["A1"].value.startswith(f"{world.county.name} 结对覆盖情况：")
    assert "文井江镇" in ws["A2"].value and f"导出人：{world.city_admin}" in ws["A2"].value
    assert ws.freeze_panes == "A4" and ws.auto_filter.ref
    last = [c.value for c in ws[ws.max_row]]
    assert last[0] == sheets.TOTALS_LABEL
    assert ws.cell(4, 6).number_format == XLSX_COUNT_FORMAT


def test_it_freezes_the_import_templates_header(world, login):
    response = login(world.township_staff).get(
        reverse("transfer:template", args=["residents", "xlsx"])
    )
    book = load_workbook(io.BytesIO(response.content))
    assert book.worksheets[0].freeze_panes == "A2"


def test_it_still_judges_a_lone_one_cell_row_as_the_header(world):
    with pytest.raises(Refused, match="表头缺少必填列"):
        import_people(
            iter([(1, ["户号"])]),
            county=world.county,
            kind="residents",
            mode="all",
            acting_user=None,
        )
