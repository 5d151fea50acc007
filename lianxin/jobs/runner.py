"""Running long work in the job worker: submit a job, claim it, keep its heartbeat, let it be
cancelled, stop it at its deadline, and end it exactly once.

Each kind of work registers a `Kind` (lianxin/<app>/jobs.py, found by `autodiscover`): the
function that does the work given a `JobContext`, and what to do to the domain row when the job
ends without finishing (failed, cancelled, or found dead by the sweep). The queue (Huey, see
lianxin.jobs.tasks) only carries job ids; the database row is the truth, so a lost queue message,
a duplicate one, or a worker killed mid-way is recovered by `sweep()`.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from time import monotonic
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from lianxin.core.context import acting_from, current_source
from lianxin.core.errors import Refused

from .choices import ACTIVE, JobStatus
from .models import Job

logger = logging.getLogger(__name__)

FAILED_MESSAGE = "任务出错（{name}），请联系系统管理员查看日志"
STALLED_MESSAGE = "任务中断：执行任务的进程已退出（服务重启或内存不足），任务没有完成"
CANCELLED_MESSAGE = "已取消"


class Cancelled(Exception):
    """Raised inside the work when its job was cancelled (or taken from this worker)."""


@dataclass(frozen=True)
class Kind:
    """One kind of long work."""

    name: str
    run: Callable[[JobContext], None]
    # Called in the transaction that marks the job failed or cancelled, whoever does it (the
    # worker, the sweep, a cancel of a queued job): (job, status, message). Sets the domain
    # row's state and removes what a half-done job leaves (files).
    on_stop: Callable[[Job, str, str], None] | None = None
    # A job whose worker died is queued again (up to LIANXIN_JOB_MAX_ATTEMPTS runs) instead of
    # failing: its work must be idempotent (an import resuming from its checkpoint).
    resumable: bool = False
    stalled_message: str = STALLED_MESSAGE
    failed_message: str = FAILED_MESSAGE
    # Who may cancel it besides its creator (e.g. any city administrator for a pairing run).
    may_cancel: Callable[[Any, Job], bool] | None = None


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    KINDS[kind.name] = kind
    return kind


def autodiscover() -> None:
    """Import every app's jobs module so its kinds are registered (the worker and the web)."""
    autodiscover_modules("jobs")


def kind_of(job: Job) -> Kind:
    if job.kind not in KINDS:
        autodiscover()
    return KINDS[job.kind]


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# ---------------------------------------------------------------------------------------------
# Submitting


def create(
    kind: str,
    *,
    county_id: int,
    created_by: Any,
    params: dict[str, Any] | None = None,
    budget_seconds: float | None = None,
) -> Job:
    """A queued job, not yet handed to the worker (see `start`)."""
    return Job.objects.create(
        county_id=county_id,
        kind=kind,
        created_by=created_by if getattr(created_by, "pk", None) else None,
        source=current_source()[:100],
        params=params or {},
        budget_seconds=budget_seconds,
    )


def start(job: Job) -> None:
    """Hand the job to the worker once the caller's transaction commits (at once outside a
    transaction); inline, before returning, when settings.LIANXIN_JOBS_INLINE is set (tests)."""
    if settings.LIANXIN_JOBS_INLINE:
        execute(job.pk)
        job.refresh_from_db()
    else:
        transaction.on_commit(lambda: enqueue(job.pk))


def submit(kind: str, **fields: Any) -> Job:
    job = create(kind, **fields)
    start(job)
    return job


def enqueue(job_id: int) -> None:
    from .tasks import run_job

    run_job(job_id)


def _seconds(value: float) -> dt.timedelta:
    return dt.timedelta(seconds=value)


# ---------------------------------------------------------------------------------------------
# Running


