"""Bulk import of households with their residents, and of enterprises, in the layouts of
layouts.py. Rows stream through in batches: each batch is validated, looked up with one query
per kind of key and written with one multi-row insert/update per table, so memory does not grow
with the file (except for the checks across the file, see ResidentImporter). Re-running a file
changes nothing.

This module runs an import (import_people) and writes its audit row; the rows are read by the
importer of their kind (resident_importer.py, enterprise_importer.py, on row_importer.py) and
the result is an ImportResult (import_result.py)."""

from __future__ import annotations

import itertools
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from django.db import IntegrityError, connection, transaction

from lianxin.audit.services import record
from lianxin.core import sheets
from lianxin.core.errors import Refused
from lianxin.core.tabular import Header
from lianxin.geo.models import County
from lianxin.people import disclosure

from . import layouts as L
from .choices import DataKind, ImportMode
from .enterprise_importer import EnterpriseImporter
from .import_report import ErrorReport
from .import_result import ERRORS_SHOWN, ImportResult
from .import_spool import Spool
from .resident_importer import ResidentImporter
from .row_importer import Abandoned, RowImporter
from .sealing_pool import WORKER_FROM_ROWS, SealingPool

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
# Rows written in one transaction by the callers that pass it (the job runner, the command
# line, the demo): whole checked batches until at least this many. On SQLite every write is
# followed by the pause below (at least 100 ms): one transaction per 1,000 rows kept an import
# under 10,000 rows a second on the pauses alone. 5,000 rows hold the write lock about as long
# as the pause lasts (bench/README.md).
WRITE_BATCH_SIZE = 5000
# SQLite lets one writer in at a time, and a writer waiting for the lock retries only every
# 100 ms once it has waited a while (its busy handler's longest sleep) while a fresh one retries
# within milliseconds: the write pass would win the lock again and again over the log-ins and
# edits queued behind it. So between two batches it waits at least those 100 ms, and half as
# long as it held the lock (a slow machine's batches are long, and so is the queue behind them).
SQLITE_PAUSE_SECONDS = 0.1
SQLITE_PAUSE_SHARE = 0.5
# A row that passed the checks but collides, when its batch is written, with another user's
# change made since (registered elsewhere, a new head, a household moved out of scope).
CONFLICT_MESSAGE = "保存时与同时进行的其他修改冲突，本行未保存，请重新导入"
AUDIT_ACTIONS = {DataKind.RESIDENTS: "批量导入居民", DataKind.ENTERPRISES: "批量导入企业"}


IMPORTERS: dict[str, type[RowImporter]] = {
    DataKind.RESIDENTS: ResidentImporter,
    DataKind.ENTERPRISES: EnterpriseImporter,
}


def _batches(
    rows: Iterator[tuple[int, list[str]]], size: int
) -> Iterator[list[tuple[int, list[str]]]]:
    """Lists of at most `size` rows, pulled from the source only as each batch is needed.
    Rows whose cells are all blank (stray formatting in a spreadsheet) are skipped."""
    while True:
        batch = [
            r
            for r in itertools.islice(rows, size)
            if "".join(r[1]).strip() or getattr(r[1], "problem", None) is not None
        ]
        if not batch:
            # islice came back empty only at the end; a batch of blank rows just continues.
            peek = next(rows, None)
            if peek is None:
                return
            rows = itertools.chain([peek], rows)
            continue
        yield batch


class ImportStopped(Refused):
    """An import that stopped before the end of its file (a limit, a crash, a conflict):
    `result` says what it saved; the audit row saying so is already written."""

    def __init__(self, message: str, result: ImportResult, status: int = 400):
        super().__init__(message, field="file", status=status)
        self.result = result


class _Tracked:
    """The source's rows, remembering the last row number pulled (where a stop happened)."""

    def __init__(self, rows: Iterator[tuple[int, list[str]]]):
        self.rows = rows
        self.last = 1

    def __iter__(self):
        return self

    def __next__(self) -> tuple[int, list[str]]:
        number, cells = next(self.rows)
        self.last = number
        return number, cells


