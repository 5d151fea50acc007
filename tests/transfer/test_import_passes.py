"""An import checks its whole file before it writes anything, then writes batch by batch, each
batch committed on its own: a job runner can follow it (progress), store its checkpoint with
each batch (on_batch), stop it between batches (check) and resume it (start_at) without adding
anything twice. A row that another user's change makes wrong between the two passes is a
conflict: reported in mode "good", a stop in mode "all"."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from lianxin.audit.models import AuditEntry
from lianxin.core.sensitive import unseal_field
from lianxin.lib.idcard import compose
from lianxin.people.choices import Relation
from lianxin.people.models import Household, Resident
from lianxin.people.services import do_create_resident, do_update_resident
from lianxin.transfer.importers import CONFLICT_MESSAGE, ImportStopped, import_people
from tests.factories import build_world
from tests.transfer.files import RESIDENT_HEADER, resident, source


class Cancelled(Exception):
    """What a job runner raises from check() (its own exception, not the importer's)."""


def rows(n: int, *, start: int = 0, bad_at: tuple[int, ...] = ()):
    """n one-person households 51018412000000000…; the rows at `bad_at` (0-based) name no township."""
    out = []
    for i in range(start, start + n):
        out.append(
            resident(
                f"510184120000{i:05d}",
                "程一",
                compose("510184", dt.date(1950, 1, 1) + dt.timedelta(days=i), 31),
                township="无此镇" if i - start in bad_at else "文井江镇",
            )
        )
    return out


def run(world, data, *, mode, **kw):
    kw.setdefault("batch_size", 10)
    return import_people(
        source(RESIDENT_HEADER, data),
        county=world.county,
        kind="residents",
        mode=mode,
        acting_user=kw.pop("user", world.township_staff),
        file_name="分批.csv",
        **kw,
    )


def imported() -> int:
    return Household.objects.filter(number__startswith="510184120000").count()


def test_it_checks_every_row_of_the_file_before_writing_any(world):
    seen: list[tuple[int, int]] = []

    def check():
        # Called between batches: the first pass has written nothing at any of them.
        seen.append((imported(), Resident.objects.filter(name="程一").count()))

    result = run(world, rows(45), mode="all", check=check)

    # 5 batches checked, then 5 written.
    assert seen[:5] == [(0, 0)] * 5
    assert [n for n, _ in seen[5:]] == [10, 20, 30, 40, 45]
    assert result.saved and result.residents_created == 45 and imported() == 45


@pytest.mark.parametrize("mode", ["all", "good"])
def test_it_reports_bad_rows_found_against_the_database_in_the_checking_pass(world, mode):
    known = unseal_field(Resident.objects.get(household=world.household2), "id_number")
    data = rows(25)
    # In the last batch, after two batches of good rows: an ID number registered in another
    # household (in scope, so it is named), and a township that does not exist.
    data[23] = resident("51018412000000023", "程一", known)
    data[24] = resident("51018412000000024", "程一", data[24][7], township="无此镇")

    result = run(world, data, mode=mode)

    assert [(e.row, e.column) for e in result.errors] == [(25, "身份证号"), (26, "乡镇（街道）")]
    assert "已登记在户号“51018411000000002”" in result.errors[0].reason
    assert result.bad_rows == 2
    if mode == "all":
        assert not result.saved and imported() == 0
        assert not AuditEntry.objects.filter(action="批量导入居民").exists()
    else:
        assert result.saved and imported() == 23


@pytest.mark.django_db(transaction=True)
def test_each_written_batch_is_committed_and_others_write_between_batches():
    world = build_world()
    seen: list[int] = []
    failures: list[BaseException] = []
    resident_row = Resident.objects.filter(household=world.household2).get()

    def between_batches():
        if len(seen) < 3:
            seen.append(-1)
            return

        # On another connection: what the import committed, and a write of its own (which on
        # SQLite needs the write lock the import must not hold here).
        def other():
            try:
                seen.append(imported())
                do_update_resident(
                    resident_row, acting_user=world.township_staff, name=f"张{len(seen)}"
                )
            except BaseException as exc:
                failures.append(exc)
            finally:
                connection.close()

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(30)
        assert not thread.is_alive()

    result = run(world, rows(30), mode="all", check=between_batches)

    assert not failures, failures
    assert result.residents_created == 30
    assert seen == [-1, -1, -1, 10, 20, 30]
    assert AuditEntry.objects.filter(action="修改居民信息").count() >= 3


def test_it_reports_progress_over_both_passes(world):
    seen: list[tuple[int, int | None]] = []

    run(world, rows(25), mode="all", progress=lambda done, total: seen.append((done, total)))
    run(
        world,
        rows(25, start=100),
        mode="all",
        rows_total=25,
        progress=lambda done, total: seen.append((done, total)),
    )

    first, second = seen[: len(seen) // 2], seen[len(seen) // 2 :]
    # Without a hint the total is known once the file has been checked.
    assert first == [(10, None), (20, None), (25, None), (35, 50), (45, 50), (50, 50), (50, 50)]
    assert second[0] == (10, 50) and second[-1] == (50, 50)


def test_a_bad_row_in_mode_all_completes_the_progress_without_writing(world):
    seen: list[tuple[int, int | None]] = []

    run(world, rows(15, bad_at=(14,)), mode="all", progress=lambda *a: seen.append(a))

    assert seen == [(10, None), (15, None), (30, 30)]
    assert imported() == 0


def test_a_cancel_while_checking_comes_out_unchanged_and_saves_nothing(world):
    calls = []

    def check():
        calls.append(1)
        if len(calls) == 2:
            raise Cancelled("用户取消")

    with pytest.raises(Cancelled):
        run(world, rows(45), mode="good", check=check)

    assert imported() == 0
    audit = AuditEntry.objects.get(action="批量导入居民")
    assert audit.changes["saved"] == [None, False]
    assert "导入已中止（Cancelled）" in audit.changes["stopped"][1]


@pytest.mark.parametrize("mode", ["all", "good"])
def test_a_cancelled_import_resumes_from_its_checkpoint_and_adds_nothing_twice(world, mode):
    checkpoint: dict = {}
    calls = []

    def on_batch(rows_written, counts):
        checkpoint.update(rows_written=rows_written, counts=counts)

    def check():
        calls.append(1)
        # Five batches checked, then two written: cancelled between the writes.
        if len(calls) == 7:
            raise Cancelled()

    data = rows(45, bad_at=(3,) if mode == "good" else ())
    with pytest.raises(Cancelled):
        run(world, data, mode=mode, on_batch=on_batch, check=check)

    assert checkpoint["rows_written"] == 20
    assert (
        imported() == checkpoint["counts"]["households_created"] == (19 if mode == "good" else 20)
    )

    result = run(
        world,
        data,
        mode=mode,
        on_batch=on_batch,
        start_at=checkpoint["rows_written"],
        counts_at_start=checkpoint["counts"],
    )

    expected = 44 if mode == "good" else 45
    assert imported() == expected
    assert Resident.objects.filter(name="程一").count() == expected
    # The counts of the whole import, both runs together.
    assert result.households_created == result.residents_created == expected
    assert result.unchanged == 0 and checkpoint["rows_written"] == 45
    # And running the file from the start again adds nothing.
    again = run(world, data, mode=mode)
    assert again.residents_created == 0 and again.unchanged == expected
    assert imported() == expected


def test_a_resumed_import_without_the_checkpoint_completes_from_the_start(world):
    """A job that lost its checkpoint is run again from the start: the rows the first run wrote
    are found and left alone."""

    def on_batch(rows_written, counts):
        if rows_written == 20:
            raise OSError("磁盘写入错误")

    with pytest.raises(ImportStopped):
        run(world, rows(30), mode="all", on_batch=on_batch)
    assert imported() == 10

    result = run(world, rows(30), mode="all")

    assert (result.residents_created, result.unchanged) == (20, 10)
    assert imported() == 30


def _register_meanwhile(world, number_of_row: str):
    """A check() that, once the file has been checked, registers the ID number of one of its
    rows in another household: another user's change between the two passes."""
    calls = []

    def check():
        calls.append(1)
        if len(calls) == 3:  # after the third (last) batch of the checking pass
            do_create_resident(
                household=world.household2,
                name="插队",
                id_number=number_of_row,
                relation=Relation.CHILD,
                acting_user=world.township_staff,
            )

    return check


def test_a_conflict_found_while_writing_is_reported_in_mode_good(world):
    data = rows(25)
    check = _register_meanwhile(world, data[15][7])

    result = run(world, data, mode="good", check=check)

    assert result.saved and imported() == 24
    assert [(e.row, e.reason) for e in result.errors] == [(17, CONFLICT_MESSAGE)]
    assert result.bad_rows == 1
    assert Resident.objects.get(name="插队").household == world.household2


def test_a_conflict_found_while_writing_stops_an_import_in_mode_all(world):
    data = rows(25)
    check = _register_meanwhile(world, data[15][7])

    with pytest.raises(ImportStopped) as exc:
        run(world, data, mode="all", check=check)

    assert exc.value.status == 409
    assert "第17行保存时与同时进行的其他修改冲突" in exc.value.message
    # The batch before it stays written; the import can be run again once the file is right.
    assert imported() == 10 and exc.value.result.saved
    assert "重新导入同一文件会补全其余的行" in exc.value.message
    audit = AuditEntry.objects.get(action="批量导入居民")
    assert audit.changes["saved"] == [None, True]
    assert "保存到第21行时停止" in audit.changes["stopped"][1]


def test_it_writes_whole_checked_batches_together_up_to_the_write_batch_size(world):
    """A long file's write transactions join checked batches (fewer SQLite pauses); each
    commits its checkpoint, the last joined batch's end, and the last one holds the rest."""
    checkpoints = []

    def on_batch(rows_written, counts):
        checkpoints.append((rows_written, counts["residents_created"]))

    result = run(
        world,
        rows(65, bad_at=(12,)),
        mode="good",
        on_batch=on_batch,
        write_batch_size=25,
    )

    assert checkpoints == [(30, 29), (60, 59), (65, 64)]
    assert result.residents_created == imported() == 64
