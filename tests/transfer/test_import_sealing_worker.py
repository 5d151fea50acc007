"""A long import seals its rows (ID numbers and phones encrypted, hashed and masked, names
spelled) in a worker process one batch ahead while its own process checks the batch in hand:
the result is the one the import gives sealing in its own process, row for row, error for
error, and a source that fails stops the import at the same row."""

from __future__ import annotations

import dataclasses
import datetime as dt
import multiprocessing

import pytest
from django.db import transaction

from lianxin.core.sensitive import unseal_field
from lianxin.lib.idcard import compose
from lianxin.people.models import Resident
from lianxin.transfer.importers import ImportStopped, import_people
from lianxin.transfer.sealing_pool import cores
from tests.transfer.files import RESIDENT_HEADER, resident, source

pytestmark = pytest.mark.skipif(cores() < 2, reason="the worker runs only with a second core")

NAMES = ("程一", "张三丰", "单于飞", "曾国藩", "王 小明", "Li Lei", "长春", "")


def rows(n: int) -> list[list[str]]:
    out = []
    for i in range(n):
        id_number = compose("510184", dt.date(1950, 1, 1) + dt.timedelta(days=i), 31)
        if i % 7 == 3:
            id_number = id_number[:17] + ("0" if id_number[17] != "0" else "1")  # check digit
        if i % 11 == 5:
            id_number = id_number[:6]  # too short
        phone = ("13812345678", "", "1381234567", "+86 139-1234-5678", "12345678901")[i % 5]
        out.append(
            resident(
                f"510184130000{i:05d}",
                NAMES[i % len(NAMES)],
                id_number,
                township="文井江镇",
                phone=phone,
            )
        )
    # The same ID number twice, a batch apart: reported across the worker's batches too.
    out.append(resident("51018413000099999", "程二", out[0][7], phone="13912345678"))
    return out


def run(world, data, *, worker_from, check=None, **kw):
    return import_people(
        data,
        county=world.county,
        kind="residents",
        mode="good",
        acting_user=world.township_staff,
        file_name="居民.csv",
        batch_size=5,
        sealing_worker_from=worker_from,
        check=check,
        **kw,
    )


def imported() -> list[tuple]:
    residents = Resident.objects.filter(household__number__startswith="51018413000").order_by(
        "household__number"
    )
    return [
        (
            r.household.number,
            r.name,
            r.name_initials,
            unseal_field(r, "id_number"),
            r.id_number_hash,
            r.id_number_masked,
            unseal_field(r, "phone"),
            r.phone_hash,
            r.phone_masked,
            r.sex,
            r.birth_year,
        )
        for r in residents
    ]


class _Undone(Exception):
    pass


def test_it_seals_in_a_worker_process_as_it_does_in_its_own(world):
    data = rows(40)
    # Sealed in this process, then rolled back: what the worker's import must give.
    try:
        with transaction.atomic():
            here = run(world, source(RESIDENT_HEADER, data), worker_from=None)
            expected = imported()
            raise _Undone()
    except _Undone:
        pass
    assert not imported()

    workers = []
    result = run(
        world,
        source(RESIDENT_HEADER, data),
        worker_from=10,
        check=lambda: workers.append(len(multiprocessing.active_children())),
    )

    # The first two batches were sealed here, then a worker process sealed the rest.
    assert workers[:2] == [0, 0] and max(workers) == 1
    assert imported() == expected
    assert result.counts() == here.counts()
    assert [dataclasses.astuple(e) for e in result.errors] == [
        dataclasses.astuple(e) for e in here.errors
    ]
    assert here.residents_created > 15 and here.bad_rows > 10
    # The worker is gone with the import.
    assert not multiprocessing.active_children()


def crashing(data):
    yield from source(RESIDENT_HEADER, data)
    raise OSError("磁盘读取错误")


@pytest.mark.parametrize("worker_from", [None, 5])
def test_a_source_that_fails_stops_at_the_same_row_with_the_worker(world, worker_from):
    """The worker's import reads one batch ahead: the source's failure still comes out after
    the full batches before it were checked (the one it was pulling is not), naming the row it
    stopped at."""
    with pytest.raises(ImportStopped) as exc:
        run(world, crashing(rows(23)[:23]), worker_from=worker_from)

    result = exc.value.result
    assert result.rows_read == 20 and not result.saved
    assert "读到第24行时停止" in result.stopped
    assert not imported()
    assert not multiprocessing.active_children()