class JobContext:
    """What the work sees of its job: progress, cancel, deadline, and the final save."""

    def __init__(
        self, job: Job, worker: str, on_progress: Callable[[int, int], None] | None = None
    ):
        self.job = job
        self.worker = worker
        self.on_progress = on_progress
        self.result: dict[str, Any] = {}
        self._cancel = threading.Event()
        self._lost = threading.Event()
        self._written_at = 0.0
        self._polled_at = 0.0
        self.polls = False
        left = job.seconds_left()
        self.deadline: float | None = None if left is None else monotonic() + max(0.0, left)

    @property
    def params(self) -> dict[str, Any]:
        return self.job.params

    # Cancel and deadline ----------------------------------------------------------------

    def should_stop(self) -> bool:
        """True once the job was cancelled or taken from this worker (poll between steps)."""
        if self.polls and monotonic() - self._polled_at >= 1.0:
            self._polled_at = monotonic()
            self.look()
        return self._cancel.is_set() or self._lost.is_set()

    def look(self) -> None:
        """Read the job's row: cancelled, or taken from this worker by the sweep?"""
        row = (
            Job.objects.filter(pk=self.job.pk)
            .values("status", "worker", "cancel_requested_at")
            .first()
        )
        if row is None:
            return  # not visible from here (yet): nothing to decide
        if row["status"] != JobStatus.RUNNING or row["worker"] != self.worker:
            self._lost.set()
        elif row["cancel_requested_at"] is not None:
            self._cancel.set()

    def check(self) -> None:
        """Raise Cancelled if the work should stop now."""
        if self.should_stop():
            raise Cancelled

    def time_left(self) -> float | None:
        """Seconds until the job's deadline, or None without one."""
        return None if self.deadline is None else self.deadline - monotonic()

    # Progress -----------------------------------------------------------------------------

    def progress(
        self, done: int, total: int | None = None, note: str = "", *, force: bool = False
    ) -> None:
        """Record how far the work has got (at most twice a second unless forced). Call it
        outside a long transaction, or the page sees the figure only at its end."""
        if self.on_progress is not None and total is not None:
            self.on_progress(done, total)
        if not force and monotonic() - self._written_at < 0.5:
            return
        fields: dict[str, Any] = {"progress_done": done}
        if self.polls:
            fields["heartbeat_at"] = timezone.now()
        if total is not None:
            fields["progress_total"] = total
        if note:
            fields["progress_note"] = note[:100]
        Job.objects.filter(pk=self.job.pk).update(**fields)
        self._written_at = monotonic()

    # Ending -------------------------------------------------------------------------------

    def still_mine(self) -> bool:
        """Inside the caller's transaction: lock the job's row and say whether it is still
        running here. The sweep and a cancel take the same lock, so neither can end the job
        while the caller commits, and work whose job was ended does not commit afterwards."""
        return (
            Job.objects.select_for_update()
            .filter(pk=self.job.pk, status=JobStatus.RUNNING, worker=self.worker)
            .exists()
        )

    @contextmanager
    def finishing(self, status: str = JobStatus.DONE, message: str = "") -> Iterator[Job]:
        """A transaction in which the work saves its outcome and the job is marked finished —
        only if the job is still this worker's and still running: a status set meanwhile
        (cancelled, failed by the sweep) is never overwritten, and then nothing is saved."""
        with transaction.atomic():
            job = (
                Job.objects.select_for_update()
                .filter(pk=self.job.pk, status=JobStatus.RUNNING, worker=self.worker)
                .first()
            )
            if job is None:
                raise Cancelled
            if status == JobStatus.DONE and job.cancel_requested_at is not None:
                raise Cancelled
            yield job
            _mark(job, status, message, result=self.result)
        self.job = job


