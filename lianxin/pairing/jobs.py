"""The pairing run as a kind of job: computed in the job worker, cancellable by any city
administrator of the county, failed (never retried: a run is cheap to start again) when its
worker dies."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from lianxin.jobs.choices import JobKind, JobStatus
from lianxin.jobs.models import Job
from lianxin.jobs.runner import JobContext, Kind, register

from . import engine
from .choices import RunStatus
from .models import PairingRun


def _run(ctx: JobContext) -> None:
    run = PairingRun.objects.get(job_id=ctx.job.pk)
    engine.compute_run(run, ctx=ctx)


def _stopped(job: Job, status: str, message: str) -> None:
    """The run ends as its job did, unless it already ended otherwise."""
    PairingRun.objects.filter(job=job, status__in=(RunStatus.QUEUED, RunStatus.RUNNING)).update(
        status=RunStatus.CANCELLED if status == JobStatus.CANCELLED else RunStatus.FAILED,
        error="" if status == JobStatus.CANCELLED else message,
        finished_at=timezone.now(),
    )


def _may_cancel(user: Any, job: Job) -> bool:
    return PairingRun.objects.writable_by(user).filter(job=job, county_id=user.county_id).exists()


PAIRING = register(
    Kind(
        name=JobKind.PAIRING,
        run=_run,
        on_stop=_stopped,
        stalled_message=engine.STALLED_MESSAGE,
        failed_message=engine.FAILED_MESSAGE,
        may_cancel=_may_cancel,
    )
)
