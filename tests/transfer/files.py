"""Building import files for the tests: rows in the documented layouts, as csv/xlsx bytes."""

from __future__ import annotations

import csv
import io
import zipfile
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


SHARED_STRINGS_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)
SHARED_STRINGS_REL = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
)


def xlsx_with_shared_string(header, rows, *, placeholder: str, inflate_to: int) -> bytes:
    """An .xlsx whose cell reading `placeholder` is a shared string of `inflate_to` letters —
    how Excel stores text, and how a small file becomes a huge cell. It is deflated in 1 MiB
    pieces, so neither the test nor the file holds it: 300 MB of "A" zips to some 300 KB."""
    plain = io.BytesIO()
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    book.save(plain)
    source = zipfile.ZipFile(io.BytesIO(plain.getvalue()))
    out = io.BytesIO()
    inline = f"<is><t>{placeholder}</t></is>".encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                at = data.index(inline)
                cell_start = data.rindex(b"<c ", 0, at)
                opening = data[cell_start:at].replace(b'"inlineStr"', b'"s"')
                data = data[:cell_start] + opening + b"<v>0</v>" + data[at + len(inline) :]
            elif info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="'
                    + SHARED_STRINGS_TYPE.encode()
                    + b'" /></Types>',
                )
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Type="'
                    + SHARED_STRINGS_REL.encode()
                    + b'" Target="sharedStrings.xml" Id="rId99" /></Relationships>',
                )
            target.writestr(info, data)
        with target.open("xl/sharedStrings.xml", "w", force_zip64=True) as member:
            member.write(
                b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                b'count="1" uniqueCount="1"><si><t>'
            )
            piece = b"A" * (1 << 20)
            left = inflate_to
            while left > 0:
                member.write(piece[: min(left, len(piece))])
                left -= len(piece)
            member.write(b"</t></si></sst>")
    return out.getvalue()
