"""The job runner in one process: the sweep, cancel, and the final save that never overwrites a
status set meanwhile. The worker itself (a real process, killed) is in test_worker.py."""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from lianxin.audit.models import AuditEntry
from lianxin.core.errors import Refused
from lianxin.jobs import runner
from lianxin.jobs.choices import JobKind, JobStatus
from lianxin.jobs.models import Job
from lianxin.pairing.choices import RunStatus
from lianxin.pairing.models import Pairing, PairingRun, PairingRunChange
from lianxin.pairing.services import do_cancel_pairing_run, do_start_pairing_run
from tests.factories import build_world
from tests.pairing.runs_support import build_county

# A kind only these tests use: resumable, records what happened to it.
ENDED: list[tuple[int, str, str]] = []
runner.register(
    runner.Kind(
        name="testresume",
        run=lambda ctx: None,
        on_stop=lambda job, status, message: ENDED.append((job.pk, status, message)),
        resumable=True,
    )
)


def _running(world, *, kind=JobKind.PAIRING, beat_ago=0.0, worker=None, attempts=1) -> Job:
    now = timezone.now()
    return Job.objects.create(
        county=world.county,
        kind=kind,
        status=JobStatus.RUNNING,
        created_by=world.city_admin,
        started_at=now - dt.timedelta(seconds=beat_ago + 1),
        heartbeat_at=now - dt.timedelta(seconds=beat_ago),
        worker=worker or "elsewhere:1",
        attempts=attempts,
    )


def test_it_fails_a_pairing_run_whose_worker_stopped_beating(world, settings):
    settings.LIANXIN_JOB_STALE_SECONDS = 30
    silent = _running(world, beat_ago=31)
    beating = _running(world, beat_ago=5)
    run = PairingRun.objects.create(county=world.county, status=RunStatus.RUNNING, job=silent)
    alive = PairingRun.objects.create(county=world.county, status=RunStatus.RUNNING, job=beating)
    assert runner.sweep()["failed"] == 1
    run.refresh_from_db()
    alive.refresh_from_db()
    assert run.status == RunStatus.FAILED and "中断" in run.error
    assert alive.status == RunStatus.RUNNING
    silent.refresh_from_db()
    assert silent.status == JobStatus.FAILED and silent.finished_at is not None
    # Idempotent: a second sweep (another worker's, or the next minute's) finds nothing.
    assert runner.sweep() == {"failed": 0, "requeued": 0, "handed_again": 0}


def test_it_ends_at_once_a_job_whose_process_on_this_host_has_gone(world, settings):
    settings.LIANXIN_JOB_STALE_SECONDS = 3600
    # A pid that cannot exist (above the kernel's pid_max).
    gone = _running(world, worker=f"{socket.gethostname()}:4194999")
    here = _running(world, worker=runner.worker_id())
    assert runner.sweep()["failed"] == 1
    gone.refresh_from_db()
    here.refresh_from_db()
    assert gone.status == JobStatus.FAILED and here.status == JobStatus.RUNNING


def test_it_queues_a_resumable_job_again_until_its_attempts_run_out(world, settings):
    settings.LIANXIN_JOB_STALE_SECONDS = 30
    settings.LIANXIN_JOB_MAX_ATTEMPTS = 2
    job = _running(world, kind="testresume", beat_ago=60, attempts=1)
    assert runner.sweep()["requeued"] == 1
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.worker == "" and "第 2 次" in job.progress_note
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, attempts=2, heartbeat_at=timezone.now() - dt.timedelta(minutes=5)
    )
    assert runner.sweep()["failed"] == 1
    assert ENDED[-1][:2] == (job.pk, JobStatus.FAILED)


def test_it_cancels_a_queued_run_at_once_and_audits_it(world):
    run = do_start_pairing_run(county=world.county, acting_user=world.city_admin, start=False)
    before = AuditEntry.objects.count()
    run = do_cancel_pairing_run(run, acting_user=world.city_admin)
    assert run.status == RunStatus.CANCELLED and run.job.status == JobStatus.CANCELLED
    assert AuditEntry.objects.count() == before + 1
    assert AuditEntry.objects.latest("id").action == "取消后台任务"
    # Nothing runs it afterwards, and a second cancel is refused.
    assert runner.execute(run.job_id, foreground=True) is False
    with pytest.raises(Refused) as refused:
        do_cancel_pairing_run(run, acting_user=world.city_admin)
    assert refused.value.status == 409


def test_it_refuses_a_cancel_from_who_may_not(world):
    run = do_start_pairing_run(county=world.county, acting_user=world.city_admin, start=False)
    for persona in (world.leader_user, world.township_staff, world.outsider):
        with pytest.raises(Refused):
            do_cancel_pairing_run(run, acting_user=persona)
        with pytest.raises(Refused):
            runner.do_cancel_job(run.job, acting_user=persona)
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED


def test_it_never_saves_over_a_status_set_meanwhile(world):
    build_county(world, households=12, cadres=3)
    run = do_start_pairing_run(county=world.county, acting_user=world.city_admin, start=False)

    def fail_it_meanwhile(done, total):
        # The sweep (or a cancel) ends the job while the solver works.
        Job.objects.filter(pk=run.job_id).update(status=JobStatus.FAILED, error="已被清理")

    assert runner.execute(run.job_id, on_progress=fail_it_meanwhile, foreground=True)
    run.refresh_from_db()
    run.job.refresh_from_db()
    assert run.job.status == JobStatus.FAILED and run.job.error == "已被清理"
    assert run.status != RunStatus.PREVIEWED
    assert not PairingRunChange.objects.filter(run=run).exists()


@pytest.mark.django_db(transaction=True)
def test_it_cancels_a_run_while_it_computes():
    """In the worker's way: the job runs in another thread with its heartbeat thread, and the
    cancel, made meanwhile through the service, stops it before it saves anything."""
    world = build_world()
    build_county(world, units=3, households=30, cadres=6)
    run = do_start_pairing_run(county=world.county, acting_user=world.city_admin, start=False)
    computing = threading.Event()
    cancelled = threading.Event()

    def slow(done, total):
        computing.set()
        cancelled.wait(10)
        time.sleep(1.5)  # the heartbeat thread looks every second

    def work():
        try:
            runner.execute(run.job_id, on_progress=slow)
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    assert computing.wait(30)
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING
    do_cancel_pairing_run(run, acting_user=world.city_admin)
    cancelled.set()
    thread.join(30)
    assert not thread.is_alive()
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED and run.job.status == JobStatus.CANCELLED
    assert not PairingRunChange.objects.filter(run=run).exists()
    assert not Pairing.objects.filter(county=world.county).exists()


def test_it_reports_a_worker_id_of_this_process():
    assert runner.worker_id() == f"{socket.gethostname()}:{os.getpid()}"


def test_it_cancels_rather_than_resumes_a_dead_job_that_was_being_cancelled(world, settings):
    settings.LIANXIN_JOB_STALE_SECONDS = 30
    job = _running(world, kind="testresume", beat_ago=60)
    Job.objects.filter(pk=job.pk).update(cancel_requested_at=timezone.now())
    runner.sweep()
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert ENDED[-1][:2] == (job.pk, JobStatus.CANCELLED)