def import_people(
    source: Iterable[tuple[int, list[str]]],
    *,
    county: County,
    kind: str,
    mode: str,
    acting_user: Any,
    progress: Callable[[int, int | None], Any] | None = None,
    file_name: str = "",
    batch_size: int = BATCH_SIZE,
    errors_kept: int | None = None,
    errors_shown: int | None = ERRORS_SHOWN,
    report: str | Path | None = None,
    rows_total: int | None = None,
    on_batch: Callable[[int, dict[str, int]], Any] | None = None,
    start_at: int = 0,
    counts_at_start: Mapping[str, int] | None = None,
    check: Callable[[], Any] | None = None,
    claim: Callable[[], bool] | None = None,
    sealing_worker_from: int | None = WORKER_FROM_ROWS,
    write_batch_size: int | None = None,
) -> ImportResult:
    """Import households/residents or enterprises from rows (header first), as
    `lianxin.core.tabular.iter_rows` yields them, in two passes (docs/import-layout.md):

    1. validation: the whole file, batch by batch, every check (the row's own, across the file,
       against the database), writing no data; every bad row is reported. The rows that pass
       are kept on disk (import_spool.py) for the second pass.
    2. writing: when mode "all" found no bad row, or in mode "good" for the rows that passed,
       one short transaction per batch (upserts keyed by ID-number hash, 户号, credit code;
       each batch's rows are checked again against what the database holds by then).

    Bad rows go to `report` (a .csv path; none when None) as they are found: the first
    `errors_kept` bad rows (all when None) with their reasons, the rest counted; the result
    keeps the first `errors_shown` error entries (all when None) for the page.

    For a job runner: `progress(done, total)` after every batch of either pass (done counts
    both passes, so total is twice the file's data rows; None while only `rows_total`, a hint,
    is known); `on_batch(rows_written, counts)` inside each write transaction, so what it stores
    commits with the batch: rows_written is the checkpoint (data rows of the file, blank rows
    not counted, that are written or were bad), counts the running ImportResult.counts();
    `start_at=rows_written` with `counts_at_start=counts` resumes after the checkpoint (the
    file is validated again in full, the rows up to the checkpoint are not written again);
    `check()` between batches of either pass, outside any transaction: what it raises comes
    out unchanged, after the import's audit row (what the committed batches saved), and leaves
    the import resumable from its last checkpoint.

    An import that stops before its end (the reader refusing the file past a limit, a
    conflict, any exception) raises ImportStopped after writing an audit row with what it
    saved: nothing when it stopped while validating; the committed batches when it stopped
    while writing (in mode "all" too: run the file again to complete it, nothing is added
    twice).

    `claim()` runs in each transaction that commits the import's work, before its audit rows,
    and says whether the job still owns the import (the job row locked, still running): when
    it does not, the transaction is rolled back and Abandoned raised, with no audit row of its
    own (the stall sweep wrote the job's). While it waits for the account's answer budget, the
    import calls `progress` again (nothing more done) so the job shows it is alive.

    `write_batch_size`: the write pass commits whole checked batches until at least this many
    rows at a time (WRITE_BATCH_SIZE for a long file; None: each checked batch on its own); the
    checkpoint is the last of them.

    Past `sealing_worker_from` rows (None: never) the rows are sealed in a worker process one
    batch ahead (sealing_pool.py), on a machine with more than one core."""
    if kind not in IMPORTERS:
        raise Refused(f"无法识别的导入数据类型“{kind}”", field="kind")
    if mode not in ImportMode.values:
        raise Refused(f"无法识别的导入方式“{mode}”", field="mode")
    if acting_user is not None:
        if not acting_user.writes_registry:
            raise Refused("您没有导入户籍和企业数据的权限", status=403)
        if acting_user.county_id != county.pk:
            raise Refused("只能导入本县的数据", field="county", status=403)
    rows = iter(source)
    try:
        _, header_cells = next(rows)
    except StopIteration:
        raise Refused("文件为空：第一行应为表头（请下载模板对照）", field="file") from None
    # An .xlsx export has its title and filters above the header (lianxin.core.sheets):
    # skipped, so an export reads back as an import file (and they are no data rows of the
    # total, which the sheet's dimension counted).
    for _ in range(sheets.HEADING_ROWS):
        if not sheets.heading_rows_before(header_cells):
            break
        following = next(rows, None)
        if following is None:
            break  # a one-row file: its one row is the header Header() judges
        header_cells = following[1]
        if rows_total:
            rows_total -= 1
    layout = L.LAYOUTS[kind]
    header = Header(header_cells, layout.required, layout.titles)
    result = ImportResult(
        kind=kind,
        mode=mode,
        ignored_columns=header.unknown,
        errors_kept=errors_kept,
        errors_shown=errors_shown,
    )
    errors = ErrorReport(result, report)
    importer = IMPORTERS[kind](
        county=county, header=header, acting_user=acting_user, result=result, report=errors
    )
    importer.claim = claim
    run = _Run(
        importer,
        _Tracked(rows),
        file_name=file_name,
        batch_size=batch_size,
        progress=progress,
        check=check,
        rows_total=rows_total,
        on_batch=on_batch,
        start_at=start_at,
        counts_at_start=counts_at_start,
        sealing_worker_from=sealing_worker_from,
        write_batch_size=write_batch_size,
    )
    if progress is not None:
        importer.heartbeat = run.show
    try:
        with _import_cache(), Spool(importer.spool_codec) as spool:
            run.validate(spool)
            if mode == ImportMode.ALL and result.bad_rows:
                run.show_skipped_writes()
            else:
                run.write(spool)
    except Abandoned:
        # Its refusals were never shown: the job page shows the sweep's message.
        result.over_limit = 0
        raise
    except BaseException as exc:
        if exc is not run.interruption and not isinstance(exc, Exception):
            # SystemExit, KeyboardInterrupt: the process is going away; what it committed is
            # on the job (on_batch), whose stall sweep writes the audit row.
            raise
        status = run.stop(exc)
        if exc is run.interruption:
            raise
        raise ImportStopped(result.summary(), result, status=status) from exc
    finally:
        errors.close()
        # One row per import, whether it saved, stopped or wrote nothing: the refusals were
        # shown.
        with transaction.atomic():
            disclosure.record_limit_refusals(
                acting_user, refused=result.over_limit, label=run.label
            )
    result.errors.sort(key=lambda e: e.row)
    return result


