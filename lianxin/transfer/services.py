"""Starting and running import/export jobs. A job runs in a worker thread of the web process
(inline when settings.LIANXIN_JOBS_INLINE is set), reports progress through a small file, and
leaves its counts, its bad rows and its files on the Job row."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from time import monotonic
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from lianxin.audit.services import record
from lianxin.core.background import start_after_commit
from lianxin.core.context import acting_from
from lianxin.core.errors import Refused
from lianxin.core.tabular import (
    SUPPORTED,
    count_data_rows,
    figure,
    iter_rows,
    rows_limit_message,
    size_text,
)
from lianxin.geo.choices import Level
from lianxin.geo.models import County, Region
from lianxin.lib.masking import scrub
from lianxin.people.choices import HardshipKind

from . import layouts as L
from .choices import DataKind, FileFormat, ImportMode, JobKind, JobStatus
from .exporters import ExportFilters, check_full_export, export_people
from .import_result import ERRORS_SHOWN, ImportResult, wrote_anything
from .importers import Abandoned, ImportStopped, import_people, record_import
from .models import ImportLimits, Job

logger = logging.getLogger(__name__)


def _suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED:
        raise Refused(
            f"不支持的文件类型“{suffix or name}”，请上传 .xlsx 或 .csv 文件", field="file"
        )
    return suffix


def do_start_import(*, acting_user: Any, upload: UploadedFile, data_kind: str, mode: str) -> Job:
    """Keep the uploaded file and start importing it; the job page follows its progress."""
    if not acting_user.writes_registry:
        raise Refused("您没有导入户籍和企业数据的权限", status=403)
    if data_kind not in DataKind.values:
        raise Refused(f"无法识别的导入数据类型“{data_kind}”", field="data_kind")
    if mode not in ImportMode.values:
        raise Refused(f"无法识别的导入方式“{mode}”", field="mode")
    # The name is kept on the job and in the audit row: a number typed into it is masked.
    file_name = scrub(Path(upload.name or "").name)[:200]
    suffix = _suffix(file_name)
    if not upload.size:
        raise Refused("上传的文件是空的", field="file")
    limits = ImportLimits.for_county(acting_user.county_id)
    check_upload_size(upload.size, limits)
    job = Job(
        county_id=acting_user.county_id,
        kind=JobKind.IMPORT,
        data_kind=data_kind,
        mode=mode,
        file_name=file_name,
        created_by=acting_user,
    )
    # Stored under a generated name: the office's file name is only shown, never used as a path.
    job.source.save(f"{uuid.uuid4().hex}{suffix}", upload, save=False)
    try:
        with job.source.open("rb") as stream:
            # Refused here when the zip's directory already says the file is past a limit.
            job.rows_total = count_data_rows(stream, file_name, limits.read_limits())
        check_row_count(job.rows_total, limits)
    except Refused:
        job.source.delete(save=False)
        raise
    job.save()
    start_job(job)
    return job


def check_upload_size(size: int | None, limits: ImportLimits) -> None:
    """Refuse an upload past the county's size limit (size None: the page stopped receiving
    it at the limit, so its full size is unknown)."""
    if size is None or size > limits.upload_bytes:
        actual = f"（本文件 {size_text(size)}）" if size is not None else ""
        raise Refused(
            f"文件超过每个文件最多 {size_text(limits.upload_bytes)} 的限制{actual}，"
            "请分成几个文件导入",
            field="file",
            status=413,
        )


def check_row_count(rows: int | None, limits: ImportLimits) -> None:
    """Refuse up front when the file says it has too many rows (the reader still counts)."""
    if rows is not None and rows > limits.rows:
        raise Refused(rows_limit_message(limits.rows), field="file", status=413)


def do_set_import_limits(
    *, county: County, acting_user: Any, reason: str = "", **values: int
) -> ImportLimits:
    """Change what one import may do in the county (ImportLimits.FIELDS); audited.

    The system administrator sets them on the page; the operator (acting_user None) from the
    command line, e.g. to raise the rows per file for a whole-county import."""
    if acting_user is not None and (
        not acting_user.manages_accounts or acting_user.county_id != county.pk
    ):
        raise Refused("只有本县的系统管理员可以修改导入限制", status=403)
    unknown = set(values) - set(ImportLimits.FIELDS)
    if unknown:
        raise Refused(f"无法识别的导入限制：{'、'.join(sorted(unknown))}", field="limits")
    for name, value in values.items():
        label, smallest = ImportLimits.FIELDS[name]
        if not isinstance(value, int) or value < smallest:
            raise Refused(f"{label}不能小于 {figure(smallest)}", field=name)
    with transaction.atomic():
        limits, _ = ImportLimits.objects.select_for_update().get_or_create(county=county)
        changes = {
            name: [getattr(limits, name), value]
            for name, value in values.items()
            if getattr(limits, name) != value
        }
        if not changes:
            return limits
        for name, value in values.items():
            setattr(limits, name, value)
        limits.save()
        record(
            actor=acting_user,
            action="修改导入限制",
            target=limits,
            county_id=county.pk,
            target_label=f"{county.name}导入限制",
            changes=changes,
            reason=reason,
        )
        return limits


def do_start_export(
    *,
    acting_user: Any,
    data_kind: str,
    file_format: str,
    township: Region | None = None,
    village: Region | None = None,
    hardship: str = "",
    full: bool = False,
    reason: str = "",
) -> Job:
    """Start writing the user's rows (their scope, the list filters) to a file only they can
    download. Full ID numbers and phones need the reveal permission and a reason."""
    if not acting_user.sees_people:
        raise Refused("您没有查看户籍和企业数据的权限", status=403)
    if data_kind not in DataKind.values:
        raise Refused(f"无法识别的导出数据类型“{data_kind}”", field="data_kind")
    if file_format not in FileFormat.values:
        raise Refused("请选择 .xlsx 或 .csv 格式", field="file_format")
    if hardship and hardship not in HardshipKind.values:
        raise Refused(f"无法识别的困难类型“{hardship}”", field="hardship")
    if village is not None and township is not None and village.parent_id != township.pk:
        raise Refused(f"“{village.short_name}”不属于“{township.short_name}”", field="village")
    full = full and data_kind == DataKind.RESIDENTS
    if full:
        reason = check_full_export(acting_user, reason)
    label = L.LAYOUTS[data_kind].label
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    job = Job.objects.create(
        county_id=acting_user.county_id,
        kind=JobKind.EXPORT,
        data_kind=data_kind,
        file_name=f"{label}{'（完整信息）' if full else ''}-{stamp}.{file_format}",
        created_by=acting_user,
        params={
            "township": township.pk if township else None,
            "village": village.pk if village else None,
            "hardship": hardship,
            "full": full,
            "reason": reason if full else "",
        },
    )
    start_job(job)
    return job


def start_job(job: Job) -> None:
    """Run the job inline (tests) or in a worker thread once the Job row is committed."""
    start_after_commit(run_job, job.pk, name="transfer-job")
    if settings.LIANXIN_JOBS_INLINE:
        job.refresh_from_db()


class _ProgressFile:
    """Counts rows done and writes the figure to the job's progress file, at most twice a
    second (an all-or-nothing import keeps its transaction open, so the database cannot carry
    the figure to the page until the end)."""

    def __init__(self, job: Job):
        self.path = job.progress_file()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.done = 0
        self._written_at = 0.0
        self._write()

    def __call__(self, rows: int) -> None:
        self.done += rows
        if monotonic() - self._written_at >= 0.5:
            self._write()

    def _write(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(str(self.done), encoding="ascii")
        os.replace(tmp, self.path)
        self._written_at = monotonic()

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def run_job(job_id: int, *, source: str = "") -> None:
    """Run one queued job to its end: done with its counts, or failed with a Chinese message."""
    job = Job.objects.select_related("county", "created_by").get(pk=job_id)
    if job.status != JobStatus.QUEUED:
        return
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, updated_at=timezone.now())
    job.status = JobStatus.RUNNING
    progress = _ProgressFile(job)
    with acting_from(source) if source else nullcontext():
        try:
            if job.kind == JobKind.IMPORT:
                _run_import(job, progress)
            else:
                _run_export(job, progress)
        except Refused as exc:
            _fail(job, exc.message)
        except Exception as exc:
            logger.exception("transfer job %s failed", job.pk)
            _fail(job, f"任务出错（{exc.__class__.__name__}），请联系系统管理员查看日志")
        finally:
            progress.remove()
            if job.kind == JobKind.IMPORT and job.source:
                # The upload holds full ID numbers: keep it no longer than the import.
                job.source.delete(save=False)
                Job.objects.filter(pk=job.pk).update(source="")


def _fail(job: Job, message: str) -> None:
    if job.kind == JobKind.EXPORT and job.result:
        job.result.delete(save=False)
    job.status = JobStatus.FAILED
    job.message = message
    job.finished_at = timezone.now()
    with transaction.atomic():
        # A job the stall sweep already failed keeps its message (and its audit row's story).
        if _still_running(job):
            job.save(update_fields=["status", "message", "finished_at", "result", "updated_at"])


def _run_import(job: Job, progress: Callable[[int], Any]) -> None:
    limits = ImportLimits.for_county(job.county_id)
    # Bad rows stream into the report as they are found; attached to the job when it ends.
    report = _report_name(job)
    shown = 0

    def show(done: int, total: int | None) -> None:
        # The page shows rows of the file: both passes (validation, then the writes) on them.
        nonlocal shown
        rows = job.rows_total
        figure = done * rows // total if rows and total else done // 2
        progress(figure - shown)
        shown = figure

    try:
        with job.source.open("rb") as stream:
            result = import_people(
                iter_rows(stream, job.file_name, limits.read_limits()),
                county=job.county,
                kind=job.data_kind,
                mode=job.mode,
                acting_user=job.created_by,
                progress=show,
                file_name=job.file_name,
                errors_kept=limits.errors_kept,
                errors_shown=ERRORS_SHOWN,
                report=Path(settings.MEDIA_ROOT) / report,
                rows_total=job.rows_total,
                on_batch=lambda rows_written, counts: _save_running_counts(job, counts),
                claim=lambda: _still_running(job),
            )
    except Abandoned:
        # The stall sweep failed the job and wrote its audit row; nothing of this run committed
        # after that, and its report is not the job's.
        (Path(settings.MEDIA_ROOT) / report).unlink(missing_ok=True)
        logger.warning("transfer job %s was given up by the stall sweep", job.pk)
        return
    except ImportStopped as exc:
        # Stopped part-way (a limit, a conflict, a crash): the job shows what was saved.
        _finish_import(job, exc.result, JobStatus.FAILED, exc.message, report)
        return
    _finish_import(job, result, JobStatus.DONE, _import_message(result), report)


def _report_name(job: Job) -> str:
    return f"transfer/reports/job-{job.pk}-errors.csv"


def _save_running_counts(job: Job, counts: dict[str, int]) -> None:
    """Called inside each committed batch's transaction: a process killed later leaves a job
    whose counts say what was saved, for the stall sweep's audit row."""
    Job.objects.filter(pk=job.pk).update(
        counts=counts, saved=wrote_anything(counts), updated_at=timezone.now()
    )


