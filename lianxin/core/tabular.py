"""Streaming readers and writers for the .csv/.xlsx files offices exchange.

Rows are yielded one at a time, so memory stays flat whatever the file's size.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from lianxin.core.errors import Refused
from lianxin.lib.numbers import count_text

SUPPORTED = (".csv", ".xlsx")


def _suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED:
        raise Refused(
            f"不支持的文件类型“{suffix or name}”，请上传 .xlsx 或 .csv 文件", field="file"
        )
    return suffix


class FromNumber(str):
    """The text of a cell the spreadsheet stored as a number (int or float from openpyxl).

    Excel keeps 15 significant digits, so an 18-digit ID number typed into a General column is
    already wrong in the file (5.10184195307049E+17): whoever reads a text-only column (ID
    numbers, phones, household numbers) must refuse such a cell, never turn it back into digits.
    """

    __slots__ = ()


class Cells(list[str]):
    """A row's cell texts, and what went wrong reading it: (index of the cell or None, reason).
    A row that could not be read (a byte that is not text in the file's encoding, an over-long
    cell) is still yielded, with its problem, so it is reported like any other bad row."""

    __slots__ = ("problem",)

    def __init__(self, cells: Iterable[str] = (), problem: tuple[int | None, str] | None = None):
        super().__init__(cells)
        self.problem = problem


@dataclass(frozen=True)
class ReadLimits:
    """What one file may hold (None: no limit); see lianxin.transfer.models.ImportLimits."""

    rows: int | None = None
    cell_chars: int | None = None
    # Bytes the members of an .xlsx inflate to, counted as they are read (zip headers can lie).
    unpacked_bytes: int | None = None


NO_LIMITS = ReadLimits()
# A real .xlsx compresses its XML 5–20 times; deflate cannot go past ~1,030.
MAX_COMPRESSION_RATIO = 200
# Members smaller than this are not judged by their ratio (tiny files compress oddly).
RATIO_MIN_BYTES = 1 << 20
# The shared-strings table is held in memory whole (openpyxl reads it at open): it gets a
# quarter of the unpacked budget, where the sheet itself is streamed.
SHARED_STRINGS_SHARE = 4


def figure(n: int) -> str:
    """1,000 separators, as the limit messages show figures (lianxin.lib.numbers' rule)."""
    return count_text(n)


def size_text(n: int) -> str:
    """Bytes as an office reads them: 50 MB, 512 KB, 1,000 字节."""
    if n >= 1 << 20 and n % (1 << 20) == 0:
        return f"{figure(n >> 20)} MB"
    if n >= 1 << 20:
        return f"{n / (1 << 20):,.1f} MB"
    if n >= 1 << 10 and n % (1 << 10) == 0:
        return f"{figure(n >> 10)} KB"
    return f"{figure(n)} 字节"


def rows_limit_message(limit: int) -> str:
    return f"文件超过每个文件最多 {figure(limit)} 行的限制，请按乡镇或村分成几个文件导入"


def cell_limit_message(limit: int) -> str:
    return f"单元格超过每格最多 {figure(limit)} 个字符的限制"


def unpacked_limit_message(limit: int) -> str:
    return (
        f"文件解压后超过每个文件最多 {size_text(limit)} 的限制（.xlsx 文件是压缩包），"
        "请分成几个文件导入"
    )


def _clean(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        # Marked, so a text-only column refuses it; whole floats read as integers elsewhere
        # (a group typed as 6 arrives as 6.0).
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return FromNumber(value)
    return str(value).strip()


def _sniff_encoding(stream: IO[bytes]) -> str:
    # Offices save CSV from Excel in GB18030 as often as in UTF-8: sniff the first block.
    head = stream.read(65536)
    stream.seek(0)
    try:
        codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


class _CsvLines:
    """The file's lines, each decoded on its own, so one byte that is not text in the sniffed
    encoding spoils only the record it is in (flagged in `bad`), never the rest of the file.
    A line is read with a length cap, so a file with no line breaks is not read whole."""

    def __init__(self, stream: IO[bytes], encoding: str, max_line: int | None):
        self.stream = stream
        self.encoding = encoding
        self.max_line = max_line or -1
        self.bad = False
        self.too_long = False

    def __iter__(self) -> Iterator[str]:
        first = True
        while True:
            raw = self.stream.readline(self.max_line)
            if not raw:
                return
            if self.max_line > 0 and len(raw) >= self.max_line and not raw.endswith(b"\n"):
                self.too_long = True
                return
            try:
                # Only the first line may start with the BOM.
                text = raw.decode(self.encoding if first else self.encoding.replace("-sig", ""))
            except UnicodeDecodeError:
                text = raw.decode(self.encoding, errors="replace")
                self.bad = True
            first = False
            yield text


def _decode_problem(cells: list[str], encoding: str) -> tuple[int | None, str]:
    index = next((i for i, c in enumerate(cells) if "\ufffd" in c), None)
    name = "UTF-8" if encoding.startswith("utf-8") else "GB18030"
    return index, (
        f"本行含有不是 {name} 编码的字节，无法识别其中的文字（本行未导入）；"
        f"请检查本行，或把整个文件另存为“CSV UTF-8”后重新导入"
    )


def _iter_csv(stream: IO[bytes], limits: ReadLimits) -> Iterator[tuple[int, Cells]]:
    encoding = _sniff_encoding(stream)
    # A line holds at most some 60 cells of the cell limit, 4 bytes a character, and quotes.
    max_line = limits.cell_chars * 4 * 60 + 4096 if limits.cell_chars else None
    lines = _CsvLines(stream, encoding, max_line)
    reader = csv.reader(lines)
    number = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error:
            # The csv module's reasons are English: a stray quote or a field past 131,072
            # characters (both usually a quote left open, swallowing the following lines).
            raise Refused(
                f"第{number + 1}行无法按 CSV 格式读取（引号不成对，或单元格过长）", field="file"
            ) from None
        number += 1
        cells = Cells([_clean(c) for c in row])
        if lines.bad:
            cells.problem = _decode_problem(cells, encoding)
            lines.bad = False
        yield number, cells
    if lines.too_long:
        assert limits.cell_chars
        raise Refused(
            f"第{number + 1}行过长：{cell_limit_message(limits.cell_chars)}", field="file"
        )


class _Meter:
    """The bytes inflated so far from one .xlsx, against its budget."""

    def __init__(self, limits: ReadLimits):
        self.limit = limits.unpacked_bytes
        self.total = 0
        # A text run this long with no "<" is a cell longer than the limit (XML text cannot
        # hold a raw "<"; an escaped character takes at most 6 bytes, &quot;).
        self.max_run = limits.cell_chars * 6 + 64 if limits.cell_chars else None
        self.cell_chars = limits.cell_chars

    def count(self, n: int) -> None:
        self.total += n
        if self.limit is not None and self.total > self.limit:
            raise Refused(unpacked_limit_message(self.limit), field="file")


class _MeteredMember(io.RawIOBase):
    """A zip member read through the meter: every inflated byte is counted before the XML
    parser sees it, and an over-long text run is refused before it becomes a cell."""

    def __init__(self, inner: IO[bytes], meter: _Meter, *, xml: bool, budget: int | None):
        self.inner = inner
        self.meter = meter
        self.xml = xml
        self.budget = budget
        self.read_here = 0
        self.run = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        # Never more than 64 KiB at once: a read(-1) of a bomb must not inflate it whole.
        chunk = self.inner.read(65536 if size is None or size < 0 or size > 65536 else size)
        if size is None or size < 0:
            parts = [chunk]
            while chunk:
                self._check(chunk)
                chunk = self.inner.read(65536)
                parts.append(chunk)
            return b"".join(parts)
        self._check(chunk)
        return chunk

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _check(self, chunk: bytes) -> None:
        if not chunk:
            return
        self.meter.count(len(chunk))
        self.read_here += len(chunk)
        if self.budget is not None and self.read_here > self.budget:
            raise Refused(unpacked_limit_message(self.budget * SHARED_STRINGS_SHARE), field="file")
        max_run = self.meter.max_run
        if not (self.xml and max_run):
            return
        first = chunk.find(b"<")
        if first < 0:
            self.run += len(chunk)
        else:
            self.run += first
            if self.run <= max_run:
                last = chunk.rfind(b"<")
                # Anchored on "<": each run is scanned once, the search stays linear.
                inner = chunk[first:last]
                if len(inner) > max_run and re.search(b"<[^<]{%d}" % (max_run + 1), inner):
                    self.run = max_run + 1
                else:
                    self.run = len(chunk) - last - 1
        if self.run > max_run:
            assert self.meter.cell_chars
            raise Refused(cell_limit_message(self.meter.cell_chars), field="file")

    def close(self) -> None:
        self.inner.close()
        super().close()


class _MeteredZip(zipfile.ZipFile):
    """The workbook's zip, every member opened through the meter."""

    meter: _Meter

    def open(self, name, mode="r", pwd=None, *, force_zip64=False):  # type: ignore[override]
        inner = super().open(name, mode, pwd, force_zip64=force_zip64)
        if mode != "r":
            return inner
        filename = name.filename if isinstance(name, zipfile.ZipInfo) else str(name)
        budget = None
        if self.meter.limit is not None and filename.endswith("sharedStrings.xml"):
            budget = self.meter.limit // SHARED_STRINGS_SHARE
        member = _MeteredMember(
            inner, self.meter, xml=filename.endswith((".xml", ".rels")), budget=budget
        )
        return io.BufferedReader(member, 65536)  # type: ignore[return-value]


def _check_archive(archive: zipfile.ZipFile, limits: ReadLimits) -> None:
    """What the zip's directory declares, before anything is inflated. The meter still counts
    while reading: a crafted file can declare small sizes and inflate to more."""
    declared = 0
    for info in archive.infolist():
        declared += info.file_size
        if info.file_size >= RATIO_MIN_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(
            info.compress_size, 1
        ):
            raise Refused(
                f"文件的压缩比异常（超过 {MAX_COMPRESSION_RATIO} 倍），"
                "可能是构造的恶意文件，已拒绝；请用 Excel 重新保存后再导入",
                field="file",
            )
    if limits.unpacked_bytes is not None and declared > limits.unpacked_bytes:
        raise Refused(unpacked_limit_message(limits.unpacked_bytes), field="file")


def _open_book(stream: IO[bytes], limits: ReadLimits, *, data_only: bool = True):
    """openpyxl's read-only workbook, its zip read through the meter."""
    from openpyxl.reader.excel import ExcelReader

    try:
        archive = _MeteredZip(stream)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise Refused(f"无法读取该 Excel 文件：{exc}", field="file") from exc
    archive.meter = _Meter(limits)
    _check_archive(archive, limits)
    try:
        reader = ExcelReader(stream, read_only=True, data_only=data_only, keep_links=False)
        # openpyxl opened its own ZipFile on the stream; every read goes through ours instead.
        reader.archive = archive
        reader.read()
    except Refused:
        raise
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise Refused(f"无法读取该 Excel 文件：{exc}", field="file") from exc
    return reader.wb


def _iter_xlsx(stream: IO[bytes], limits: ReadLimits) -> Iterator[tuple[int, Cells]]:
    book = _open_book(stream, limits)
    try:
        sheet = book.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, Cells([_clean(c) for c in row])
    finally:
        book.close()


def iter_rows(
    stream: IO[bytes], name: str, limits: ReadLimits = NO_LIMITS
) -> Iterator[tuple[int, list[str]]]:
    """(row number as a spreadsheet shows it, cell texts) for every non-empty row, header first.

    Cells are `Cells` lists: a row that could not be read carries its `problem`. A file past
    `limits` (rows, or for .xlsx the unpacked size) raises Refused naming the limit; a cell past
    the cell limit makes its row bad (its text is dropped)."""
    suffix = _suffix(name)
    rows = _iter_csv(stream, limits) if suffix == ".csv" else _iter_xlsx(stream, limits)
    data_rows = -1  # the header is not a data row
    for number, cells in rows:
        if not any(cells) and cells.problem is None:
            continue
        data_rows += 1
        if limits.rows is not None and data_rows > limits.rows:
            raise Refused(rows_limit_message(limits.rows), field="file")
        if (
            limits.cell_chars is not None
            and cells.problem is None
            and max(map(len, cells), default=0) > limits.cell_chars
        ):
            for i, cell in enumerate(cells):
                if len(cell) > limits.cell_chars:
                    cells[i] = ""
                    cells.problem = (i, cell_limit_message(limits.cell_chars) + "（本行未导入）")
                    break
        yield number, cells


def count_data_rows(stream: IO[bytes], name: str, limits: ReadLimits = NO_LIMITS) -> int | None:
    """A cheap row count for progress bars (None when the file does not say). For .xlsx the
    zip's declared sizes are checked against `limits` first (Refused when past them)."""
    suffix = _suffix(name)
    if suffix == ".csv":
        total = sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1 << 20), b""))
        stream.seek(0)
        return max(total - 1, 0)
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        stream.seek(0)
        raise Refused(f"无法读取该 Excel 文件：{exc}", field="file") from exc
    _check_archive(archive, limits)
    rows = _declared_rows(archive)
    stream.seek(0)
    return rows - 1 if rows else None


