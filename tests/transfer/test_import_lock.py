"""An import takes its account's answer budget (people/disclosure.py) only for one batch of its
validation pass at a time: a registration by the same account while the import runs goes
through, one behind a held budget is refused within seconds rather than waiting, and an import
waiting for the budget keeps its job alive. A job the stall sweep has failed never commits
afterwards, nor is its status overwritten."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from time import monotonic

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.utils import timezone

from lianxin.audit.models import AuditEntry
from lianxin.core.errors import Refused
from lianxin.jobs import runner
from lianxin.jobs.choices import JobStatus as TaskStatus
from lianxin.jobs.models import Job as Task
from lianxin.lib.idcard import compose
from lianxin.people import disclosure
from lianxin.people.choices import Relation
from lianxin.people.models import Resident
from lianxin.people.services import do_create_resident
from lianxin.transfer.choices import JobStatus
from lianxin.transfer.importers import import_people
from lianxin.transfer.models import Job
from lianxin.transfer.services import STALLED_MESSAGE, _run_import, do_start_import
from tests.factories import build_world
from tests.transfer.files import RESIDENT_HEADER, csv_bytes, resident


class _Held:
    """Work in a thread of its own that stops at a point until released."""

    def __init__(self):
        self.holding = threading.Event()
        self.release = threading.Event()
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._run)

    def hold(self) -> None:
        self.holding.set()
        assert self.release.wait(60)

    def _run(self):
        try:
            self.work()
        except BaseException as exc:  # seen by the test, not lost in the thread
            self.failure = exc
        finally:
            connection.close()

    def work(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        self.thread.start()
        assert self.holding.wait(30), "the work never started"
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(60)
        assert not self.thread.is_alive()
        assert self.failure is None, self.failure


class _HeldImport(_Held):
    """A mode-"all" import that stops while reading its file, after its first row."""

    def __init__(self, world, user):
        super().__init__()
        self.world, self.user = world, user

    def _rows(self):
        yield 1, list(RESIDENT_HEADER)
        yield 2, resident("51018413000090001", "锁一", compose("510184", dt.date(1985, 2, 3), 41))
        self.hold()

    def work(self):
        import_people(
            self._rows(),
            county=self.world.county,
            kind="residents",
            mode="all",
            acting_user=self.user,
            file_name="长导入.csv",
        )


class _HeldBudget(_Held):
    """The account's answer budget taken by a transaction (as one batch of an import's
    validation pass takes it; on SQLite that is the write lock) and held until released."""

    def __init__(self, user):
        super().__init__()
        self.user = user

    def work(self):
        with transaction.atomic():
            disclosure.remaining(self.user)
            self.hold()


def _register(world, number):
    return do_create_resident(
        household=world.household,
        name="锁二",
        id_number=number,
        relation=Relation.CHILD,
        acting_user=world.village_staff,
    )


@pytest.mark.django_db(transaction=True)
def test_a_registration_while_the_accounts_import_runs_goes_through(client):
    world = build_world()
    client.force_login(world.village_staff)
    number = compose("510184", dt.date(1986, 4, 5), 51)
    other = compose("510184", dt.date(1986, 4, 6), 52)

    with _HeldImport(world, world.village_staff):
        started = monotonic()
        created = _register(world, number)
        response = client.post(
            f"/api/households/{world.household.pk}/residents",
            {"name": "锁三", "id_number": other, "relation": "child"},
            content_type="application/json",
        )
        elapsed = monotonic() - started

    assert created.name == "锁二"
    assert response.status_code == 201, response.content
    # Nothing waited for the import (which is still reading its file), not a timing assert:
    # before, both waited for the import's end and were refused.
    assert elapsed < 15
    assert Resident.objects.filter(name__startswith="锁").count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_registration_behind_the_accounts_held_budget_is_refused_promptly(client):
    world = build_world()
    client.force_login(world.village_staff)
    number = compose("510184", dt.date(1986, 4, 5), 51)
    if connection.vendor == "sqlite":
        # SQLite lets one writer in at a time: the create waits the busy timeout (20 s in
        # production), then is refused; shortened here so the test does not wait it out.
        expected = "有导入正在进行，暂时不能登记，请等其结束后再登记"
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout = 300")
    else:
        expected = "本账号有导入正在进行，请等其结束后再登记"
    try:
        with _HeldBudget(world.village_staff):
            started = monotonic()
            with pytest.raises(Refused) as caught:
                _register(world, number)
            response = client.post(
                f"/api/households/{world.household.pk}/residents",
                {"name": "锁二", "id_number": number, "relation": "child"},
                content_type="application/json",
            )
            elapsed = monotonic() - started
    finally:
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA busy_timeout = 20000")
    assert (caught.value.message, caught.value.status) == (expected, 409)
    assert response.status_code == 409
    assert response.json() == {"detail": expected, "field": "id_number"}
    assert elapsed < 15
    # Once the budget is let go the same registration goes through.
    assert _register(world, number).name == "锁二"


@pytest.mark.django_db(transaction=True)
def test_an_import_waiting_for_the_accounts_budget_keeps_its_job_alive(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no advisory lock: a second writer waits in BEGIN IMMEDIATE")
    world = build_world()
    monkeypatch.setattr(disclosure, "WAIT_POLL_SECONDS", 0.05, raising=False)
    beats: list[tuple[int, int | None]] = []
    done = threading.Event()

    def waiting_import():
        try:
            import_people(
                iter(
                    [
                        (1, list(RESIDENT_HEADER)),
                        (
                            2,
                            resident(
                                "51018413000090002",
                                "锁四",
                                compose("510184", dt.date(1985, 2, 4), 42),
                            ),
                        ),
                    ]
                ),
                county=world.county,
                kind="residents",
                mode="all",
                acting_user=world.village_staff,
                progress=lambda done, total: beats.append((done, total)),
            )
        finally:
            done.set()
            connection.close()

    with _HeldBudget(world.village_staff):
        waiting = threading.Thread(target=waiting_import)
        waiting.start()
        started = monotonic()
        while len(beats) < 3 and monotonic() - started < 10:
            threading.Event().wait(0.05)
        # The job's progress is reported again while it waits (nothing more done).
        assert beats[:3] == [(0, None)] * 3
        assert not done.is_set()
    waiting.join(30)
    assert done.is_set()
    assert Resident.objects.filter(name="锁四").exists()


def _swept_job(world, settings, mode):
    """A running import job the sweep fails before its worker gets to commit (it was waiting
    for the account's lock): what the worker holds is the job as it saw it, and its context."""
    settings.LIANXIN_JOB_MAX_ATTEMPTS = 1  # fails rather than queued again
    user = world.township_staff
    rows = [
        resident(
            f"5101841100000083{i}", f"扫{i}", compose("510184", dt.date(1981, 6, 1 + i), 300 + i)
        )
        for i in range(3)
    ]
    job = do_start_import(
        acting_user=user,
        upload=SimpleUploadedFile("扫描.csv", csv_bytes(RESIDENT_HEADER, rows)),
        data_kind="residents",
        mode=mode,
    )
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    Task.objects.filter(pk=job.task_id).update(
        status=TaskStatus.RUNNING,
        worker="elsewhere:1",
        attempts=1,
        heartbeat_at=timezone.now() - dt.timedelta(minutes=20),
    )
    worker = Job.objects.select_related("county", "created_by", "task").get(pk=job.pk)
    ctx = runner.JobContext(worker.task, "elsewhere:1")
    # The worker already has its upload open; the sweep removes the file (it holds full ID
    # numbers), which an open file outlives.
    upload_path = Path(worker.source.path)
    held = upload_path.read_bytes()
    assert runner.sweep()["failed"] == 1
    assert not upload_path.exists()
    upload_path.write_bytes(held)
    return worker, ctx


@pytest.mark.parametrize("mode", ["all", "good"])
def test_a_job_the_sweep_failed_neither_commits_nor_is_overwritten(world, settings, tmp_path, mode):
    settings.MEDIA_ROOT = tmp_path / "media"
    worker, ctx = _swept_job(world, settings, mode)

    with pytest.raises(runner.Cancelled):
        _run_import(worker, lambda rows: None, ctx)

    job = Job.objects.get(pk=worker.pk)
    assert (job.status, job.message) == (JobStatus.FAILED, STALLED_MESSAGE)
    assert not Resident.objects.filter(name__startswith="扫").exists()
    # One story in the log: the sweep's.
    entries = AuditEntry.objects.filter(action="批量导入居民")
    assert entries.count() == 1
    assert "任务中断" in entries.get().changes["stopped"][1]