def _still_running(job: Job) -> bool:
    """Lock the job row until the caller's transaction ends and say whether it still runs:
    the stall sweep takes the same lock, so it cannot fail the job while the import commits,
    and an import it has failed does not commit afterwards."""
    return Job.objects.select_for_update().filter(pk=job.pk, status=JobStatus.RUNNING).exists()


def _finish_import(job: Job, result: ImportResult, status: str, message: str, report: str) -> None:
    with transaction.atomic():
        # Never over a status the stall sweep set: its message and audit row stand.
        if not _still_running(job):
            (Path(settings.MEDIA_ROOT) / report).unlink(missing_ok=True)
            return
        _save_finished(job, result, status, message)
    if result.bad_rows:
        job.report.name = report
        job.save(update_fields=["report", "updated_at"])


def _save_finished(job: Job, result: ImportResult, status: str, message: str) -> None:
    job.counts = result.counts()
    job.errors = [[e.row, e.column, e.reason] for e in result.errors[:ERRORS_SHOWN]]
    job.error_total = result.error_total
    job.saved = result.saved
    job.rows_done = job.rows_total = result.rows_read
    job.message = message
    job.status = status
    job.finished_at = timezone.now()
    # The counts are on the row before the report is attached: a job that saved something
    # never shows empty counts, whatever happens to the report.
    job.save()