class _Run:
    """One import under way: its two passes, where it is, and its stop."""

    def __init__(
        self,
        importer: RowImporter,
        rows: _Tracked,
        *,
        file_name: str,
        batch_size: int,
        progress: Callable[[int, int | None], Any] | None,
        check: Callable[[], Any] | None,
        rows_total: int | None,
        on_batch: Callable[[int, dict[str, int]], Any] | None,
        start_at: int,
        counts_at_start: Mapping[str, int] | None,
        sealing_worker_from: int | None = None,
        write_batch_size: int | None = None,
    ):
        self.importer = importer
        self.sealing_worker_from = sealing_worker_from
        self.write_batch_size = write_batch_size
        self.result = importer.result
        self.rows = rows
        self.file_name = file_name
        self.label = file_name or "（程序生成的数据）"
        self.batch_size = batch_size
        self.progress = progress
        self.check = check
        self.on_batch = on_batch
        self.start_at = max(0, start_at)
        self.counts_at_start = counts_at_start
        # Data rows validated, and covered by the write pass (written, or bad and skipped).
        self.validated = 0
        self.written = 0
        self.total_rows = rows_total
        self.writing = False
        # The row number the write pass was at (for a stop's message).
        self.writing_row = 0
        # What check() raised, to be let through unchanged.
        self.interruption: BaseException | None = None
        # The last row pulled from the source with the batch in hand (the source may be a
        # batch ahead, see validate); None when the source itself failed.
        self.pulled_to: int | None = None

    # -- where it is ---------------------------------------------------------------------

    def show(self) -> None:
        if self.progress is not None:
            total = 2 * self.total_rows if self.total_rows is not None else None
            self.progress(self.validated + self.written, total)

    def show_skipped_writes(self) -> None:
        """Mode "all" found bad rows: there is nothing to write, the import is done."""
        self.written = self.validated
        self.show()

    def between_batches(self) -> None:
        """Outside any transaction, with every committed batch's checkpoint stored."""
        self.show()
        if self.check is None:
            return
        try:
            self.check()
        except BaseException as exc:
            self.interruption = exc
            raise

    # -- the passes ------------------------------------------------------------------------

    def validate(self, spool: Spool) -> None:
        """Every batch checked, nothing written but the audit rows of the out-of-scope answers
        the checks gave: those count the account's budget, so a batch's checks against the
        database and its answers' row share a short transaction holding the budget's lock
        (people/disclosure.py; on SQLite that transaction holds the write lock too). An import
        without an acting user (the command line, the demo) has no budget and reads in
        autocommit."""
        importer = self.importer
        budgeted = importer.acting_user is not None or importer.claim is not None
        pool = importer.sealing_pool(self.sealing_worker_from)
        with pool if pool is not None else nullcontext():
            for batch, sealed in self._sealed_batches(pool):
                self._validate_batch(spool, batch, sealed, budgeted)
        self.total_rows = self.validated

    def _sealed_batches(self, pool: SealingPool | None) -> Iterator[tuple[list, list | None]]:
        """The source's batches with their sealing. Once the pool seals in its worker, the
        next batch is pulled and handed to the worker before the one in hand is yielded; a
        failure of the source then comes out after the batches pulled before it, as it would
        without the worker (and so does the row it stopped at)."""
        batches = _batches(self.rows, self.batch_size)
        ahead: deque[tuple[list, int, Callable[[], Any] | None]] = deque()
        pulled = self.validated
        failed: Exception | None = None
        while True:
            while failed is None and len(ahead) < (2 if pool is not None and pool.apart else 1):
                try:
                    batch = next(batches, None)
                except Exception as exc:
                    failed = exc
                    break
                if batch is None:
                    break
                sealing = None
                if pool is not None:
                    cells = self.importer.sealing_cells(batch)
                    sealing = pool.submit(cells, rows_before=pulled)
                pulled += len(batch)
                ahead.append((batch, self.rows.last, sealing))
            if not ahead:
                if failed is not None:
                    self.pulled_to = None
                    raise failed
                return
            batch, self.pulled_to, collect = ahead.popleft()
            yield batch, collect() if collect is not None else None

    def _validate_batch(
        self, spool: Spool, batch: list, sealed: list | None, budgeted: bool
    ) -> None:
        importer, result = self.importer, self.result
        first = self.validated
        parsed = importer.parse_batch(batch, sealed)
        accepted: list[Any] = []
        if parsed:
            with transaction.atomic() if budgeted else nullcontext():
                if budgeted:
                    importer.open_budget()
                    importer.still_claimed()
                accepted, _ = importer.check_database(parsed, answering=True)
                importer.record_answers(self.label)
        importer.flush()
        self.validated += len(batch)
        keep = not (result.mode == ImportMode.ALL and result.bad_rows)
        if keep and accepted and self.validated > self.start_at:
            ordinals = {number: first + i for i, (number, _) in enumerate(batch, start=1)}
            spool.add(
                self.validated,
                [(o, r) for r in accepted if (o := ordinals[r.row]) > self.start_at],
            )
        self.between_batches()

    def write(self, spool: Spool) -> None:
        """The rows that passed, batch by batch (write_batch_size), each batch in a
        transaction of its own, then
        the import's audit row. Between batches on SQLite the import leaves the lock a moment so that
        writers queued behind it (log-ins, edits) get their turn (SQLITE_PAUSE_*), reading the
        next batch back from the spool meanwhile; after the last batch it does not wait."""
        result = self.result
        self.writing = True
        if self.counts_at_start:
            result.set_write_counts(self.counts_at_start)
        self.written = min(self.start_at, self.validated)
        groups = self._write_groups(spool)
        group = next(groups, None)
        while group is not None:
            end, rows = group
            self.writing_row = rows[-1][1].row
            held = self._write_batch(end, [row for _, row in rows])
            self.written = end
            self.between_batches()
            pause_until = time.monotonic() + (
                max(SQLITE_PAUSE_SECONDS, SQLITE_PAUSE_SHARE * held)
                if connection.vendor == "sqlite"
                else 0.0
            )
            # The next group is read back from the spool while the lock is left to others.
            group = next(groups, None)
            if group is not None:
                time.sleep(max(0.0, pause_until - time.monotonic()))
        self.written = self.validated
        result.saved = True
        with transaction.atomic():
            self.importer.still_claimed()
            _audit(result, self.importer.county, self.importer.acting_user, self.file_name)
        self.show()

    def _write_groups(self, spool: Spool) -> Iterator[tuple[int, list[tuple[int, Any]]]]:
        """The spooled batches, joined until each holds write_batch_size rows (the last one
        fewer); `end` is the last joined batch's."""
        group: list[tuple[int, Any]] = []
        end = 0
        for end, rows in spool:
            group.extend(rows)
            if self.write_batch_size is None or len(group) >= self.write_batch_size:
                yield end, group
                group = []
        if group:
            yield end, group

    def _write_batch(self, end: int, rows: list[Any]) -> float:
        """One batch's transaction: the job's claim, the rows checked again against what the
        database holds now and written (a savepoint), the checkpoint (on_batch). A row that no
        longer fits (another user registered or moved someone meanwhile) is a conflict: in mode
        "good" it is reported and skipped, in mode "all" the batch is rolled back and the
        import stops (run it again: the committed batches are not written twice)."""
        importer, result = self.importer, self.result
        before = result.write_counts()
        started = time.monotonic()
        try:
            with transaction.atomic():
                importer.still_claimed()
                conflicts: list[int] = []
                try:
                    with transaction.atomic():
                        accepted, found = importer.check_database(rows, answering=False)
                        conflicts = [row for row, _ in importer.failures]
                        importer.failures = []
                        if conflicts and result.mode == ImportMode.ALL:
                            raise Refused(_conflict_stop(conflicts), status=409)
                        if accepted:
                            importer.write(accepted, found)
                except IntegrityError:
                    if result.mode == ImportMode.ALL:
                        raise
                    # A concurrent change collided with this batch: its writes were rolled back
                    # as a whole.
                    result.set_write_counts(before)
                    conflicts = [r.row for r in rows]
                for row in conflicts:
                    importer.fail(row, [("", CONFLICT_MESSAGE)])
                importer.flush()
                if self.on_batch is not None:
                    self.on_batch(end, result.counts())
        except BaseException:
            # Rolled back: the counts say what is committed.
            result.set_write_counts(before)
            importer.failures = []
            raise
        seconds = time.monotonic() - started
        result.longest_batch_seconds = max(result.longest_batch_seconds, seconds)
        return seconds

    # -- a stop ------------------------------------------------------------------------------

    def stop(self, exc: BaseException) -> int:
        """Leave the audit row of an import that did not reach its end (what its committed
        batches saved) and return the status to answer with."""
        result, importer = self.result, self.importer
        importer.flush()
        status = exc.status if isinstance(exc, Refused) else 500
        if isinstance(exc, IntegrityError):
            reason, status = "保存时与同时进行的其他修改冲突，请重新导入", 409
        elif isinstance(exc, Refused):
            reason = exc.message
        elif exc is self.interruption:
            reason = f"导入已中止（{exc.__class__.__name__}）"
        else:
            logger.error("import of %s stopped", self.file_name or "rows", exc_info=exc)
            reason = f"导入出错（{exc.__class__.__name__}），请联系系统管理员查看日志"
        where = (
            f"保存到第{self.writing_row}行时停止"
            if self.writing
            else f"读到第{self.rows.last if self.pulled_to is None else self.pulled_to}行时停止"
        )
        result.stopped = f"{reason}（{where}）"
        result.saved = result.wrote_anything
        result.errors.sort(key=lambda e: e.row)
        with transaction.atomic():
            importer.still_claimed()
            _audit(result, importer.county, importer.acting_user, self.file_name)
        return status


