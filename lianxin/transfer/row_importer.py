"""What the residents and enterprises importers share: the header's column positions, the
checks on unreadable cells, error bookkeeping, the account's answer budget, the job's claim."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from lianxin.core.fields import text_problem
from lianxin.core.models import today
from lianxin.core.tabular import FromNumber, Header
from lianxin.geo.models import County
from lianxin.lib.pinyin import initials
from lianxin.lib.sealing import NAMES_CACHED
from lianxin.people import disclosure

from . import layouts as L
from .import_report import ErrorReport
from .import_result import ImportResult
from .import_spool import Codec
from .region_index import RegionIndex
from .sealing_pool import SealingPool


class Abandoned(Exception):
    """The job was given up while the import ran (the stall sweep failed it and wrote its
    audit row): the import's open transaction was rolled back and it writes nothing more."""


def placement_ids(row: dict[str, Any]) -> tuple[int, int, int]:
    return (row["township_id"], row["village_id"], row["region_id"])


def resident_placement(row: dict[str, Any]) -> tuple[int, int, int]:
    return (
        row["household__township_id"],
        row["household__village_id"],
        row["household__region_id"],
    )


class RowImporter:
    """What both importers share: the header's column positions, batching, error bookkeeping."""

    layout: L.Layout

    def __init__(
        self,
        *,
        county: County,
        header: Header,
        acting_user: Any,
        result: ImportResult,
        report: ErrorReport | None = None,
    ):
        self.county = county
        self.acting_user = acting_user
        self.result = result
        self.report = report if report is not None else ErrorReport(result)
        # The bad rows of the batch in hand, reported in row order once it is done (flush).
        self.failures: list[tuple[int, list[tuple[str, str]]]] = []
        self.regions = RegionIndex(county, acting_user)
        self.positions = {title: header.index.get(title) for title in self.layout.titles}
        self.titles = {i: title for title, i in header.index.items()}
        self.text_positions: list[tuple[str, int]] = [
            (title, i)
            for title in self.layout.text_titles
            if (i := self.positions[title]) is not None
        ]
        # Out-of-scope answers the account may still be given (None: not budgeted), and those
        # given whose audit row is not written yet (people/disclosure.py).
        self.answers_left: int | None = None
        self.answers_unrecorded = 0
        # Shows the job alive while the import waits for the budget's lock (import_people).
        self.heartbeat: Callable[[], Any] | None = None
        # Whether the job may still commit (import_people's `claim`).
        self.claim: Callable[[], bool] | None = None
        self.initials = lru_cache(maxsize=NAMES_CACHED)(initials)
        # The registration date of the batch in hand (read once a batch, not once a row).
        self.today = today()

    def still_claimed(self) -> None:
        """Raise Abandoned when the job was given up (the stall sweep failed it and wrote its
        audit row): what this transaction holds must not commit behind that row. Called where
        the transaction has written no audit row yet, so it takes the job row's lock before
        the audit chain's, in the sweep's order."""
        if self.claim is not None and not self.claim():
            raise Abandoned()

    def cells(self, cells: list[str]) -> dict[str, str]:
        out = {}
        for title, i in self.positions.items():
            out[title] = cells[i] if i is not None and i < len(cells) else ""
        return out

    def unreadable(self, cells: list[str]) -> list[tuple[str, str]]:
        """Why a row cannot be read at all: a cell the reader could not decode or that is
        past the cell limit, a text-only cell that arrived as a number (its digits are gone,
        so it is refused, never converted back). Such a row is not parsed further."""
        problem = getattr(cells, "problem", None)
        if problem is not None:
            index, reason = problem
            return [(self.titles.get(index, "") if index is not None else "", reason)]
        errors = []
        # A NUL would reach the database in a value or in an error message quoting the cell,
        # and PostgreSQL refuses it in text. Looked for in the whole row first (the usual row
        # has none), then cell by cell.
        has_nul = any("\x00" in value for value in cells if isinstance(value, str))
        for title, i in self.positions.items() if has_nul else ():
            value = cells[i] if i is not None and i < len(cells) else ""
            found = text_problem(title, value, None) if isinstance(value, str) else None
            if found:
                errors.append((title, found))
        if errors:
            return errors
        for title, i in self.text_positions:
            value = cells[i] if i < len(cells) else ""
            if isinstance(value, FromNumber) or L.is_excel_number(value):
                errors.append((title, L.NUMBER_CELL_MESSAGE))
        return errors

    def fail(self, row: int, errors: Iterable[tuple[str, str]]) -> None:
        self.failures.append((row, list(errors)))

    def flush(self) -> None:
        """Report the batch's bad rows, in row order (a row refused while parsing and one
        refused by the database checks come out where the file has them)."""
        self.failures.sort(key=lambda failure: failure[0])
        for row, errors in self.failures:
            self.report.add(row, errors)
        self.failures = []
        self.report.flush()

    # How the checked rows are kept between the two passes (import_spool.Codec), or None to
    # pickle them.
    spool_codec: Codec | None = None

    def sealing_pool(self, worker_from: int | None) -> SealingPool | None:
        """Where the batches' sealing runs (sealing_pool.py); None: the importer seals nothing
        ahead of parsing."""
        return None

    def sealing_cells(self, batch: list[tuple[int, list[str]]]) -> list[Any]:
        """What the sealing pool seals for each row of the batch."""
        raise NotImplementedError

    def parse_batch(
        self, batch: list[tuple[int, list[str]]], sealed: list[Any] | None = None
    ) -> list[Any]:
        """The batch's rows that pass the checks of the row itself and across the file (no
        query); the others are failed. `sealed`: the sealing pool's result for the batch."""
        rows = []
        self.today = today()
        for i, (number, cells) in enumerate(batch):
            self.result.rows_read += 1
            errors = self.unreadable(cells)
            parsed = None
            if not errors:
                parsed, errors = self._parse(number, cells, sealed[i] if sealed else None)
            if errors:
                self.fail(number, errors)
            else:
                rows.append(parsed)
        return rows

    def _parse(self, row: int, cells: list[str], sealed: Any) -> tuple[Any, list[tuple[str, str]]]:
        raise NotImplementedError

    def check_database(self, rows: list[Any], *, answering: bool) -> tuple[list[Any], Any]:
        """The parsed rows that fit what the database holds now, and what was looked up for
        writing them; the others are failed. `answering`: the validation pass, which may spend
        the account's answer budget (people/disclosure.py); the write pass checks again
        without it, for changes made since (see Conflict)."""
        raise NotImplementedError

    def write(self, rows: list[Any], found: Any) -> None:
        """Insert or update the rows checked by check_database, adding to the result's counts."""
        raise NotImplementedError

    def open_budget(self) -> None:
        """Lock the account's answer budget for the caller's transaction and read what is left
        (only importers whose rows carry ID numbers need it)."""

    def record_answers(self, label: str) -> None:
        """The audit row of the answers given since the last one, in the transaction that
        called open_budget (the row is the budget's count)."""
        disclosure.record_answers(self.acting_user, shown=self.answers_unrecorded, label=label)
        self.answers_unrecorded = 0