def _import_message(result: ImportResult) -> str:
    parts = []
    if not result.bad_rows:
        parts.append("全部行已导入")
    elif result.saved:
        parts.append(f"{result.bad_rows} 行有错误未导入，其余行已保存")
    else:
        parts.append(
            f"发现 {result.bad_rows} 行错误，按“全部正确才保存”方式本次未保存任何数据；"
            "请改正后重新导入"
        )
    if result.bad_rows_not_listed:
        parts.append(
            f"错误报告只列出前 {figure(result.errors_kept or 0)} 行错误（本县的导入限制），"
            f"另有 {figure(result.bad_rows_not_listed)} 行错误未列出"
        )
    if result.ignored_columns:
        parts.append("未识别的列已忽略：" + "、".join(result.ignored_columns))
    return "。".join(parts)


def _run_export(job: Job, progress: _ProgressFile) -> None:
    user = job.created_by
    params = job.params
    regions = Region.objects.visible_to(user).in_bulk(
        [pk for pk in (params.get("township"), params.get("village")) if pk]
    )
    filters = ExportFilters(
        township=regions.get(params.get("township")),
        village=regions.get(params.get("village")),
        hardship=params.get("hardship") or "",
    )
    suffix = Path(job.file_name).suffix
    name = f"transfer/exports/job-{job.pk}-{uuid.uuid4().hex}{suffix}"
    path = Path(settings.MEDIA_ROOT) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    job.result.name = name
    rows = export_people(
        str(path),
        job.file_name,
        county=job.county,
        kind=job.data_kind,
        user=user,
        filters=filters,
        full=bool(params.get("full")),
        reason=params.get("reason", ""),
        progress=progress,
    )
    # Owner-only even under a process umask other than the app's (lianxin.core.apps).
    path.chmod(0o600)
    job.counts = {"rows_written": rows}
    job.rows_done = job.rows_total = rows
    job.saved = True
    job.message = "已导出完整身份证号和电话" if params.get("full") else "身份证号和电话已脱敏"
    job.status = JobStatus.DONE
    job.finished_at = timezone.now()
    job.save()


