"""How long transfer files live. A full export holds clear ID numbers and phones: it is deleted
right after its first complete download, and at the latest LIANXIN_EXPORT_TTL_MINUTES after it
was written; an import's uploaded file (clear values too) goes after the same time once the
import has finished. Masked exports and error reports are kept LIANXIN_TRANSFER_KEEP_DAYS.

Kept apart from services.py (which runs the jobs): this is the files' lifetime, run from the
download view and from `lianxin purge-exports`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from lianxin.audit.services import record
from lianxin.core.access import check_console, check_in_scope

from .choices import JobKind, JobStatus
from .models import Job

DOWNLOADED = "下载后已删除"
EXPIRED = "超过保留时间已删除"
CONSOLE_ONLY = "清理导出和导入文件只能在服务器上运行（lianxin purge-exports）"


def is_full_export(job: Job) -> bool:
    return job.kind == JobKind.EXPORT and bool(job.params.get("full"))


def is_expired_full_export(job: Job, now: dt.datetime | None = None) -> bool:
    """A full export past LIANXIN_EXPORT_TTL_MINUTES: the download refuses it even where the
    purge command is not scheduled."""
    if not is_full_export(job) or job.finished_at is None:
        return False
    ttl = dt.timedelta(minutes=settings.LIANXIN_EXPORT_TTL_MINUTES)
    return (now or timezone.now()) - job.finished_at > ttl


def gone_message(job: Job) -> str:
    """What the job page says once its export file is gone, or ""."""
    removed = job.params.get("file_removed")
    if not removed:
        return ""
    at = dt.datetime.fromisoformat(removed["at"])
    return (
        f"导出文件已于 {timezone.localtime(at):%Y-%m-%d %H:%M} {removed['why']}，无法再下载。"
        "如还需要，请重新导出。"
    )


def do_discard_export_file(job_id: int, *, acting_user: Any, why: str) -> bool:
    """Delete an export's file and say so on the job; False when it was already gone."""
    with transaction.atomic():
        # Locked: a finished download and the purge command may both get here for one file.
        job = Job.objects.select_for_update().get(pk=job_id)
        # A job is its creator's alone (Job.objects.visible_to); the purge command is the server.
        check_in_scope(acting_user, job)
        if not job.result:
            return False
        job.result.delete(save=False)
        job.params = {
            **job.params,
            "file_removed": {"at": timezone.now().isoformat(), "why": why},
        }
        job.save(update_fields=["result", "params", "updated_at"])
        record(
            actor=acting_user,
            action="删除导出文件",
            target=job,
            county_id=job.county_id,
            changes={"file": [job.file_name, None]},
            reason=why,
        )
    return True


def _drop_upload(job_id: int) -> bool:
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        if not job.source:
            return False
        job.source.delete(save=False)
        job.save(update_fields=["source", "updated_at"])
        record(
            actor=None,
            action="删除导入原文件",
            target=job,
            county_id=job.county_id,
            changes={"file": [job.file_name, None]},
            reason=EXPIRED,
        )
    return True


def do_purge_exports(
    *, acting_user: Any = None, now: dt.datetime | None = None, keep_days: int | None = None
) -> int:
    """Delete every transfer file past its lifetime; returns how many. Idempotent: a second run
    finds nothing to do."""
    check_console(acting_user, CONSOLE_ONLY)
    now = now or timezone.now()
    short = now - dt.timedelta(minutes=settings.LIANXIN_EXPORT_TTL_MINUTES)
    days = settings.LIANXIN_TRANSFER_KEEP_DAYS if keep_days is None else keep_days
    long = now - dt.timedelta(days=days)
    removed = 0
    exports = Job.objects.filter(kind=JobKind.EXPORT).exclude(result="")
    for job in exports.filter(finished_at__lt=short).only("pk", "kind", "params", "finished_at"):
        old = job.finished_at is not None and job.finished_at < long
        if (is_full_export(job) or old) and do_discard_export_file(
            job.pk, acting_user=acting_user, why=EXPIRED
        ):
            removed += 1
    finished = Job.objects.filter(kind=JobKind.IMPORT).exclude(
        status__in=(JobStatus.QUEUED, JobStatus.RUNNING)
    )
    for pk in (
        finished.exclude(source="").filter(finished_at__lt=short).values_list("pk", flat=True)
    ):
        removed += _drop_upload(pk)
    removed += do_purge_error_reports(acting_user=acting_user, before=long)
    return removed


def do_purge_error_reports(*, acting_user: Any, before: dt.datetime) -> int:
    """Delete the error reports of jobs finished before `before`; one audit row per run with
    the count (each report's file name is on its job). Returns how many."""
    check_console(acting_user, CONSOLE_ONLY)
    removed = 0
    with transaction.atomic():
        # Locked: two purge runs at once must not both count (and audit) one report.
        jobs = list(
            Job.objects.select_for_update()
            .exclude(report="")
            .filter(finished_at__lt=before)
            .only("pk", "county_id", "report")
        )
        by_county: dict[int, int] = {}
        for job in jobs:
            job.report.delete(save=False)
            by_county[job.county_id] = by_county.get(job.county_id, 0) + 1
        Job.objects.filter(pk__in=[job.pk for job in jobs]).update(report="")
        for county_id, count in sorted(by_county.items()):
            record(
                actor=acting_user,
                action="删除导入错误报告",
                county_id=county_id,
                target_type="transfer.job",
                target_label="导入错误报告",
                changes={"reports": [count, 0]},
                reason=EXPIRED,
            )
            removed += count
    return removed
