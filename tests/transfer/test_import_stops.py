"""An import that meets an unreadable line reports it as a bad row; an import that stops part-way
(a limit, a crash) leaves an audit row saying what it saved, and its job shows the counts. One
that stops while its file is being checked has saved nothing, in either mode; one that stops
while writing keeps the batches it committed."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lianxin.audit.models import AuditEntry
from lianxin.core.tabular import ReadLimits, iter_rows
from lianxin.lib.idcard import compose
from lianxin.people.models import Household, Resident
from lianxin.transfer.choices import JobStatus
from lianxin.transfer.importers import ImportStopped, import_people
from lianxin.transfer.models import Job
from tests.transfer.files import RESIDENT_HEADER, csv_bytes, resident, source


def rows(n: int):
    return [
        resident(
            f"510184160000{i:05d}",
            "钟一",
            compose("510184", dt.date(1960, 1, 1) + dt.timedelta(days=i), 21),
            address="大坪村6组",
        )
        for i in range(n)
    ]


def csv_with_a_gbk_byte(n: int, bad_at: int) -> bytes:
    """A UTF-8 .csv whose row `bad_at` (0-based data row) has its name in GBK, past 64 KiB."""
    data = csv_bytes(RESIDENT_HEADER, rows(n))
    lines = data.split(b"\r\n")
    assert len(b"\r\n".join(lines[: bad_at + 1])) > 65536
    lines[bad_at + 1] = lines[bad_at + 1].replace("钟一".encode(), "钟一".encode("gbk"))
    return b"\r\n".join(lines)


def upload(client, data: bytes, name: str, mode: str):
    return client.post(
        reverse("transfer:import"),
        {"file": SimpleUploadedFile(name, data), "data_kind": "residents", "mode": mode},
    )


def test_it_reports_an_undecodable_line_as_a_bad_row_and_saves_the_rest(world, login, inline_jobs):
    data = csv_with_a_gbk_byte(1200, bad_at=1000)

    upload(login(world.township_staff), data, "居民.csv", mode="good")

    job = Job.objects.get()
    assert job.status == JobStatus.DONE and job.saved
    assert job.counts["residents_created"] == 1199 and job.counts["bad_rows"] == 1
    [(row, column, reason)] = job.errors
    assert (row, column) == (1002, "姓名")
    assert "不是 UTF-8 编码" in reason
    assert not Household.objects.filter(number="51018416000001000").exists()
    assert Household.objects.filter(number="51018416000001001").exists()
    audit = AuditEntry.objects.get(action="批量导入居民")
    assert audit.changes["residents_created"] == [None, 1199]


def test_it_saves_nothing_for_an_undecodable_line_in_mode_all(world, login, inline_jobs):
    before = Resident.objects.count()

    upload(login(world.township_staff), csv_with_a_gbk_byte(1200, 1000), "居民.csv", mode="all")

    job = Job.objects.get()
    assert job.status == JobStatus.DONE and not job.saved
    assert [e[0] for e in job.errors] == [1002]
    assert Resident.objects.count() == before


def crashing(n_good: int):
    """A source that yields good rows and then fails, as a reader that dies mid-file."""
    yield from source(RESIDENT_HEADER, rows(n_good))
    raise OSError("磁盘读取错误")


@pytest.mark.parametrize("mode", ["all", "good"])
def test_a_reader_that_dies_while_the_file_is_checked_saves_nothing(world, mode):
    with pytest.raises(ImportStopped) as exc:
        import_people(
            crashing(5),
            county=world.county,
            kind="residents",
            mode=mode,
            acting_user=world.township_staff,
            file_name="居民.csv",
            batch_size=2,
        )

    result = exc.value.result
    # Two full batches were checked; the third was being pulled when the reader died.
    assert not result.saved and result.residents_created == 0 and result.rows_read == 4
    assert not Household.objects.filter(number__startswith="510184160000").exists()
    assert "OSError" in exc.value.message and "本次未保存任何数据" in exc.value.message
    audit = AuditEntry.objects.get(action="批量导入居民")
    assert audit.actor == world.township_staff
    assert audit.changes["residents_created"] == [None, 0]
    assert audit.changes["saved"] == [None, False]
    assert "读到第6行时停止" in audit.changes["stopped"][1]


class _BatchFailure(Exception):
    pass


@pytest.mark.parametrize("mode", ["all", "good"])
def test_it_audits_what_an_import_that_crashed_while_writing_saved(world, mode):
    checkpoints = []

    def on_batch(rows_written, counts):
        if checkpoints:
            raise _BatchFailure("second batch")
        checkpoints.append((rows_written, counts["residents_created"]))

    with pytest.raises(ImportStopped) as exc:
        import_people(
            source(RESIDENT_HEADER, rows(5)),
            county=world.county,
            kind="residents",
            mode=mode,
            acting_user=world.township_staff,
            file_name="居民.csv",
            batch_size=2,
            on_batch=on_batch,
        )

    result = exc.value.result
    # The first batch committed with its checkpoint; the second was rolled back as a whole.
    assert checkpoints == [(2, 2)]
    assert result.saved and result.residents_created == 2
    assert Household.objects.filter(number__startswith="510184160000").count() == 2
    assert "_BatchFailure" in exc.value.message and "停止前已保存" in exc.value.message
    audit = AuditEntry.objects.get(action="批量导入居民")
    assert audit.changes["residents_created"] == [None, 2]
    assert audit.changes["saved"] == [None, True]
    assert "保存到第5行时停止" in audit.changes["stopped"][1]


def test_it_audits_an_import_stopped_by_a_limit_part_way(world):
    data = csv_bytes(RESIDENT_HEADER, rows(7))
    with pytest.raises(ImportStopped, match="文件超过每个文件最多 4 行的限制"):
        import_people(
            iter_rows(io.BytesIO(data), "居民.csv", ReadLimits(rows=4)),
            county=world.county,
            kind="residents",
            mode="good",
            acting_user=world.township_staff,
            file_name="居民.csv",
            batch_size=2,
        )
    # The file is read to its end before anything is written: nothing was saved.
    assert not Household.objects.filter(number__startswith="510184160000").exists()
    audit = AuditEntry.objects.get(action="批量导入居民")
    assert audit.changes["residents_created"] == [None, 0]
    assert audit.changes["saved"] == [None, False]


def test_a_job_that_stopped_while_checking_its_file_shows_it_saved_nothing(
    world, login, inline_jobs
):
    # One field past the csv module's 131,072-character limit: the reader stops at that row.
    data = csv_bytes(RESIDENT_HEADER, rows(2500))
    data += ('"' + "x" * 140_000 + "\n" + '"').encode()

    upload(login(world.township_staff), data, "居民.csv", mode="good")

    job = Job.objects.get()
    assert job.status == JobStatus.FAILED and not job.saved
    # The first batch of 2,000 rows was checked; the reader stopped while the second was read.
    assert job.counts["rows_read"] == 2000 and job.counts["residents_created"] == 0
    assert "本次未保存任何数据" in job.message and "第2502行无法按 CSV 格式读取" in job.message
    assert not Household.objects.filter(number__startswith="510184160000").exists()
    page = login(world.township_staff).get(reverse("transfer:job_detail", args=[job.pk]))
    assert "新建居民" in page.content.decode()
