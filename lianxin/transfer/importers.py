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
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

from django.db import IntegrityError, connection, transaction

from lianxin.audit.services import record
from lianxin.core.errors import Refused
from lianxin.core.tabular import Header
from lianxin.geo.models import County
from lianxin.people import disclosure

from . import layouts as L
from .choices import DataKind, ImportMode
from .enterprise_importer import EnterpriseImporter
from .import_result import ImportResult
from .resident_importer import ResidentImporter
from .row_importer import Abandoned, RowImporter

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000
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
    progress: Callable[[int], Any] | None = None,
    file_name: str = "",
    batch_size: int = BATCH_SIZE,
    errors_kept: int | None = None,
    on_batch: Callable[[ImportResult], Any] | None = None,
    claim: Callable[[], bool] | None = None,
) -> ImportResult:
    """Import households/residents or enterprises from rows (header first), as
    `lianxin.core.tabular.iter_rows` yields them. Mode "all" saves nothing when any row is bad;
    mode "good" saves the good rows batch by batch. The first `errors_kept` bad rows (all when
    None) are in `errors` with their reasons, the rest only counted. In mode "good",
    `on_batch(result)` runs inside each batch's transaction, so what it saves (the job's
    running counts) commits with the batch.

    An import that stops before the end of its file (the reader refusing it past a limit, a
    conflict, any exception) raises ImportStopped after writing an audit row with what it
    saved: nothing in mode "all", the batches written before the stop in mode "good".

    `claim()` runs in each transaction that commits the import's work, before its audit rows,
    and says whether the job still owns the import (the job row locked, still running): when
    it does not, the transaction is rolled back and Abandoned raised, with no audit row of its
    own (the stall sweep wrote the job's). While it waits for the account's answer budget, the
    import calls `progress(0)` so the job shows it is alive."""
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
    layout = L.LAYOUTS[kind]
    header = Header(header_cells, layout.required, layout.titles)
    result = ImportResult(
        kind=kind, mode=mode, ignored_columns=header.unknown, errors_kept=errors_kept
    )
    importer = IMPORTERS[kind](county=county, header=header, acting_user=acting_user, result=result)
    importer.claim = claim
    if progress is not None:
        importer.heartbeat = lambda: progress(0)
    tracked = _Tracked(rows)
    label = file_name or "（程序生成的数据）"
    try:
        with _import_cache():
            if mode == ImportMode.ALL:
                _import_all(importer, tracked, batch_size, progress, file_name)
            else:
                _import_good(importer, tracked, batch_size, progress, file_name, on_batch)
    except Abandoned:
        # Its refusals were never shown: the job page shows the sweep's message.
        result.over_limit = 0
        raise
    except Exception as exc:
        _stop(importer, tracked, exc, file_name)
    finally:
        # One row per import, whether it saved, stopped or rolled back: the refusals were shown.
        with transaction.atomic():
            disclosure.record_limit_refusals(acting_user, refused=result.over_limit, label=label)
    result.errors.sort(key=lambda e: e.row)
    return result


def _stop(importer: RowImporter, tracked: _Tracked, exc: Exception, file_name: str) -> NoReturn:
    """Leave the audit row of an import that did not reach the end of its file, then raise
    ImportStopped. Mode "all" rolled everything back; mode "good" keeps its written batches
    (their counts are added only once a batch's transaction has committed)."""
    result = importer.result
    status = exc.status if isinstance(exc, Refused) else 500
    if isinstance(exc, IntegrityError):
        reason, status = "保存时与同时进行的其他修改冲突，请重新导入", 409
    elif isinstance(exc, Refused):
        reason = exc.message
    else:
        logger.error("import of %s stopped", file_name or "rows", exc_info=exc)
        reason = f"导入出错（{exc.__class__.__name__}），请联系系统管理员查看日志"
    result.stopped = f"{reason}（读到第{tracked.last}行时停止）"
    if result.mode == ImportMode.ALL:
        result._zero_writes()
        result.saved = False
    else:
        result.saved = result.wrote_anything
    result.errors.sort(key=lambda e: e.row)
    with transaction.atomic():
        importer.still_claimed()
        _audit(result, importer.county, importer.acting_user, file_name)
    raise ImportStopped(result.summary(), result, status=status) from exc


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


def _import_all(importer: RowImporter, rows, batch_size, progress, file_name) -> None:
    """One transaction; the data is a savepoint inside it, rolled back when any row is bad,
    while the audit row of the out-of-scope answers given (the budget's count, see
    people/disclosure.py) commits in the outer transaction whatever became of the data."""
    result = importer.result
    stop: Exception | None = None
    with transaction.atomic():
        importer.open_budget()
        try:
            with transaction.atomic():
                for batch in _batches(rows, batch_size):
                    # After the first bad row nothing will be kept: only validate the rest, so
                    # every bad row is still reported, without the cost of writing rows to roll
                    # back.
                    importer.process(batch, write=not result.bad_rows)
                    if progress:
                        progress(len(batch))
                # Locks the job row until the commit, so the sweep cannot fail it behind us.
                importer.still_claimed()
                if result.bad_rows:
                    transaction.set_rollback(True)
                    result._zero_writes()
                else:
                    _audit(result, importer.county, importer.acting_user, file_name)
                    result.saved = True
        except Abandoned:
            # Out of the outer block too: the answers were never shown, nothing commits.
            raise
        except Exception as exc:
            stop = exc
            result.saved = False
        importer.record_answers(file_name or "（程序生成的数据）")
    if stop is not None:
        raise stop


def _import_good(importer: RowImporter, rows, batch_size, progress, file_name, on_batch) -> None:
    """A transaction per batch, holding the batch's writes (a savepoint, so a conflict rolls
    back only them), the audit row of its out-of-scope answers and `on_batch`'s save: an import
    killed between batches leaves the counts of what it committed."""
    result = importer.result
    label = file_name or "（程序生成的数据）"
    for batch in _batches(rows, batch_size):
        importer.pending = []
        stop: Exception | None = None
        with transaction.atomic():
            importer.open_budget()
            importer.still_claimed()
            try:
                with transaction.atomic():
                    importer.process(batch, write=True)
            except IntegrityError:
                # A concurrent change collided with this batch: its writes were rolled back as
                # a whole (the counts are added only after a batch's writes succeed).
                for row in importer.pending:
                    importer.fail(
                        row, [("", "保存时与同时进行的其他修改冲突，本行未保存，请重新导入")]
                    )
            except Exception as exc:
                stop = exc
            importer.record_answers(label)
            if on_batch and stop is None:
                on_batch(result)
        if stop is not None:
            raise stop
        if progress:
            progress(len(batch))
    result.saved = True
    with transaction.atomic():
        importer.still_claimed()
        _audit(result, importer.county, importer.acting_user, file_name)
