"""The queue's tasks. Huey carries only a job id; lianxin.jobs.runner does the rest. Periodic
work is declared in lianxin.jobs.periodic, imported here so the worker schedules it."""

from __future__ import annotations

from django.db import close_old_connections, connection
from huey.contrib.djhuey import HUEY, task

from . import runner


@task(retries=0)
def run_job(job_id: int) -> None:
    close_old_connections()
    try:
        runner.execute(job_id)
    finally:
        # A worker process lives long: never keep a connection past its task.
        connection.close()


@task(retries=0)
def rebuild_rollup(county_id: int) -> None:
    """Rebuild a county's rates roll-up after a change too wide to mend in place
    (lianxin.visits.rollup.invalidate). One at a time per county: a second request while one
    runs is dropped, and the hourly keep_up_rollups catches what the running one missed."""
    from huey.exceptions import TaskLockedException

    from lianxin.visits import rollup

    close_old_connections()
    try:
        with HUEY.lock_task(f"lianxin.rebuild_rollup.{county_id}"):
            rollup.rebuild(county_id)
    except TaskLockedException:
        pass
    finally:
        connection.close()


@HUEY.on_startup()
def _at_start() -> None:
    """A worker starting after a crash: end what its predecessor left running, and hand the
    queue every job still queued (a queue on a lost disk, or messages that never made it)."""
    runner.autodiscover()
    runner.sweep()
    runner.hand_all_queued()


from . import periodic  # noqa: E402,F401  (registers the periodic tasks)
