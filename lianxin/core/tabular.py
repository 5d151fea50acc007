"""Streaming readers and writers for the .csv/.xlsx files offices exchange.

Rows are yielded one at a time, so memory stays flat whatever the file's size.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from lianxin.core.errors import Refused

SUPPORTED = (".csv", ".xlsx")


def _suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED:
        raise Refused(
            f"不支持的文件类型“{suffix or name}”，请上传 .xlsx 或 .csv 文件", field="file"
        )
    return suffix


def _clean(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _csv_text(stream: IO[bytes]) -> IO[str]:
    # Offices save CSV from Excel in GB18030 as often as in UTF-8: sniff the first block.
    head = stream.read(65536)
    stream.seek(0)
    encoding = "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
    except UnicodeDecodeError:
        encoding = "gb18030"
    return io.TextIOWrapper(stream, encoding=encoding, newline="")


def iter_rows(stream: IO[bytes], name: str) -> Iterator[tuple[int, list[str]]]:
    """(row number as a spreadsheet shows it, cell texts) for every non-empty row, header first."""
    suffix = _suffix(name)
    if suffix == ".csv":
        for number, row in enumerate(csv.reader(_csv_text(stream)), start=1):
            cells = [_clean(c) for c in row]
            if any(cells):
                yield number, cells
        return
    from openpyxl import load_workbook

    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise Refused(f"无法读取该 Excel 文件：{exc}", field="file") from exc
    try:
        sheet = book.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_clean(c) for c in row]
            if any(cells):
                yield number, cells
    finally:
        book.close()


def count_data_rows(stream: IO[bytes], name: str) -> int | None:
    """A cheap row count for progress bars (None when the file does not say)."""
    suffix = _suffix(name)
    if suffix == ".csv":
        total = sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1 << 20), b""))
        stream.seek(0)
        return max(total - 1, 0)
    from openpyxl import load_workbook

    try:
        book = load_workbook(stream, read_only=True)
        rows = book.worksheets[0].max_row
        book.close()
    except Exception:
        rows = None
    stream.seek(0)
    return rows - 1 if rows else None


class Header:
    """Maps the columns a file has to the layout's column titles, reporting what is missing."""

    def __init__(self, cells: Sequence[str], required: Iterable[str], known: Iterable[str]):
        self.index = {c.strip().lstrip("*"): i for i, c in enumerate(cells) if c}
        missing = [c for c in required if c not in self.index]
        if missing:
            raise Refused(
                "表头缺少必填列：" + "、".join(missing) + "（请下载模板对照）", field="file"
            )
        self.unknown = [c for c in self.index if c not in set(known)]

    def get(self, cells: Sequence[str], column: str) -> str:
        i = self.index.get(column)
        return cells[i] if i is not None and i < len(cells) else ""


def write_rows(
    path_or_stream: Any, name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
):
    """Write header + rows as .csv (UTF-8 with BOM, which Excel opens) or streaming .xlsx."""
    suffix = _suffix(name)
    if suffix == ".csv":
        if isinstance(path_or_stream, str | Path):
            with open(path_or_stream, "w", encoding="utf-8-sig", newline="") as stream:
                _write_csv(stream, header, rows)
        else:
            _write_csv(path_or_stream, header, rows)
        return
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    book.save(path_or_stream)


def _write_csv(stream: IO[str], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    writer = csv.writer(stream)
    writer.writerow(header)
    writer.writerows(rows)