STALLED_REASON = "任务中断：服务重启或进程退出"
STALLED_MESSAGE = (
    "任务中断：服务重启或进程退出，任务没有完成。中断前已保存的批次见统计；"
    "请重新提交同一文件，会补全其余的行，已保存的行不会重复登记"
)


def do_fail_stalled_jobs(*, acting_user: Any) -> int:
    """Mark the user's jobs that died with their web process (no progress for STALL_AFTER) as
    failed, so the page stops waiting for them. Returns how many were marked.

    A stalled import leaves the audit row its process could not write: what its committed
    batches saved (the running counts each batch stored on the job), like any stopped import."""
    waiting = Job.objects.visible_to(acting_user).filter(
        status__in=(JobStatus.QUEUED, JobStatus.RUNNING)
    )
    marked = 0
    for pk in [job.pk for job in waiting if job.stalled]:
        with transaction.atomic():
            # Locked and looked at again: two pages open at once may both sweep this job.
            job = (
                Job.objects.select_for_update()
                .filter(pk=pk, status__in=(JobStatus.QUEUED, JobStatus.RUNNING))
                .first()
            )
            if job is None or not job.stalled:
                continue
            job.status = JobStatus.FAILED
            job.message = STALLED_MESSAGE
            job.finished_at = timezone.now()
            job.save(update_fields=["status", "message", "finished_at", "updated_at"])
            marked += 1
            if job.kind != JobKind.IMPORT:
                continue
            # The row a stopped import writes, under the importer's name (a job is its
            # creator's alone, so that is also who swept it).
            record_import(
                job.data_kind,
                job.counts,
                county_id=job.county_id,
                acting_user=job.created_by,
                file_name=job.file_name,
                stopped=(STALLED_REASON, job.saved),
            )
    return marked


def township_and_village_choices(user: Any):
    """Current townships and villages the user may filter an export by."""
    regions = Region.objects.visible_to(user).current().select_related("parent")
    return (
        regions.filter(level=Level.TOWNSHIP).order_by("code", "id"),
        regions.filter(level=Level.VILLAGE).order_by("parent__code", "parent_id", "code", "id"),
    )
