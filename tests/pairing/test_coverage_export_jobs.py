"""A long coverage list is exported by a job (issue 9): the page's button starts it, its page
follows the progress and offers the file when ready, only to its creator; the file holds the
same rows as the direct download, in the creator's scope. A short list stays a direct file."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lianxin.audit.models import AuditEntry
from lianxin.jobs import runner
from lianxin.jobs.choices import JobStatus as TaskStatus
from lianxin.pairing.services import do_pair
from lianxin.transfer.choices import COVERAGE, JobKind, JobStatus
from lianxin.transfer.models import Job
from tests.pairing.test_coverage_export import URL, sheets


@pytest.fixture
def long_lists(settings, tmp_path):
    """Every list with more than one row counts as long; jobs wait for the worker (a test's
    transaction never commits, so nothing hands them over): the tests run them."""
    settings.LIANXIN_SYNC_EXPORT_ROWS = 1
    settings.LIANXIN_JOBS_INLINE = False
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings


def start(client, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.post(f"{URL}?{query}")


def run(job: Job, progress: list | None = None) -> Job:
    """What the worker does with the job's id."""
    assert runner.execute(
        job.task_id,
        on_progress=(lambda d, t: progress.append((d, t))) if progress is not None else None,
    )
    job.refresh_from_db()
    return job


def downloaded_rows(response) -> list[list]:
    return next(iter(sheets(response).values()))


def test_it_answers_a_short_list_with_the_file_itself(world, login, settings):
    settings.LIANXIN_SYNC_EXPORT_ROWS = 3
    response = start(login(world.city_admin), list="households")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert len(downloaded_rows(response)) == 1 + 3
    assert not Job.objects.exists()


def test_it_starts_a_job_for_a_long_list_and_its_page_says_so(world, login, long_lists):
    client = login(world.city_admin)
    response = start(client, list="households")
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("transfer:job_detail", args=[job.pk])
    assert (job.kind, job.data_kind, job.status) == (JobKind.EXPORT, COVERAGE, JobStatus.QUEUED)
    assert job.file_name.startswith("覆盖情况-未结对的户-") and job.file_name.endswith(".xlsx")
    assert job.task.kind == "export" and job.task.created_by == world.city_admin
    # Nothing is written (or audited) before the worker runs it.
    assert not AuditEntry.objects.filter(action="导出覆盖情况").exists()

    html = client.get(response["Location"]).content.decode()
    assert "导出覆盖情况" in html and "排队中" in html
    assert reverse("transfer:job_progress", args=[job.pk]) in html  # polled while it waits
    assert reverse("transfer:job_download", args=[job.pk]) not in html
    # The coverage page lists it too, so the user finds it again.
    page = client.get(reverse("pairing:coverage")).content.decode()
    assert "我的覆盖情况导出" in page and job.file_name in page


def test_it_asks_before_starting_a_job_from_a_plain_link(world, login, long_lists):
    response = login(world.city_admin).get(URL, {"list": "households"})
    html = response.content.decode()
    assert response.status_code == 200 and "在后台生成" in html and 'method="post"' in html
    assert not Job.objects.exists()


def test_the_job_writes_the_rows_of_the_direct_download(world, login, long_lists):
    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    client = login(world.city_admin)
    for params in ({"list": "households"}, {"list": "cadres", "load": "under"}):
        long_lists.LIANXIN_SYNC_EXPORT_ROWS = 10_000
        direct = downloaded_rows(start(client, **params))
        assert len(direct) > 1, params  # a header and rows
        long_lists.LIANXIN_SYNC_EXPORT_ROWS = 0
        start(client, **params)
        job = run(Job.objects.latest("pk"))
        assert job.status == JobStatus.DONE, job.message
        page = client.get(reverse("transfer:job_detail", args=[job.pk])).content.decode()
        assert reverse("transfer:job_download", args=[job.pk]) in page
        assert downloaded_rows(client.get(reverse("transfer:job_download", args=[job.pk]))) == (
            direct
        )
        assert job.counts == {"rows_written": len(direct) - 1} and job.rows_total == len(direct) - 1


def test_the_job_reports_its_progress(world, login, long_lists):
    client = login(world.city_admin)
    start(client, list="households")
    progress: list = []
    job = run(Job.objects.get(), progress)
    # The total is known before the first row, then the rows as they are written.
    assert progress[0] == (0, 3) and progress[-1] == (3, 3)
    assert job.task.status == TaskStatus.DONE
    assert (job.task.progress_done, job.task.progress_total) == (3, 3)
    answer = client.get(reverse("transfer:job_progress", args=[job.pk]), {"format": "json"}).json()
    assert answer["status"] == "done" and answer["rows_total"] == 3 and answer["percent"] == 100


def test_the_job_exports_its_creators_scope_and_audits_it(world, login, long_lists):
    client = login(world.township_staff)
    start(client, list="households", village=world.village.pk)
    job = run(Job.objects.get())
    rows = downloaded_rows(client.get(reverse("transfer:job_download", args=[job.pk])))
    assert [r[0] for r in rows[1:]] == ["51018411000000001", "51018411000000002"]
    entry = AuditEntry.objects.get(action="导出覆盖情况")
    assert entry.actor == world.township_staff and entry.target_label == job.file_name
    assert entry.changes["village"] == [None, "大坪村"]
    # The whole county for the township's staffer is still their township.
    start(client, list="households")
    rows = downloaded_rows(
        client.get(reverse("transfer:job_download", args=[run(Job.objects.latest("pk")).pk]))
    )
    assert [r[0] for r in rows[1:]] == ["51018411000000001", "51018411000000002"]


def test_a_job_whose_filter_left_the_scope_fails_and_writes_nothing(world, login, long_lists):
    start(login(world.township_staff), list="households", village=world.village.pk)
    job = Job.objects.get()
    # The village changes hands before the worker gets to it (a job of another user's).
    job.params = {**job.params, "village": world.other_village.pk}
    job.save()
    job = run(job)
    assert job.status == JobStatus.FAILED and "不在您的权限范围内" in job.message
    assert not job.result
    assert not AuditEntry.objects.filter(action="导出覆盖情况").exists()


@pytest.mark.parametrize("name", ["outsider", "city_admin"])
def test_no_one_else_sees_or_downloads_the_job(world, login, long_lists, name):
    start(login(world.township_staff), list="households")
    job = run(Job.objects.get())
    other = login(getattr(world, name))
    for view in ("transfer:job_detail", "transfer:job_download", "transfer:job_progress"):
        assert other.get(reverse(view, args=[job.pk])).status_code == 404, view


def test_it_refuses_to_start_a_job_outside_the_scope(world, login, long_lists):
    response = start(login(world.outsider), list="households", township=world.township.pk)
    assert response.status_code == 404
    assert not Job.objects.exists()
