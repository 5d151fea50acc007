"""An import whose process dies part-way through its writes (kill -9, out of memory) keeps the
batches it committed, in either mode: the job says what they saved and where to resume. The
sweep queues it again (an import is resumable: its writes are idempotent) and the next worker
completes it from the checkpoint; once its attempts are used up the sweep fails it and leaves
the audit row the process could not write."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from lianxin.audit.models import AuditEntry
from lianxin.jobs import runner
from lianxin.jobs.choices import JobStatus as TaskStatus
from lianxin.jobs.models import Job as Task
from lianxin.lib.idcard import compose
from lianxin.people.models import Resident
from lianxin.transfer.choices import JobStatus
from lianxin.transfer.importers import import_people
from lianxin.transfer.models import Job
from lianxin.transfer.services import STALLED_MESSAGE, _save_running_counts, do_start_import
from tests.transfer.files import RESIDENT_HEADER, csv_bytes, resident, source


def rows():
    return [
        resident(
            f"5101841100000080{i}", f"石{i}", compose("510184", dt.date(1980, 3, 1 + i), 700 + i)
        )
        for i in range(4)
    ]


def dying_after_first_batch(job, ctx):
    """The job's checkpoint saved with the first batch; the process dies inside the second's
    transaction — SystemExit, like a killed worker: no `except Exception` of the importer sees
    it."""
    batches = []

    def on_batch(rows_written, counts):
        if batches:
            raise SystemExit(137)
        batches.append(rows_written)
        _save_running_counts(job, counts, ctx, rows_written)

    return on_batch


def _killed_import(world, settings, tmp_path, mode):
    settings.MEDIA_ROOT = tmp_path / "media"
    user = world.township_staff
    job = do_start_import(
        acting_user=user,
        upload=SimpleUploadedFile("石家.csv", csv_bytes(RESIDENT_HEADER, rows())),
        data_kind="residents",
        mode=mode,
    )
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    # Its worker took it and then died: no heartbeat since.
    Task.objects.filter(pk=job.task_id).update(
        status=TaskStatus.RUNNING,
        worker="elsewhere:1",
        attempts=1,
        heartbeat_at=timezone.now() - dt.timedelta(minutes=5),
    )
    job.refresh_from_db()
    ctx = runner.JobContext(job.task, "elsewhere:1")

    with pytest.raises(SystemExit):
        import_people(
            source(RESIDENT_HEADER, rows()),
            county=world.county,
            kind="residents",
            mode=mode,
            acting_user=user,
            file_name=job.file_name,
            batch_size=2,
            on_batch=dying_after_first_batch(job, ctx),
        )

    # The first batch committed, with the job's counts; the second batch was rolled back.
    assert Resident.objects.filter(name__startswith="石").count() == 2
    job.refresh_from_db()
    assert job.counts["residents_created"] == 2 and job.saved
    assert job.task.result["checkpoint"] == 2
    assert not AuditEntry.objects.filter(action="批量导入居民").exists()
    return job


@pytest.mark.parametrize("mode", ["all", "good"])
def test_a_killed_import_is_resumed_after_its_checkpoint(world, settings, tmp_path, mode):
    job = _killed_import(world, settings, tmp_path, mode)
    assert runner.sweep()["requeued"] == 1
    job.task.refresh_from_db()
    assert job.task.status == TaskStatus.QUEUED
    # The next worker validates the file again and writes the rows after the checkpoint.
    assert runner.execute(job.task_id, foreground=True)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.message
    assert Resident.objects.filter(name__startswith="石").count() == 4
    assert job.counts["residents_created"] == 4
    assert not job.source  # the upload goes once the import has ended


@pytest.mark.parametrize("mode", ["all", "good"])
def test_a_killed_import_whose_attempts_ran_out_fails_and_the_sweep_audits_it(
    world, settings, tmp_path, mode
):
    settings.LIANXIN_JOB_MAX_ATTEMPTS = 1
    job = _killed_import(world, settings, tmp_path, mode)
    assert runner.sweep()["failed"] == 1
    assert runner.sweep()["failed"] == 0
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.message == STALLED_MESSAGE
    assert job.counts["residents_created"] == 2
    assert not job.source
    entry = AuditEntry.objects.get(action="批量导入居民")
    assert entry.actor == job.created_by and entry.target_label == "石家.csv"
    assert entry.changes["residents_created"] == [None, 2]
    assert entry.changes["households_created"] == [None, 2]
    assert entry.changes["saved"] == [None, True]
    assert "任务中断" in entry.changes["stopped"][1]
