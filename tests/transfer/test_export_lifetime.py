"""Export files are the owner's alone (0600); a full export is deleted right after its first
complete download or LIANXIN_EXPORT_TTL_MINUTES after it was written, by an idempotent
`lianxin purge-exports`; the pages then say plainly that the file is gone."""

from __future__ import annotations

import datetime as dt
import io
import os
import stat
from contextlib import contextmanager
from pathlib import Path

from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from lianxin.audit.models import AuditEntry
from lianxin.transfer.models import Job


def _export(client, *, full: bool) -> Job:
    data = {"data_kind": "residents", "file_format": "csv"}
    if full:
        data |= {"full": "on", "reason": "民政局核对"}
    response = client.post(reverse("transfer:export"), data)
    assert response.status_code == 302
    return Job.objects.order_by("-pk").first()


def _mode(path: str | Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@contextmanager
def _umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def _purge() -> str:
    out = io.StringIO()
    call_command("purge_exports", stdout=out)
    return out.getvalue()


def _age(job: Job, **delta) -> None:
    Job.objects.filter(pk=job.pk).update(finished_at=timezone.now() - dt.timedelta(**delta))


def test_it_writes_export_files_owner_only(world, login, inline_jobs):
    client = login(world.township_staff)
    full = _export(client, full=True)
    assert _mode(full.result.path) == 0o600
    assert _mode(Path(full.result.path).parent) & 0o077 == 0
    # Even when something else set a permissive umask on the process (a daemonising server).
    with _umask(0o022):
        masked = _export(client, full=False)
    assert _mode(masked.result.path) == 0o600


def test_it_deletes_a_full_export_after_its_first_complete_download(world, login, inline_jobs):
    client = login(world.township_staff)
    job = _export(client, full=True)
    path = Path(job.result.path)
    url = reverse("transfer:job_download", args=[job.pk])
    # A download cut short (the stream opened, nothing read to the end) keeps the file.
    partial = client.get(url)
    next(iter(partial.streaming_content))
    assert path.exists()
    body = b"".join(client.get(url).streaming_content)
    assert body.decode("utf-8-sig").count("\n") > 3  # the whole file was sent
    assert not path.exists()
    job.refresh_from_db()
    assert not job.result
    assert AuditEntry.objects.filter(action="删除导出文件", reason="下载后已删除").count() == 1
    gone = client.get(url)
    assert gone.status_code == 410
    assert "下载后已删除，无法再下载" in gone.content.decode()
    page = client.get(reverse("transfer:job_detail", args=[job.pk])).content.decode()
    assert "下载后已删除，无法再下载" in page and url not in page
    # A masked export stays for its days: it holds nothing a page does not show.
    masked = _export(client, full=False)
    b"".join(client.get(reverse("transfer:job_download", args=[masked.pk])).streaming_content)
    assert Path(masked.result.path).exists()


def test_it_purges_full_exports_after_the_ttl_and_the_rest_after_days(world, login, inline_jobs):
    assert inline_jobs.LIANXIN_EXPORT_TTL_MINUTES == 60
    client = login(world.township_staff)
    fresh, old_full, masked, old_masked = (
        _export(client, full=True),
        _export(client, full=True),
        _export(client, full=False),
        _export(client, full=False),
    )
    _age(fresh, minutes=50)
    _age(old_full, minutes=61)
    _age(masked, hours=2)
    _age(old_masked, days=8)
    assert "已删除 2 个文件" in _purge()
    assert "已删除 0 个文件" in _purge()  # idempotent
    kept = {
        job.pk: bool(Job.objects.get(pk=job.pk).result)
        for job in (fresh, old_full, masked, old_masked)
    }
    assert kept == {fresh.pk: True, old_full.pk: False, masked.pk: True, old_masked.pk: False}
    assert not Path(old_full.result.path).exists()
    page = client.get(reverse("transfer:job_detail", args=[old_full.pk])).content.decode()
    assert "超过保留时间已删除，无法再下载" in page
    inline_jobs.LIANXIN_EXPORT_TTL_MINUTES = 30
    assert "已删除 1 个文件" in _purge()


def test_a_full_export_past_its_ttl_is_not_served_even_without_the_purge(world, login, inline_jobs):
    client = login(world.township_staff)
    job = _export(client, full=True)
    path = Path(job.result.path)
    _age(job, minutes=61)

    response = client.get(reverse("transfer:job_download", args=[job.pk]))

    assert response.status_code == 410
    assert "超过保留时间已删除，无法再下载" in response.content.decode()
    assert not path.exists()
    job.refresh_from_db()
    assert not job.result
    entry = AuditEntry.objects.get(action="删除导出文件")
    assert entry.reason == "超过保留时间已删除" and entry.actor == world.township_staff
    # Within its TTL a full export downloads as before.
    fresh = _export(client, full=True)
    _age(fresh, minutes=50)
    assert client.get(reverse("transfer:job_download", args=[fresh.pk])).status_code == 200


def test_purging_error_reports_leaves_an_audit_row(world, login, inline_jobs):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.transfer.files import RESIDENT_HEADER, csv_bytes, resident

    client = login(world.township_staff)
    for name in ("甲.csv", "乙.csv"):
        bad = [resident("51018411000009001", "错一", "51018419700101001")]
        data = {"file": SimpleUploadedFile(name, csv_bytes(RESIDENT_HEADER, bad))}
        client.post(reverse("transfer:import"), {**data, "data_kind": "residents", "mode": "good"})
    jobs = list(Job.objects.filter(kind="import").order_by("pk"))
    assert len(jobs) == 2 and all(job.report for job in jobs)
    paths = [Path(job.report.path) for job in jobs]
    for job in jobs:
        _age(job, days=8)

    assert "已删除 2 个文件" in _purge()
    assert not any(path.exists() for path in paths)
    entry = AuditEntry.objects.get(action="删除导入错误报告")
    assert entry.changes == {"reports": [2, 0]} and entry.reason == "超过保留时间已删除"
    assert "已删除 0 个文件" in _purge()
    assert AuditEntry.objects.filter(action="删除导入错误报告").count() == 1
