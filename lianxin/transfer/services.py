"""Starting and running import/export jobs. The work runs in the job worker (lianxin.jobs; the
kinds are registered in transfer/jobs.py), reports progress on its job, and leaves its counts,
its bad rows and its files on the transfer Job row."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from lianxin.audit.services import record
from lianxin.core.errors import Refused
from lianxin.core.fields import check_fields
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
from lianxin.geo.pickers import choosable_regions
from lianxin.jobs import runner
from lianxin.jobs.choices import JobKind as JobsKind
from lianxin.jobs.choices import JobStatus as JobsStatus
from lianxin.jobs.models import Job as Task
from lianxin.jobs.runner import Cancelled, JobContext
from lianxin.lib.masking import scrub
from lianxin.people.choices import HardshipKind

from . import layouts as L
from .choices import COVERAGE, DataKind, FileFormat, ImportMode, JobKind, JobStatus
from .exporters import ExportFilters, check_full_export, export_people
from .import_result import ERRORS_SHOWN, ImportResult, wrote_anything
from .importers import (
    WRITE_BATCH_SIZE,
    Abandoned,
    ImportStopped,
    import_people,
    record_import,
)
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
    check_fields(Job, {"file_name": file_name}, aliases={"file_name": "file"})
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
    check_fields(ImportLimits, values)
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
    """Give the saved transfer job its job in the worker and start it once committed (inline
    when settings.LIANXIN_JOBS_INLINE is set: the tests)."""
    kind = JobsKind.IMPORT if job.kind == JobKind.IMPORT else JobsKind.EXPORT
    task = runner.create(kind, county_id=job.county_id, created_by=job.created_by)
    job.task = task
    job.save(update_fields=["task"])
    runner.start(task)
    if settings.LIANXIN_JOBS_INLINE:
        job.refresh_from_db()


class _Progress:
    """Counts rows done and hands the figure to the job (which writes it at most twice a
    second); between batches it is where a cancelled job stops."""

    def __init__(self, ctx: JobContext, total: int | None):
        self.ctx = ctx
        self.total = total
        self.done = 0

    def __call__(self, rows: int) -> None:
        self.done += rows
        self.ctx.progress(self.done, self.total)
        self.ctx.check()


def run_job(ctx: JobContext) -> None:
    """Run one transfer job to its end: done with its counts, or failed with a Chinese message
    (raised, so its job in the worker fails too; transfer/jobs.py `stopped` keeps this row's
    message)."""
    job = Job.objects.select_related("county", "created_by", "task").get(task_id=ctx.job.pk)
    if job.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
        return  # finished before its worker died (a resumed job with nothing left to do)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, updated_at=timezone.now())
    job.status = JobStatus.RUNNING
    progress = _Progress(ctx, job.rows_total)
    if job.kind == JobKind.IMPORT:
        _run_import(job, progress, ctx)
        # The upload holds full ID numbers: keep it no longer than the import.
        drop_upload(job)
        if job.status == JobStatus.FAILED:
            raise Refused(job.message)
    else:
        _run_export(job, progress, ctx)


def drop_upload(job: Job) -> None:
    if job.kind == JobKind.IMPORT and job.source:
        job.source.delete(save=False)
        Job.objects.filter(pk=job.pk).update(source="")


def _run_import(job: Job, progress: Callable[[int], Any], ctx: JobContext) -> None:
    limits = ImportLimits.for_county(job.county_id)
    # A job run again after its worker died resumes after the last batch it committed.
    checkpoint = int(ctx.job.result.get("checkpoint") or 0)
    # Bad rows stream into the report as they are found; attached to the job when it ends.
    report = _report_name(job)
    shown = 0

    def show(done: int, total: int | None) -> None:
        # The page shows rows of the file: both passes (validation, then the writes) on them.
        nonlocal shown
        if total and job.rows_total != total // 2:
            # The importer knows the data rows better than the upload's count (an export's
            # title and filters rows above its header are none).
            job.rows_total = total // 2
            Job.objects.filter(pk=job.pk).update(rows_total=job.rows_total)
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
                on_batch=lambda rows_written, counts: _save_running_counts(
                    job, counts, ctx, rows_written
                ),
                start_at=checkpoint,
                counts_at_start=job.counts if checkpoint else None,
                check=ctx.check,
                claim=lambda: _still_running(job, ctx),
                write_batch_size=WRITE_BATCH_SIZE,
            )
    except Abandoned:
        # The sweep or a cancel ended the job and wrote its audit row; nothing of this run
        # committed after that, and its report is not the job's.
        (Path(settings.MEDIA_ROOT) / report).unlink(missing_ok=True)
        logger.warning("transfer job %s was ended meanwhile; its import stopped", job.pk)
        raise Cancelled from None
    except Cancelled:
        # Cancelled between two batches: the importer wrote the audit row of what it saved.
        (Path(settings.MEDIA_ROOT) / report).unlink(missing_ok=True)
        raise
    except ImportStopped as exc:
        # Stopped part-way (a limit, a conflict, a crash): the job shows what was saved.
        _finish_import(job, exc.result, JobStatus.FAILED, exc.message, report, ctx)
        return
    _finish_import(job, result, JobStatus.DONE, _import_message(result), report, ctx)


def _report_name(job: Job) -> str:
    return f"transfer/reports/job-{job.pk}-errors.csv"


def _save_running_counts(
    job: Job,
    counts: dict[str, int],
    ctx: JobContext | None = None,
    rows_written: int | None = None,
) -> None:
    """Called inside each committed batch's transaction: a process killed later leaves a job
    whose counts say what was saved (for the sweep's audit row) and, on its job, the checkpoint
    the next worker resumes after (the rows written or found bad so far)."""
    Job.objects.filter(pk=job.pk).update(
        counts=counts, saved=wrote_anything(counts), updated_at=timezone.now()
    )
    if ctx is not None and rows_written is not None:
        ctx.job.result["checkpoint"] = rows_written
        Task.objects.filter(pk=ctx.job.pk).update(result=ctx.job.result)


def _still_running(job: Job, ctx: JobContext) -> bool:
    """Lock the job's rows until the caller's transaction ends and say whether it still runs
    here: the sweep and a cancel take the same lock, so neither can end the job while the
    import commits, and an import they have ended does not commit afterwards."""
    return ctx.still_mine() and (
        Job.objects.select_for_update().filter(pk=job.pk, status=JobStatus.RUNNING).exists()
    )


def _finish_import(
    job: Job, result: ImportResult, status: str, message: str, report: str, ctx: JobContext
) -> None:
    with transaction.atomic():
        # Never over a status the sweep or a cancel set: its message and audit row stand.
        if not _still_running(job, ctx):
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


def _run_export(job: Job, progress: _Progress, ctx: JobContext) -> None:
    if job.data_kind == COVERAGE:
        # A coverage list too long to write while its user waited (lianxin.pairing).
        from lianxin.pairing.coverage_export import run_export_job

        run_export_job(job, progress, ctx)
        return
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
    path = export_file(job)
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
    message = "已导出完整身份证号和电话" if params.get("full") else "身份证号和电话已脱敏"
    finish_export(job, ctx, path, rows, message)


def export_file(job: Job) -> Path:
    """Where an export job writes its file (under MEDIA_ROOT, a name no one can guess), set
    as the job's result."""
    name = f"transfer/exports/job-{job.pk}-{uuid.uuid4().hex}{Path(job.file_name).suffix}"
    path = Path(settings.MEDIA_ROOT) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    job.result.name = name
    return path


def finish_export(job: Job, ctx: JobContext, path: Path, rows: int, message: str) -> None:
    """An export job's file written: owner-only, its rows counted, the job done."""
    # Owner-only even under a process umask other than the app's (lianxin.core.apps).
    path.chmod(0o600)
    job.counts = {"rows_written": rows}
    job.rows_done = job.rows_total = rows
    job.saved = True
    job.message = message
    job.status = JobStatus.DONE
    job.finished_at = timezone.now()
    with ctx.finishing():
        job.save()


STALLED_REASON = "任务中断：服务重启或进程退出"
STALLED_MESSAGE = (
    "任务中断：服务重启或进程退出，任务没有完成。中断前已保存的批次见统计；"
    "请重新提交同一文件，会补全其余的行，已保存的行不会重复登记"
)


def do_cancel_transfer(job: Job, *, acting_user: Any) -> Job:
    """Cancel an import or export: a queued one at once, a running one after its current
    batch (an "all or nothing" import then saves nothing; a "good rows" one keeps the batches
    already saved). Its creator only (a job is its creator's alone)."""
    if job.created_by_id != getattr(acting_user, "pk", None):
        raise Refused("只能取消自己提交的导入导出任务", status=403)
    if job.task is None or not job.is_active:
        raise Refused(f"任务{job.get_status_display()}，无法取消", field="job", status=409)
    runner.do_cancel_job(job.task, acting_user=acting_user)
    job.refresh_from_db()
    return job


def stopped(task: Any, status: str, message: str) -> None:
    """A transfer job's work ended without finishing (failed, cancelled, its worker gone):
    the row says so, a half-written export file goes, and a stopped import leaves the audit row
    its process could not write — what its committed batches saved (the running counts each
    batch stored on the job), like any stopped import. Runs in the transaction that ends the
    job in the worker."""
    job = (
        Job.objects.select_for_update()
        .filter(task=task, status__in=(JobStatus.QUEUED, JobStatus.RUNNING))
        .first()
    )
    if job is None:
        return  # it ended on its own (its message stands)
    if job.kind == JobKind.EXPORT and job.result:
        job.result.delete(save=False)
    cancelled = status == JobsStatus.CANCELLED
    job.status = JobStatus.CANCELLED if cancelled else JobStatus.FAILED
    if cancelled:
        job.message = "已取消" + ("；取消前已保存的批次保留" if job.saved else "，未保存任何数据")
    else:
        job.message = message
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "message", "finished_at", "result", "updated_at"])
    if job.kind != JobKind.IMPORT:
        return
    drop_upload(job)
    if cancelled:
        return  # queued: nothing was read; running: the importer wrote what it saved
    record_import(
        job.data_kind,
        job.counts,
        county_id=job.county_id,
        acting_user=job.created_by,
        file_name=job.file_name,
        stopped=(
            STALLED_REASON if message == STALLED_MESSAGE else message,
            job.saved,
        ),
    )


def township_and_village_choices(user: Any):
    """Current townships and villages the user may filter an export by: those of the pickers
    (choosable_regions — for a cadre the few holding their households, not the county's)."""
    regions = choosable_regions(user)
    return regions.filter(level=Level.TOWNSHIP), regions.filter(level=Level.VILLAGE)
