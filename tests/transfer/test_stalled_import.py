"""An import whose process dies part-way through its writes (kill -9, out of memory) keeps the
batches it committed, in either mode: the job says what they saved, and the stall sweep leaves
the audit row the process could not write."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from lianxin.audit.models import AuditEntry
from lianxin.lib.idcard import compose
from lianxin.people.models import Resident
from lianxin.transfer.choices import JobStatus
from lianxin.transfer.importers import import_people
from lianxin.transfer.models import Job
from lianxin.transfer.services import (
    STALLED_MESSAGE,
    _save_running_counts,
    do_fail_stalled_jobs,
    do_start_import,
)
from tests.transfer.files import RESIDENT_HEADER, csv_bytes, resident, source


def rows():
    return [
        resident(f"H80{i}", f"石{i}", compose("510184", dt.date(1980, 3, 1 + i), 700 + i))
        for i in range(4)
    ]


def dying_after_first_batch(job):
    """The job's checkpoint saved with the first batch; the process dies inside the second's
    transaction — SystemExit, like a killed worker: no `except Exception` of the importer sees
    it."""
    batches = []

    def on_batch(rows_written, counts):
        if batches:
            raise SystemExit(137)
        batches.append(rows_written)
        _save_running_counts(job, counts)

    return on_batch


@pytest.mark.parametrize("mode", ["all", "good"])
def test_a_killed_import_keeps_its_counts_and_the_sweep_audits_it(world, settings, tmp_path, mode):
    settings.MEDIA_ROOT = tmp_path / "media"
    user = world.township_staff
    job = do_start_import(
        acting_user=user,
        upload=SimpleUploadedFile("石家.csv", csv_bytes(RESIDENT_HEADER, rows())),
        data_kind="residents",
        mode=mode,
    )
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)

    with pytest.raises(SystemExit):
        import_people(
            source(RESIDENT_HEADER, rows()),
            county=world.county,
            kind="residents",
            mode=mode,
            acting_user=user,
            file_name=job.file_name,
            batch_size=2,
            on_batch=dying_after_first_batch(job),
        )

    # The first batch committed, with the job's counts; the second batch was rolled back.
    assert Resident.objects.filter(name__startswith="石").count() == 2
    job.refresh_from_db()
    assert job.counts["residents_created"] == 2 and job.saved
    assert not AuditEntry.objects.filter(action="批量导入居民").exists()

    # Silent for longer than STALL_AFTER: the next look at the jobs marks it failed.
    Job.objects.filter(pk=job.pk).update(updated_at=timezone.now() - dt.timedelta(minutes=20))
    assert do_fail_stalled_jobs(acting_user=user) == 1
    assert do_fail_stalled_jobs(acting_user=user) == 0
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.message == STALLED_MESSAGE
    assert job.counts["residents_created"] == 2
    entry = AuditEntry.objects.get(action="批量导入居民")
    assert entry.actor == user and entry.target_label == "石家.csv"
    assert entry.changes["residents_created"] == [None, 2]
    assert entry.changes["households_created"] == [None, 2]
    assert entry.changes["saved"] == [None, True]
    assert "任务中断" in entry.changes["stopped"][1]
