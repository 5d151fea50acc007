"""What an import did: its counts and its bad rows (RowError), as the job, the page, the audit
row and the command line show them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from .choices import DataKind, ImportMode


@dataclass(slots=True)
class RowError:
    """One reason a row was refused: the row number as the spreadsheet shows it, the column."""

    row: int
    column: str
    reason: str


# Error entries an import keeps in memory for the page (its ImportResult.errors); the report
# file has the first `errors_kept` bad rows, every other bad row is only counted.
ERRORS_SHOWN = 1000


@dataclass
class ImportResult:
    """What an import did: counts, and the first bad rows with their column and reason."""

    kind: str
    mode: str
    rows_read: int = 0
    bad_rows: int = 0
    households_created: int = 0
    households_updated: int = 0
    hardships_added: int = 0
    residents_created: int = 0
    residents_updated: int = 0
    enterprises_created: int = 0
    enterprises_updated: int = 0
    unchanged: int = 0
    # Bad rows past the errors-kept limit: counted, not in the report (their reasons not kept).
    bad_rows_not_listed: int = 0
    # False when mode "all" found bad rows and wrote nothing.
    saved: bool = False
    # The first `errors_shown` error entries (None: all of them), in the order found.
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    # The first `errors_kept` bad rows are in the report file with their reasons (None: all).
    errors_kept: int | None = None
    errors_shown: int | None = ERRORS_SHOWN
    # Error entries of every bad row, listed or not.
    error_total: int = 0
    # Why the import stopped before the end of its file ("" when it read the file through).
    stopped: str = ""
    # Out-of-scope ID-number answers given, and rows refused once the account's daily budget
    # of them was spent (people/disclosure.py).
    outside_shown: int = 0
    over_limit: int = 0
    # The longest of the write pass's batch transactions, in seconds: how long the import held
    # SQLite's write lock at a time (bench/bench_import.py prints it).
    longest_batch_seconds: float = 0.0

    WRITE_COUNTS = (
        "households_created",
        "households_updated",
        "hardships_added",
        "residents_created",
        "residents_updated",
        "enterprises_created",
        "enterprises_updated",
        "unchanged",
    )
    # Figures that are the import's bookkeeping, not its counts.
    _NOT_COUNTS = frozenset(
        {"errors_kept", "errors_shown", "error_total", "outside_shown", "over_limit"}
    )

    def counts(self) -> dict[str, int]:
        """The figures that apply to this kind of import, by field name."""
        skip = set(self._NOT_COUNTS) | (
            {"enterprises_created", "enterprises_updated"}
            if self.kind == DataKind.RESIDENTS
            else {
                "households_created",
                "households_updated",
                "hardships_added",
                "residents_created",
                "residents_updated",
            }
        )
        if not self.bad_rows_not_listed:
            skip.add("bad_rows_not_listed")
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if type(getattr(self, f.name)) is int and f.name not in skip
        }

    @property
    def wrote_anything(self) -> bool:
        return wrote_anything(self.write_counts())

    def write_counts(self) -> dict[str, int]:
        """What the write pass has counted so far, to carry into a resumed import."""
        return {name: getattr(self, name) for name in self.WRITE_COUNTS}

    def set_write_counts(self, counts: Mapping[str, int]) -> None:
        for name in self.WRITE_COUNTS:
            setattr(self, name, int(counts.get(name, 0)))

    def summary(self) -> str:
        from .models import COUNT_LABELS

        parts = [f"{COUNT_LABELS[k]} {v}" for k, v in self.counts().items()]
        text = "，".join(parts)
        if self.stopped:
            text = f"导入中途停止：{self.stopped}。" + (
                f"停止前已保存：{text}" if self.saved else f"本次未保存任何数据（{text}）"
            )
            if self.saved and self.mode == ImportMode.ALL:
                text += RESUME_HINT
        elif self.mode == ImportMode.ALL and self.bad_rows:
            text += "。发现错误行，按“全部正确才保存”方式，本次未保存任何数据"
        if self.bad_rows_not_listed:
            text += (
                f"。错误行只列出前 {self.errors_kept:,} 行（错误报告的限制），"
                f"另有 {self.bad_rows_not_listed:,} 行错误未列出"
            )
        return text


# Mode "all" promises nothing is written unless the whole file passed its checks; a stop in the
# write pass leaves the batches written before it (docs/import-layout.md, "Two modes").
RESUME_HINT = (
    "。全文件已通过检查，停止前的批次已保存；重新导入同一文件会补全其余的行，已保存的行不会重复登记"
)


def wrote_anything(counts: Mapping[str, int]) -> bool:
    """Whether an import's counts (ImportResult.counts) say it created or changed a row."""
    return any(counts.get(name) for name in ImportResult.WRITE_COUNTS if name != "unchanged")
