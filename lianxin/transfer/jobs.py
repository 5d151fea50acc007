"""Imports and exports as kinds of job. An import is resumable: its writes are idempotent
(re-running a file adds nothing), so a job whose worker died is run again from the start of its
file, up to LIANXIN_JOB_MAX_ATTEMPTS times. An export is not: its half-written file is removed
and the job fails (export again)."""

from __future__ import annotations

from lianxin.jobs.choices import JobKind
from lianxin.jobs.runner import Kind, register

from . import services

IMPORT = register(
    Kind(
        name=JobKind.IMPORT,
        run=services.run_job,
        on_stop=services.stopped,
        resumable=True,
        stalled_message=services.STALLED_MESSAGE,
    )
)
EXPORT = register(
    Kind(
        name=JobKind.EXPORT,
        run=services.run_job,
        on_stop=services.stopped,
        stalled_message=services.STALLED_MESSAGE,
    )
)
