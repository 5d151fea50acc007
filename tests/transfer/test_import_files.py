"""The same import from the file kinds offices send: .xlsx, UTF-8 .csv, GB18030 .csv, and the
template downloaded from the page, filled in."""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from lianxin.core.errors import Refused
from lianxin.core.tabular import iter_rows
from lianxin.lib.idcard import compose
from lianxin.people.models import Household, Resident
from lianxin.transfer.importers import import_people
from tests.transfer.files import RESIDENT_HEADER, csv_bytes, resident, xlsx_bytes


def rows():
    a, b = (compose("510184", dt.date(1985, 6, 1 + i), 300 + i) for i in range(2))
    return [
        resident(
            "51018411000009001",
            "欧阳娜娜",
            a,
            "户主",
            hardship="留守老人",
            address="大坪村6组5号",
            phone="138 0000 9999",
        ),
        resident(
            "51018411000009001", "欧阳小", b, "孙子女", hardship="留守老人", address="大坪村6组5号"
        ),
    ]


def import_bytes(world, data: bytes, name: str):
    return import_people(
        iter_rows(io.BytesIO(data), name),
        county=world.county,
        kind="residents",
        mode="all",
        acting_user=None,
        file_name=name,
    )


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("居民.xlsx", lambda: xlsx_bytes(RESIDENT_HEADER, rows())),
        ("居民.csv", lambda: csv_bytes(RESIDENT_HEADER, rows())),
        ("居民-gb18030.csv", lambda: csv_bytes(RESIDENT_HEADER, rows(), encoding="gb18030")),
    ],
)
def test_it_imports_xlsx_and_csv_in_utf8_and_gb18030(world, name, make):
    result = import_bytes(world, make(), name)
    assert result.errors == []
    assert result.residents_created == 2
    household = Household.objects.get(number="51018411000009001")
    assert sorted(household.members.values_list("name", flat=True)) == ["欧阳娜娜", "欧阳小"]
    assert Resident.objects.get(name="欧阳娜娜").phone_masked == "138****9999"

    again = import_bytes(world, make(), name)
    assert again.unchanged == 2 and again.residents_created == 0


def test_it_imports_the_downloaded_template_filled_in(world, login):
    client = login(world.city_admin)
    response = client.get("/transfer/template/residents/xlsx/")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]][:2] == ["*户号", "*乡镇（街道）"]
    assert book.sheetnames[1] == "填写说明"
    for row in rows():
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)

    result = import_bytes(world, out.getvalue(), "居民导入模板.xlsx")
    assert result.errors == [] and result.residents_created == 2


def test_it_serves_the_csv_templates_with_a_bom(world, login):
    client = login(world.village_staff)
    residents = client.get("/transfer/template/residents/csv/")
    enterprises = client.get("/transfer/template/enterprises/csv/")
    assert residents.content.decode("utf-8").startswith(
        "\ufeff*户号,*乡镇（街道）,*村（社区）,组,住址"
    )
    assert enterprises.content.decode("utf-8").startswith(
        "\ufeff*统一社会信用代码,*企业名称,*行业门类"
    )
    assert "attachment" in residents["Content-Disposition"]
    assert client.get("/transfer/template/cadres/csv/").status_code == 404


def test_it_refuses_a_file_of_another_kind(world):
    with pytest.raises(Refused, match="不支持的文件类型"):
        import_bytes(world, b"x", "居民.txt")