def _declared_rows(archive: zipfile.ZipFile) -> int | None:
    """The last row of the first sheet's <dimension ref="A1:J200">, read from the sheet's first
    few KiB only (without the shared strings, which a crafted file could make huge)."""
    try:
        names = archive.namelist()
        sheet = next(
            (n for n in ("xl/worksheets/sheet1.xml",) if n in names),
            next((n for n in names if n.startswith("xl/worksheets/sheet")), None),
        )
        if sheet is None:
            return None
        with archive.open(sheet) as member:
            head = member.read(4096).decode("utf-8", errors="replace")
    except Exception:
        return None
    match = re.search(r'<(?:\w+:)?dimension ref="[A-Z]+\d+:[A-Z]+(\d+)"', head)
    return int(match.group(1)) if match else None


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


# A text cell a spreadsheet would run as a formula (or DDE) when it begins with one of these.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def csv_safe(value: Any) -> Any:
    """A value for a .csv cell that Excel will not run: text beginning like a formula gets a
    leading apostrophe (Excel shows the text as typed). Plain numbers ("-5") are left alone."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def write_rows(
    path_or_stream: Any,
    name: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    columns: Sequence[Any] | None = None,
    heading: Any = None,
):
    """Write header + rows as .csv (UTF-8 with BOM, which Excel opens; plain data, no title
    rows) or as a streaming .xlsx laid out by lianxin.core.sheets (`columns`: sheets.Column
    for each header title, all text when None; `heading`: its sheets.Heading). Every export
    goes through here: cell text is written as given, never as a formula (a name or
    address beginning with "=" would otherwise run when opened)."""
    suffix = _suffix(name)
    if suffix == ".csv":
        if isinstance(path_or_stream, str | Path):
            with open(path_or_stream, "w", encoding="utf-8-sig", newline="") as stream:
                _write_csv(stream, header, rows)
        else:
            _write_csv(path_or_stream, header, rows)
        return
    from lianxin.core import sheets

    sheets.write_xlsx(
        path_or_stream,
        columns or [sheets.text(t) for t in header],
        rows,
        heading=heading,
        sheet_name=heading.title if heading else "",
    )


def _write_csv(stream: IO[str], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    writer = csv.writer(stream)
    writer.writerow([csv_safe(v) for v in header])
    writer.writerows([csv_safe(v) for v in row] for row in rows)
