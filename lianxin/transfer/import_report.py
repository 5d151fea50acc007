"""The bad rows of an import as they are found: counted on its ImportResult, the first few kept
for the page, the first `errors_kept` written to the .csv error report as they come. Memory
does not grow with the number of bad rows, and the report is on disk however the import ends."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from lianxin.core.tabular import csv_safe, figure
from lianxin.lib.masking import scrub

from .import_result import ImportResult, RowError

REPORT_HEADER = ["行号", "列", "原因"]


class ErrorReport:
    """Where an import's bad rows go. `add` is called once per bad row, in the order the rows
    are found (the importers sort each batch's rows by row number first).

    The report at `path` (none when None) is a .csv (UTF-8 with BOM, which Excel opens) written
    through the shared formula-safe cell rule of lianxin.core.tabular, owner-only (0600), and
    opened at the first bad row: an import without one leaves no file. It lists the first
    `result.errors_kept` bad rows (all when None) with their reasons, and ends with a line
    counting the bad rows past that limit."""

    def __init__(self, result: ImportResult, path: str | Path | None = None):
        self.result = result
        self.path = Path(path) if path else None
        self._stream: IO[str] | None = None
        self._csv: Any = None
        self._closed = False

    @property
    def written(self) -> bool:
        """Whether the report file exists (it does once a bad row was found)."""
        return self._stream is not None

    def add(self, row: int, errors: Iterable[tuple[str, str]]) -> None:
        result = self.result
        result.bad_rows += 1
        entries = list(errors)
        result.error_total += len(entries)
        listed = result.bad_rows - result.bad_rows_not_listed
        if result.errors_kept is not None and listed > result.errors_kept:
            # Past the limit only the count is kept: a million bad rows must not become a
            # 190 MB report.
            result.bad_rows_not_listed += 1
            return
        # Reasons are kept (job row, report file): a cell they echo is masked like a log line.
        entries = [(column, scrub(reason)) for column, reason in entries]
        room = len(entries)
        if result.errors_shown is not None:
            room = max(0, min(room, result.errors_shown - len(result.errors)))
        result.errors.extend(RowError(row, column, reason) for column, reason in entries[:room])
        self._write((row, column, reason) for column, reason in entries)

    def _write(self, lines: Iterable[tuple[object, ...]]) -> None:
        if self.path is None:
            return
        if self._csv is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            self._stream = open(fd, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
            self._csv = csv.writer(self._stream)
            self._csv.writerow([csv_safe(v) for v in REPORT_HEADER])
        self._csv.writerows([csv_safe(v) for v in line] for line in lines)

    def flush(self) -> None:
        """Put what was written so far on disk (after each batch): the report can be read
        while the import runs."""
        if self._stream is not None and not self._closed:
            self._stream.flush()

    def close(self) -> None:
        """End the report: the line counting the bad rows not listed, then the file."""
        if self._closed:
            return
        self._closed = True
        result = self.result
        if result.bad_rows_not_listed:
            self._write(
                [
                    (
                        "",
                        "",
                        f"另有 {figure(result.bad_rows_not_listed)} 行错误未列出："
                        f"错误报告最多列出 {figure(result.errors_kept or 0)} 行（本县的导入限制）",
                    )
                ]
            )
        if self._stream is not None:
            self._stream.close()
