"""A big import never blocks the county: while it runs, people log in (the real log-in view) and
others edit and register records through the do_* services, on SQLite (a file database in WAL
mode) and on PostgreSQL, and every one of those operations succeeds — no "database is locked",
no lock timeout. And an all-or-nothing import with one bad row writes nothing meanwhile.

The concurrent connections give up waiting for a lock after WAIT_SECONDS (production waits 20 s,
which an import of the whole county used to outlast): an import that held the write lock for
longer than that at a time would fail them here."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection
from django.db.backends.signals import connection_created
from django.test import Client

from lianxin.lib.idcard import compose
from lianxin.people.choices import Relation
from lianxin.people.models import Household, Resident
from lianxin.people.services import do_create_resident, do_update_household, do_update_resident
from lianxin.transfer.importers import import_people
from tests.factories import PASSWORD, build_world
from tests.transfer.files import RESIDENT_HEADER, resident, source

ROWS = 8000
BATCH = 1000
WAIT_SECONDS = 5
# Between two operations of a worker: five workers keep the database busier than a township's
# offices do, without queueing behind each other.
PACE_SECONDS = 0.1
WORKER = "concurrent-"
# How long the import waits between two batches for each worker to get one operation through.
GATE_SECONDS = 30


def _short_lock_waits(sender, connection, **kwargs):
    if not threading.current_thread().name.startswith(WORKER):
        return
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA busy_timeout = {WAIT_SECONDS * 1000}")
        elif connection.vendor == "postgresql":
            cursor.execute(f"SET lock_timeout = '{WAIT_SECONDS}s'")


def rows(*, bad_last: bool):
    """ROWS residents in households of four, all new; the last row bad when asked."""
    out = []
    for i in range(ROWS):
        out.append(
            resident(
                f"510184310000{i // 4:05d}",
                "郑一" if i % 4 == 0 else "郑二",
                compose("510184", dt.date(1940, 1, 1) + dt.timedelta(days=i), 61),
                "户主" if i % 4 == 0 else "子女",
                address=f"大坪村6组{i // 4}号",
            )
        )
    if bad_last:
        out[-1][1] = "无此镇"
    return out


def keep_pace(workers: list[Worker]) -> Callable[[], None]:
    """The import's check() between batches: until every worker has done a few operations while
    the import runs, wait for each to do one more. So the operations interleave with the import
    on a loaded machine too (a log-in hashes its password for a good part of a second), and a
    worker kept waiting by the import shows as a lock timeout, not as a count that came short."""

    def check() -> None:
        marks = [worker.during_import for worker in workers]
        deadline = time.monotonic() + GATE_SECONDS
        while time.monotonic() < deadline:
            if all(
                w.during_import >= 3 or w.during_import > m
                for w, m in zip(workers, marks, strict=True)
            ):
                return
            if any(w.failures for w in workers):
                return
            time.sleep(0.02)

    return check


class Worker(threading.Thread):
    """Repeats one operation until told to stop, recording each outcome."""

    def __init__(self, name: str, operation: Callable[[int], None]):
        super().__init__(name=f"{WORKER}{name}")
        self.operation = operation
        self.stop = threading.Event()
        self.done = 0
        self.during_import = 0
        self.failures: list[BaseException] = []
        self.importing: threading.Event | None = None

    def run(self):
        try:
            for n in itertools.count():
                if self.stop.is_set():
                    return
                running = self.importing is not None and self.importing.is_set()
                try:
                    self.operation(n)
                except BaseException as exc:
                    self.failures.append(exc)
                else:
                    self.done += 1
                    if running and self.importing is not None and self.importing.is_set():
                        self.during_import += 1
                time.sleep(PACE_SECONDS)
        finally:
            connection.close()


def log_in(username: str, address: str) -> Callable[[int], None]:
    def operation(n: int) -> None:
        client = Client(REMOTE_ADDR=address)
        response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
        assert response.status_code == 302, response.content[:300]
        assert client.session.get("_auth_user_id")

    return operation


def edit_resident(world) -> Callable[[int], None]:
    resident_row = Resident.objects.filter(household=world.household).order_by("pk").last()

    def operation(n: int) -> None:
        do_update_resident(resident_row, acting_user=world.township_staff, name=f"罗{n % 50}号")

    return operation


def edit_household(world) -> Callable[[int], None]:
    def operation(n: int) -> None:
        do_update_household(
            world.household2, acting_user=world.township_staff, address=f"大坪村7组{n}号"
        )

    return operation


def register(world) -> Callable[[int], None]:
    # Not into household2, which edit_household edits: on PostgreSQL a registration's foreign
    # key is checked at its commit, after it took the audit chain's head, while the household
    # edit holds the household and waits for that head — a deadlock of those two services
    # between themselves, with or without an import (reported to the lead).
    def operation(n: int) -> None:
        do_create_resident(
            household=world.household,
            name=f"新{n}",
            id_number=compose("510184", dt.date(2005, 1, 1) + dt.timedelta(days=n), 71),
            relation=Relation.CHILD,
            acting_user=world.village_staff,
        )

    return operation


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("mode", "bad_last"), [("all", False), ("good", False), ("all", True)], ids=str
)
def test_log_ins_and_edits_go_through_while_a_big_import_runs(mode, bad_last, settings):
    # Log-ins are rate limited per client and user name: these many are one office at work.
    settings.LIANXIN_LOGIN_IP_RATE_PER_MINUTE = 100_000
    settings.LIANXIN_LOGIN_USERNAME_RATE_PER_MINUTE = 100_000
    world = build_world()
    before = Resident.objects.count()
    connection_created.connect(_short_lock_waits)
    importing = threading.Event()
    workers = [
        Worker("login-1", log_in("wenjing", "127.0.0.11")),
        Worker("login-2", log_in("daping", "127.0.0.12")),
        Worker("edit-resident", edit_resident(world)),
        Worker("edit-household", edit_household(world)),
        Worker("register", register(world)),
    ]
    for worker in workers:
        worker.importing = importing
        worker.start()
    try:
        importing.set()
        started = time.monotonic()
        result = import_people(
            source(RESIDENT_HEADER, rows(bad_last=bad_last)),
            county=world.county,
            kind="residents",
            mode=mode,
            acting_user=world.township_staff,
            file_name="全镇.csv",
            batch_size=BATCH,
            check=keep_pace(workers),
        )
        seconds = time.monotonic() - started
        importing.clear()
    finally:
        for worker in workers:
            worker.stop.set()
        for worker in workers:
            worker.join(60)
        connection_created.disconnect(_short_lock_waits)

    failures = {worker.name: worker.failures[:3] for worker in workers if worker.failures}
    assert not failures, failures
    # Each kind of operation ran again and again while the import ran: between its batches the
    # import waited for them (keep_pace), up to GATE_SECONDS each time, which only an operation
    # kept waiting behind the import's write lock (or a broken worker) would use up.
    during = {worker.name: worker.during_import for worker in workers}
    assert all(n >= 3 for n in during.values()), (during, seconds)
    registered = workers[-1].done
    imported = Household.objects.filter(number__startswith="510184310000").count()
    if bad_last:
        assert result.bad_rows == 1 and not result.saved
        assert imported == 0
        assert Resident.objects.count() == before + registered
    else:
        assert result.bad_rows == 0 and result.residents_created == ROWS
        assert imported == ROWS // 4
        assert Resident.objects.count() == before + ROWS + registered
