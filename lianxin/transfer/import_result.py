"""What an import did: its counts and its bad rows (RowError), as the job, the page, the audit
row and the command line show them."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from .choices import DataKind, ImportMode


@dataclass(slots=True)
class RowError:
    """One reason a row was refused: the row number as the spreadsheet shows it, the column."""

    row: int
    column: str
    reason: str


@dataclass
class ImportResult:
    """What an import did: counts, and every bad row with its column and reason."""

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
    # Bad rows past the errors-kept limit: counted, not listed (their reasons not kept).
    bad_rows_not_listed: int = 0
    # False when mode "all" found bad rows and rolled everything back.
    saved: bool = False
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    # The first `errors_kept` bad rows keep their reasons (None: all of them).
    errors_kept: int | None = None
    # Error entries of the bad rows not listed, for the job's error total.
    errors_not_listed: int = 0
    # Why the import stopped before the end of its file ("" when it read the file through).
    stopped: str = ""
    # Out-of-scope ID-number answers given, and rows refused once the account's daily budget
    # of them was spent (people/disclosure.py).
    outside_shown: int = 0
    over_limit: int = 0

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

    def counts(self) -> dict[str, int]:
        """The figures that apply to this kind of import, by field name."""
        skip = (
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
        skip |= {"errors_kept", "errors_not_listed", "outside_shown", "over_limit"}
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if isinstance(getattr(self, f.name), int)
            and not isinstance(getattr(self, f.name), bool)
            and f.name not in skip
        }

    @property
    def error_total(self) -> int:
        """Error entries, listed or not."""
        return len(self.errors) + self.errors_not_listed

    @property
    def wrote_anything(self) -> bool:
        return any(getattr(self, name) for name in self.WRITE_COUNTS if name != "unchanged")

    def summary(self) -> str:
        from .models import COUNT_LABELS

        parts = [f"{COUNT_LABELS[k]} {v}" for k, v in self.counts().items()]
        text = "，".join(parts)
        if self.stopped:
            text = f"导入中途停止：{self.stopped}。" + (
                f"停止前已保存：{text}" if self.saved else f"本次未保存任何数据（{text}）"
            )
        elif self.mode == ImportMode.ALL and self.bad_rows:
            text += "。发现错误行，按“全部正确才保存”方式，本次未保存任何数据"
        if self.bad_rows_not_listed:
            text += (
                f"。错误行只列出前 {self.errors_kept:,} 行（错误报告的限制），"
                f"另有 {self.bad_rows_not_listed:,} 行错误未列出"
            )
        return text

    def _zero_writes(self) -> None:
        for name in self.WRITE_COUNTS:
            setattr(self, name, 0)
