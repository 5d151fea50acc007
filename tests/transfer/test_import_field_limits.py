"""The importers check each cell with the registry's own field rules (lianxin/core/fields.py):
a cell past its column's length, or holding a NUL, is a bad row naming the row and the column,
with the same message the pages and the API give, and the good rows still go in."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lianxin.lib.idcard import compose
from lianxin.people.models import Enterprise, Household, Resident
from lianxin.transfer import layouts as L
from lianxin.transfer.choices import JobStatus
from lianxin.transfer.importers import import_people
from lianxin.transfer.models import Job
from tests.factories import credit_code
from tests.transfer.files import (
    ENTERPRISE_HEADER,
    RESIDENT_HEADER,
    csv_bytes,
    enterprise,
    resident,
    source,
)


def ids(n: int) -> list[str]:
    return [compose("510184", dt.date(1985, 6, 1 + i), 300 + i) for i in range(n)]


def run(world, header, rows, kind: str):
    return import_people(
        source(header, rows),
        county=world.county,
        kind=kind,
        mode="good",
        acting_user=None,
        file_name="导入.xlsx",
    )


def test_it_reports_an_oversize_name_and_number_as_bad_rows(world):
    a, b, c = ids(3)
    rows = [
        resident("51018414000000001", "张" * 31, a),
        resident("H" * 31, "李四", b),
        resident("51018414000000003", "王五", c, address="村" * 121),
        resident("51018414000000004", "赵六", ids(4)[3]),
    ]

    result = run(world, RESIDENT_HEADER, rows, "residents")

    assert [(e.row, e.column, e.reason) for e in result.errors] == [
        (2, L.NAME, "姓名最多30个字符（现为31个）"),
        (3, L.NUMBER, "户号最多30个字符（现为31个）"),
        (4, L.ADDRESS, "住址最多120个字符（现为121个）"),
    ]
    assert result.residents_created == 1
    assert not Resident.objects.filter(name="张" * 31).exists()
    assert not Household.objects.filter(number="H" * 31).exists()


def test_it_reports_an_oversize_enterprise_name_as_a_bad_row(world):
    rows = [enterprise(credit_code(301), "企" * 101, "C"), enterprise(credit_code(302), "好企业")]

    result = run(world, ENTERPRISE_HEADER, rows, "enterprises")

    assert [(e.row, e.column, e.reason) for e in result.errors] == [
        (2, L.ENTERPRISE_NAME, "企业名称最多100个字符（现为101个）")
    ]
    assert list(Enterprise.objects.filter(county=world.county).values_list("name", flat=True)) == [
        "好企业"
    ]


def test_it_reports_a_cell_holding_a_nul_from_an_uploaded_file(world, login, inline_jobs):
    a, b = ids(2)
    data = csv_bytes(
        RESIDENT_HEADER,
        [resident("51018414000000010", "周\x00七", a), resident("51018414000000011", "吴八", b)],
    )

    login(world.township_staff).post(
        reverse("transfer:import"),
        {"file": SimpleUploadedFile("居民.csv", data), "data_kind": "residents", "mode": "good"},
    )

    job = Job.objects.get()
    assert job.status == JobStatus.DONE and job.counts["residents_created"] == 1
    assert job.errors == [[2, L.NAME, "姓名不能含空字符（\\0）"]]