def execute(
    job_id: int,
    *,
    on_progress: Callable[[int, int], None] | None = None,
    foreground: bool = False,
) -> bool:
    """Run one queued job to its end, here (the worker's task, or a command that runs its job
    in the foreground with `on_progress` for its progress bar). Safe to call twice or for a job
    already taken: only the caller that moves it from queued to running does the work (True)."""
    inline = settings.LIANXIN_JOBS_INLINE
    me = worker_id()
    now = timezone.now()
    claimed = Job.objects.filter(
        pk=job_id, status=JobStatus.QUEUED, cancel_requested_at__isnull=True
    ).update(
        status=JobStatus.RUNNING,
        started_at=now,
        heartbeat_at=now,
        worker=me,
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return False
    job = Job.objects.select_related("created_by", "county").get(pk=job_id)
    if job.budget_seconds is not None:
        job.deadline_at = now + _seconds(job.budget_seconds)
        Job.objects.filter(pk=job.pk).update(deadline_at=job.deadline_at)
    kind = kind_of(job)
    ctx = JobContext(job, me, on_progress)
    # In the worker a thread beats for the job. In the foreground (a command with its own
    # progress bar) and inline (tests, inside a transaction a second connection cannot see)
    # the job's progress calls beat and look for a cancel instead.
    beat = None if inline or foreground else _Heartbeat(ctx)
    ctx.polls = beat is None and not inline
    if beat is not None:
        beat.start()
    try:
        with acting_from(job.source or current_source()):
            kind.run(ctx)
    except Cancelled:
        _stop(ctx, JobStatus.CANCELLED, CANCELLED_MESSAGE)
    except Refused as exc:
        _stop(ctx, JobStatus.FAILED, exc.message)
    except Exception as exc:
        logger.exception("job %s (%s) failed", job_id, job.kind)
        _stop(ctx, JobStatus.FAILED, kind.failed_message.format(name=exc.__class__.__name__))
    else:
        if ctx.job.status == JobStatus.RUNNING:
            try:
                with ctx.finishing():
                    pass
            except Cancelled:
                _stop(ctx, JobStatus.CANCELLED, CANCELLED_MESSAGE)
    finally:
        if beat is not None:
            beat.stop()
    return True


def _stop(ctx: JobContext, status: str, message: str) -> None:
    """End a job that did not finish, unless someone else already ended it."""
    with transaction.atomic():
        job = (
            Job.objects.select_for_update()
            .filter(pk=ctx.job.pk, status=JobStatus.RUNNING, worker=ctx.worker)
            .first()
        )
        if job is None:
            return
        _mark(job, status, message, result=ctx.result)
        _on_stop(job, status, message)
    ctx.job = job


def _mark(job: Job, status: str, message: str, *, result: dict[str, Any] | None = None) -> None:
    job.status = status
    job.error = message if status != JobStatus.DONE else ""
    if result:
        job.result = {**job.result, **result}
    job.finished_at = timezone.now()
    if status == JobStatus.DONE and job.progress_total:
        job.progress_done = job.progress_total
    job.save()


def _on_stop(job: Job, status: str, message: str) -> None:
    kind = kind_of(job)
    if kind.on_stop is not None:
        kind.on_stop(job, status, message)


class _Heartbeat(threading.Thread):
    """Beats for the job while its work runs (CPU-bound solver calls release the GIL, so the
    beat goes on), and notices a cancel request or a job taken away from this worker."""

    def __init__(self, ctx: JobContext):
        super().__init__(name=f"job-{ctx.job.pk}-heartbeat", daemon=True)
        self.ctx = ctx
        self._done = threading.Event()

    def run(self) -> None:
        interval = settings.LIANXIN_JOB_HEARTBEAT_SECONDS
        beat_at = monotonic()
        try:
            while not self._done.wait(min(1.0, interval)):
                try:
                    # Cancel is looked at every second, the heartbeat written every interval.
                    self.ctx.look()
                    if monotonic() - beat_at >= interval:
                        Job.objects.filter(
                            pk=self.ctx.job.pk, status=JobStatus.RUNNING, worker=self.ctx.worker
                        ).update(heartbeat_at=timezone.now())
                        beat_at = monotonic()
                except Exception:
                    # A busy database (a long write elsewhere): beat again next time; the
                    # sweep only notices a job silent for LIANXIN_JOB_STALE_SECONDS.
                    logger.warning("heartbeat of job %s missed", self.ctx.job.pk, exc_info=True)
                    connection.close()
        finally:
            connection.close()

    def stop(self) -> None:
        self._done.set()
        self.join(timeout=5)


# ---------------------------------------------------------------------------------------------
# Cancel


def do_cancel_job(job: Job, *, acting_user: Any) -> Job:
    """Cancel a job: a queued one at once, a running one at its next check (the page shows
    "取消中" until then). Its creator, or whoever its kind allows, may cancel it."""
    from lianxin.audit.services import record

    kind = kind_of(job)
    allowed = job.created_by_id == getattr(acting_user, "pk", None) or (
        kind.may_cancel is not None and kind.may_cancel(acting_user, job)
    )
    if not allowed or acting_user.county_id != job.county_id:
        raise Refused("无权取消该任务", field="job", status=403)
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if job.status not in ACTIVE:
            raise Refused(f"任务已{job.get_status_display()}，无法取消", field="job", status=409)
        if job.cancel_requested_at is not None:
            return job
        job.cancel_requested_at = timezone.now()
        job.cancel_requested_by = acting_user
        if job.status == JobStatus.QUEUED:
            _mark(job, JobStatus.CANCELLED, CANCELLED_MESSAGE)
            _on_stop(job, JobStatus.CANCELLED, CANCELLED_MESSAGE)
        else:
            job.save(update_fields=["cancel_requested_at", "cancel_requested_by"])
        record(
            actor=acting_user,
            action="取消后台任务",
            target=job,
            changes={"任务": [None, f"{job.get_kind_display()} #{job.pk}"]},
        )
    return job


# ---------------------------------------------------------------------------------------------
# Sweep: jobs whose worker has gone


def _pid_gone(worker: str) -> bool:
    """True when `worker` names a process on this host that no longer exists."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def sweep(now=None) -> dict[str, int]:
    """Fail (or queue again, for resumable kinds) running jobs whose worker has gone: no
    heartbeat for LIANXIN_JOB_STALE_SECONDS, or a process on this host that has exited. Hand
    the queue again any job queued for a while (a message lost with a queue). Idempotent."""
    now = now or timezone.now()
    stale = now - _seconds(settings.LIANXIN_JOB_STALE_SECONDS)
    running = Job.objects.filter(status=JobStatus.RUNNING).values_list(
        "pk", "worker", "heartbeat_at"
    )
    dead = [pk for pk, worker, beat in running if beat is None or beat < stale or _pid_gone(worker)]
    counts = {"failed": 0, "requeued": 0, "handed_again": 0}
    for pk in dead:
        with transaction.atomic():
            job = Job.objects.select_for_update().filter(pk=pk, status=JobStatus.RUNNING).first()
            if job is None:
                continue
            if not (job.heartbeat_at is None or job.heartbeat_at < stale or _pid_gone(job.worker)):
                continue  # it beat meanwhile
            kind = kind_of(job)
            if (
                kind.resumable
                and job.cancel_requested_at is None
                and job.attempts < settings.LIANXIN_JOB_MAX_ATTEMPTS
            ):
                job.status = JobStatus.QUEUED
                job.worker = ""
                job.progress_note = f"执行进程已退出，第 {job.attempts + 1} 次执行"[:100]
                job.save(update_fields=["status", "worker", "progress_note"])
                transaction.on_commit(functools.partial(_hand, job.pk))
                counts["requeued"] += 1
            elif job.cancel_requested_at is not None:
                # Its worker died before it saw the cancel: it is cancelled, not failed.
                _mark(job, JobStatus.CANCELLED, CANCELLED_MESSAGE)
                _on_stop(job, JobStatus.CANCELLED, CANCELLED_MESSAGE)
                counts["failed"] += 1
            else:
                _mark(job, JobStatus.FAILED, kind.stalled_message)
                _on_stop(job, JobStatus.FAILED, kind.stalled_message)
                counts["failed"] += 1
    waiting = Job.objects.filter(
        status=JobStatus.QUEUED,
        cancel_requested_at__isnull=True,
        created_at__lt=now - _seconds(settings.LIANXIN_JOB_REQUEUE_SECONDS),
    ).filter(Q(started_at__isnull=True) | Q(worker=""))
    for pk in waiting.values_list("pk", flat=True):
        _hand(pk)
        counts["handed_again"] += 1
    return counts


def _hand(job_id: int) -> None:
    if settings.LIANXIN_JOBS_INLINE:
        execute(job_id)
    else:
        enqueue(job_id)


def hand_all_queued() -> int:
    """At worker start: hand the queue every queued job (duplicates are no-ops)."""
    ids = list(
        Job.objects.filter(status=JobStatus.QUEUED, cancel_requested_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    for pk in ids:
        enqueue(pk)
    return len(ids)