def _conflict_stop(rows: list[int]) -> str:
    shown = "、".join(f"第{row}行" for row in rows[:5])
    more = f"等 {len(rows)} 行" if len(rows) > 5 else ""
    return f"{shown}{more}保存时与同时进行的其他修改冲突（检查之后有人登记或修改了相关的户或居民）"


# SQLite's default page cache is 2 MB; a county's resident table has indexes on random keys
# (the ID-number and phone hashes) of some 50 MB each, and with the small cache every insert
# evicts and rereads pages. 64 MB for the length of an import halves the insert time at 670,000
# rows (bench/README.md); the connection gets its usual cache back afterwards.
SQLITE_IMPORT_CACHE_KIB = 65536


@contextmanager
def _import_cache() -> Iterator[None]:
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def _audit(result: ImportResult, county: County, acting_user: Any, file_name: str) -> None:
    stopped = (result.stopped, result.saved) if result.stopped else None
    record_import(
        result.kind,
        result.counts(),
        county_id=county.pk,
        acting_user=acting_user,
        file_name=file_name,
        stopped=stopped,
    )


def record_import(
    kind: str,
    counts: dict[str, int],
    *,
    county_id: int,
    acting_user: Any,
    file_name: str,
    stopped: tuple[str, bool] | None = None,
) -> None:
    """The audit row of one import: what it counted and, for one that stopped before the end of
    its file, why and whether it saved anything (also written by the stall sweep)."""
    changes: dict[str, Any] = {key: [None, value] for key, value in counts.items()}
    if stopped is not None:
        changes["stopped"] = [None, stopped[0]]
        changes["saved"] = [None, stopped[1]]
    record(
        actor=acting_user,
        action=AUDIT_ACTIONS[DataKind(kind)],
        county_id=county_id,
        target_type="people.enterprise" if kind == DataKind.ENTERPRISES else "people.household",
        target_label=file_name or "（程序生成的数据）",
        changes=changes,
    )
