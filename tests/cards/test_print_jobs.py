"""A print runs in the job worker: its page follows the progress, then offers the download; it
can be cancelled; only its creator reaches it; its file is owner-only and goes after its time."""

import datetime as dt
import os
import stat
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from lianxin.audit.models import AuditEntry
from lianxin.cards import print_files
from lianxin.jobs import periodic, runner
from lianxin.jobs.choices import JobKind, JobStatus
from lianxin.jobs.models import Job
from tests.cards.support import download, pdf_bytes, print_job_id, qr_codes, reader, start_print


@pytest.fixture
def queued(settings):
    """Prints wait in the queue instead of running inside the request: the test runs each one,
    in the foreground, as the worker would."""
    settings.LIANXIN_JOBS_INLINE = False


def _files():
    return sorted(print_files.folder().glob("*.pdf")) if print_files.folder().is_dir() else []


def test_it_polls_the_print_page_then_offers_the_download(cards_world, login, queued):
    w = cards_world
    client = login(w.township_staff)
    job_id = print_job_id(start_print(client, "region", w.village.pk))
    job = Job.objects.get(pk=job_id)
    assert job.kind == JobKind.CARDS and job.status == JobStatus.QUEUED
    assert job.created_by == w.township_staff
    progress_url = reverse("cards:print_progress", args=[job_id])
    download_url = reverse("cards:print_download", args=[job_id])

    page = client.get(reverse("cards:print_job", args=[job_id])).content.decode()
    assert f'hx-get="{progress_url}" hx-trigger="every 1s"' in page
    assert "排队中" in page and "取消打印" in page and download_url not in page
    assert client.get(download_url).status_code == 404  # nothing to download yet

    assert runner.execute(job_id, foreground=True)
    partial = client.get(progress_url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in partial  # done: the polling stops
    assert download_url in partial and "共 12 张，2 页" in partial
    assert "取消打印" not in partial

    response = client.get(download_url)
    data = pdf_bytes(response)
    assert response["X-Card-Count"] == "12"
    assert len(reader(data).pages) == 2
    assert len(qr_codes(data)) == 10


def test_it_answers_the_progress_as_data(cards_world, login, queued):
    client = login(cards_world.township_staff)
    job_id = print_job_id(start_print(client, "region", cards_world.village.pk))
    url = reverse("cards:print_progress", args=[job_id])
    before = client.get(url, {"format": "json"}).json()
    assert before["status"] == "queued" and before["download"] is None
    runner.execute(job_id, foreground=True)
    after = client.get(url, {"format": "json"}).json()
    assert after["status"] == "done" and after["percent"] == 100
    assert (after["cards"], after["pages"], after["cards_done"]) == (12, 2, 12)
    assert after["download"] == reverse("cards:print_download", args=[job_id])


def test_it_writes_the_pdf_owner_only_under_the_shared_files_directory(
    cards_world, login, settings
):
    download(login(cards_world.township_staff), "household", cards_world.household.pk)
    (path,) = _files()
    assert path.parent == settings.MEDIA_ROOT / "cards"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    job = Job.objects.get(kind=JobKind.CARDS)
    assert job.result["file"] == f"cards/{path.name}" and job.result["cards"] == 1


def test_it_cancels_a_queued_print_from_its_page(cards_world, login, queued):
    w = cards_world
    client = login(w.township_staff)
    job_id = print_job_id(start_print(client, "region", w.village.pk))
    response = client.post(reverse("cards:print_cancel", args=[job_id]), follow=True)
    page = response.content.decode()
    assert "已取消打印，未生成 PDF" in page and "hx-trigger" not in page
    job = Job.objects.get(pk=job_id)
    assert job.status == JobStatus.CANCELLED and job.cancel_requested_by == w.township_staff
    assert AuditEntry.objects.filter(action="取消后台任务").count() == 1
    assert runner.execute(job_id, foreground=True) is False  # nothing draws it afterwards
    assert client.get(reverse("cards:print_download", args=[job_id])).status_code == 404
    assert _files() == []


def test_it_stops_a_running_print_before_its_next_card_and_removes_its_file(
    cards_world, login, queued
):
    w = cards_world
    client = login(w.township_staff)
    job_id = print_job_id(start_print(client, "region", w.village.pk))
    seen: list[list] = []

    def cancel_meanwhile(done, total):
        if done == 3:
            seen.append(_files())  # the PDF is being written
            client.post(reverse("cards:print_cancel", args=[job_id]))
            # The job looks for a cancel once a second.
            time.sleep(1.1)

    assert runner.execute(job_id, on_progress=cancel_meanwhile, foreground=True)
    job = Job.objects.get(pk=job_id)
    assert job.status == JobStatus.CANCELLED
    assert job.progress_done < 12 and "file" not in job.result
    assert len(seen[0]) == 1 and _files() == []
    page = client.get(reverse("cards:print_job", args=[job_id])).content.decode()
    assert "已取消" in page and reverse("cards:print_download", args=[job_id]) not in page


def test_it_fails_a_print_whose_font_went_missing_and_leaves_no_file(
    cards_world, login, queued, settings
):
    client = login(cards_world.township_staff)
    job_id = print_job_id(start_print(client, "region", cards_world.village.pk))
    settings.LIANXIN_CJK_FONT = "/nonexistent/wqy-microhei.ttc"
    runner.execute(job_id, foreground=True)
    job = Job.objects.get(pk=job_id)
    assert job.status == JobStatus.FAILED and "中文字体" in job.error
    assert _files() == []
    page = client.get(reverse("cards:print_job", args=[job_id])).content.decode()
    assert "fonts-wqy-microhei" in page


def test_it_removes_the_file_of_a_print_whose_worker_died(cards_world, login, queued, settings):
    client = login(cards_world.township_staff)
    job_id = print_job_id(start_print(client, "region", cards_world.village.pk))
    # A worker took the job, began its file, and died without a word.
    Job.objects.filter(pk=job_id).update(
        status=JobStatus.RUNNING, worker="elsewhere:1", heartbeat_at=timezone.now()
    )
    _name, out = print_files.create(job_id)
    out.close()
    later = timezone.now() + dt.timedelta(seconds=settings.LIANXIN_JOB_STALE_SECONDS + 1)
    assert runner.sweep(now=later)["failed"] == 1
    assert Job.objects.get(pk=job_id).status == JobStatus.FAILED
    assert _files() == []


@pytest.mark.parametrize("persona", ["outsider", "village_staff", "city_admin"])
def test_it_answers_404_to_anyone_but_the_printer(cards_world, login, client, persona):
    w = cards_world
    job_id = print_job_id(start_print(login(w.township_staff), "household", w.household.pk))
    other = login(getattr(w, persona))
    for name in ("print_job", "print_progress", "print_download"):
        assert other.get(reverse(f"cards:{name}", args=[job_id])).status_code == 404, name
    assert other.post(reverse("cards:print_cancel", args=[job_id])).status_code == 404
    assert Job.objects.get(pk=job_id).cancel_requested_at is None


def test_it_answers_404_for_a_job_of_another_kind(cards_world, login):
    w = cards_world
    job = runner.create(JobKind.EXPORT, county_id=w.county.pk, created_by=w.township_staff)
    client = login(w.township_staff)
    assert client.get(reverse("cards:print_job", args=[job.pk])).status_code == 404


def test_it_keeps_the_print_page_queries_flat(cards_world, login):
    w = cards_world
    client = login(w.township_staff)
    small = print_job_id(start_print(client, "household", w.household.pk))
    large = print_job_id(start_print(client, "region", w.village.pk))
    counts = []
    for job_id in (small, large):
        for name in ("print_job", "print_progress"):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse(f"cards:{name}", args=[job_id])).status_code == 200
            counts.append(len(queries))
    assert counts[:2] == counts[2:], counts
    assert max(counts) <= 6, counts


