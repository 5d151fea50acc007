"""Building import files for the tests: rows in the documented layouts, as csv/xlsx bytes."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook

from lianxin.lib.idcard import check_char
from lianxin.transfer import layouts as L

RESIDENT_HEADER = L.RESIDENTS.template_header()
ENTERPRISE_HEADER = L.ENTERPRISES.template_header()


def resident(
    number: str,
    name: str,
    id_number: str,
    relation: str = "户主",
    *,
    township: str = "文井江镇",
    village: str = "大坪村",
    group: str = "6组",
    address: str = "",
    hardship: str = "",
    phone: str = "",
) -> list[str]:
    """One row of the residents layout, in column order."""
    return [number, township, village, group, address, hardship, name, id_number, relation, phone]


def enterprise(
    code: str,
    name: str,
    trade: str = "C",
    *,
    township: str = "文井江镇",
    village: str = "大坪村",
    group: str = "",
    address: str = "",
) -> list[str]:
    return [code, name, trade, township, village, group, address]


def id_with(first17: str) -> str:
    """An ID number with a correct check digit for any 17 digits (even an impossible date)."""
    return first17 + check_char(first17)


def source(header: Sequence[str], rows: Sequence[Sequence[str]]):
    """Rows numbered as a spreadsheet shows them, header first: what iter_rows yields."""
    yield 1, list(header)
    for number, row in enumerate(rows, start=2):
        yield number, list(row)


def csv_bytes(header, rows, encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(header, rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
