"""Where a print's PDF lives and for how long. The job worker writes it under MEDIA_ROOT (the
directory every app server shares), owner-only, under a generated name that starts with the
job's id; a print that does not finish leaves no file; a finished one holds names, addresses
and phones, so it is deleted LIANXIN_TRANSFER_KEEP_DAYS after it was made, like a masked export.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from lianxin.audit.services import record
from lianxin.core.access import check_console
from lianxin.jobs.choices import ACTIVE, JobKind, JobStatus
from lianxin.jobs.models import Job

FOLDER = "cards"
# The only names a print's file may have: a path from the job's result never leaves the folder.
_NAME = re.compile(rf"^{FOLDER}/job-(\d+)-[0-9a-f]{{32}}\.pdf$")
EXPIRED = "超过保留时间已删除"


def folder() -> Path:
    return Path(settings.MEDIA_ROOT) / FOLDER


def path_of(name: str) -> Path | None:
    """The file a job's result names, or None for a name that is not a print's."""
    if not _NAME.match(name or ""):
        return None
    return Path(settings.MEDIA_ROOT) / name


def create(job_id: int) -> tuple[str, IO[bytes]]:
    """A new, empty file for the job's PDF (owner-only whatever the umask) and its name."""
    folder().mkdir(mode=0o700, parents=True, exist_ok=True)
    name = f"{FOLDER}/job-{job_id}-{uuid.uuid4().hex}.pdf"
    path = Path(settings.MEDIA_ROOT) / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(fd, 0o600)
    return name, os.fdopen(fd, "wb")


def remove_job_files(job_id: int) -> int:
    """Delete whatever the job wrote (a half-written PDF of a failed or cancelled print);
    returns how many files. Found by name, so a job the sweep ends is cleaned up too."""
    removed = 0
    for path in folder().glob(f"job-{job_id}-*.pdf"):
        path.unlink(missing_ok=True)
        removed += 1
    return removed


def removed_message(job: Job) -> str:
    """What the print's page says once its file is gone, or ""."""
    removed = job.result.get("removed_at")
    if not removed:
        return ""
    at = timezone.localtime(dt.datetime.fromisoformat(removed))
    return f"PDF 已于 {at:%Y-%m-%d %H:%M} 超过保留时间删除，如还需要，请重新打印。"


def do_purge_print_files(
    *, acting_user: Any = None, now: dt.datetime | None = None, keep_days: int | None = None
) -> int:
    """Delete the PDFs of prints finished more than LIANXIN_TRANSFER_KEEP_DAYS ago, and any
    stray file in the folder as old; one audit row per county with the count. Returns how many
    files went. Idempotent: a second run finds nothing to do."""
    check_console(acting_user, "只有服务器的定时任务可以清理连心卡 PDF")
    now = now or timezone.now()
    days = settings.LIANXIN_TRANSFER_KEEP_DAYS if keep_days is None else keep_days
    before = now - dt.timedelta(days=days)
    removed = 0
    with transaction.atomic():
        # Locked: two purges at once (two workers) must not both count and audit one file.
        jobs = list(
            Job.objects.select_for_update()
            .filter(kind=JobKind.CARDS, status=JobStatus.DONE, finished_at__lt=before)
            .exclude(result__has_key="removed_at")
            .only("pk", "county_id", "result")
        )
        by_county: dict[int, int] = {}
        for job in jobs:
            path = path_of(job.result.get("file", ""))
            if path is not None:
                path.unlink(missing_ok=True)
            job.result = {**job.result, "file": "", "removed_at": now.isoformat()}
            job.save(update_fields=["result"])
            by_county[job.county_id] = by_county.get(job.county_id, 0) + 1
        for county_id, count in sorted(by_county.items()):
            record(
                actor=acting_user,
                action="删除连心卡 PDF",
                county_id=county_id,
                target_type="jobs.job",
                target_label="连心卡 PDF",
                changes={"files": [count, 0]},
                reason=EXPIRED,
            )
            removed += count
    return removed + _purge_strays(before)


def _purge_strays(before: dt.datetime) -> int:
    """Files no finished print keeps (left by a server that lost its worker and its database
    write at once), once as old as the kept ones."""
    if not folder().is_dir():
        return 0
    kept = set(
        Job.objects.filter(kind=JobKind.CARDS, status=JobStatus.DONE)
        .exclude(result__has_key="removed_at")
        .values_list("result__file", flat=True)
    )
    active = set(
        Job.objects.filter(kind=JobKind.CARDS, status__in=ACTIVE).values_list("pk", flat=True)
    )
    removed = 0
    for path in folder().glob("job-*.pdf"):
        name = f"{FOLDER}/{path.name}"
        match = _NAME.match(name)
        if name in kept or (match and int(match.group(1)) in active):
            continue
        if dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC) < before:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