def test_it_lists_the_users_recent_prints_on_the_chooser(cards_world, login):
    w = cards_world
    job_id = print_job_id(start_print(login(w.village_staff), "household", w.household.pk))
    mine = login(w.village_staff).get(reverse("cards:print")).content.decode()
    assert reverse("cards:print_job", args=[job_id]) in mine and "（1 张）" in mine
    theirs = login(w.township_staff).get(reverse("cards:print")).content.decode()
    assert reverse("cards:print_job", args=[job_id]) not in theirs


def test_it_purges_prints_past_their_time_once(cards_world, login, settings):
    w = cards_world
    settings.LIANXIN_TRANSFER_KEEP_DAYS = 7
    client = login(w.township_staff)
    old = print_job_id(start_print(client, "household", w.household.pk))
    new = print_job_id(start_print(client, "region", w.village.pk))
    Job.objects.filter(pk=old).update(finished_at=timezone.now() - dt.timedelta(days=8))
    (old_file,) = [p for p in _files() if p.name.startswith(f"job-{old}-")]
    # A file no print keeps (its job's row never got its result), as old.
    stray_name, out = print_files.create(new + 1000)
    out.close()
    stray = settings.MEDIA_ROOT / stray_name
    eight_days = (timezone.now() - dt.timedelta(days=8)).timestamp()
    os.utime(stray, (eight_days, eight_days))

    assert print_files.do_purge_print_files() == 2
    assert not old_file.exists() and not stray.exists()
    assert [p.name.split("-")[1] for p in _files()] == [str(new)]
    assert print_files.do_purge_print_files() == 0  # idempotent
    try:
        periodic.purge_card_prints.call_local()  # the worker's periodic task: nothing left either
    finally:
        HUEY.storage.close()  # its lock's own connection to the test database
    assert len(_files()) == 1
    rows = AuditEntry.objects.filter(action="删除连心卡 PDF")
    assert rows.count() == 1 and rows.get().changes == {"files": [1, 0]}

    gone = client.get(reverse("cards:print_download", args=[old]))
    assert gone.status_code == 410 and "超过保留时间删除" in gone.content.decode()
    assert client.get(reverse("cards:print_download", args=[new])).status_code == 200
