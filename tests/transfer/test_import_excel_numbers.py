"""ID numbers, phones and 户号 that Excel stored as numbers are refused, never converted back:
Excel keeps 15 significant digits, so 510184195307048662 became 5.10184195307049E+17 in the
file, and turning that float into an integer gave another, valid ID number."""

import io

import pytest
from openpyxl import load_workbook

from lianxin.core.sensitive import hasher
from lianxin.core.tabular import iter_rows
from lianxin.people.models import Household, Resident
from lianxin.transfer import layouts as L
from lianxin.transfer.importers import import_people
from tests.transfer.files import RESIDENT_HEADER, csv_bytes, id_with, resident, xlsx_bytes

TRUE_ID = "510184195307048662"
# What the old reader made of the float: a different ID number that passes its check digit.
ROUNDED_ID = "510184195307049024"
MESSAGE = "该单元格被 Excel 存成了数字，请把这一列设为文本后重新填写"


def import_bytes(world, data: bytes, name: str, mode: str = "good"):
    return import_people(
        iter_rows(io.BytesIO(data), name),
        county=world.county,
        kind="residents",
        mode=mode,
        acting_user=world.township_staff,
        file_name=name,
    )


def test_it_refuses_an_id_number_excel_stored_as_a_float(world):
    row = resident("51018411000009101", "龙一", TRUE_ID)
    row[7] = 5.10184195307049e17  # type: ignore[call-overload]

    result = import_bytes(world, xlsx_bytes(RESIDENT_HEADER, [row]), "居民.xlsx")

    assert [(e.row, e.column, e.reason) for e in result.errors] == [(2, L.ID_NUMBER, MESSAGE)]
    assert result.residents_created == 0
    hashes = [hasher().hash(TRUE_ID), hasher().hash(ROUNDED_ID)]
    assert not Resident.objects.filter(id_number_hash__in=hashes).exists()
    assert not Household.objects.filter(number="51018411000009101").exists()


def test_it_refuses_phones_and_household_numbers_stored_as_numbers(world):
    good = resident("51018411000009102", "龙二", _valid_id())
    numeric = list(good)
    numeric[0] = 510184110001  # 户号 as an integer
    numeric[9] = 13800000000  # phone as an integer
    # A column that is not text-only still reads a number: the group typed as a bare 6.
    grouped = resident("51018411000009104", "龙四", id_with("51018419800301013"))
    grouped[3] = 6

    result = import_bytes(world, xlsx_bytes(RESIDENT_HEADER, [numeric, grouped]), "居民.xlsx")

    assert sorted((e.row, e.column, e.reason) for e in result.errors) == sorted(
        [(2, L.NUMBER, MESSAGE), (2, L.PHONE, MESSAGE)]
    )
    assert result.residents_created == 1 and result.bad_rows == 1
    assert Household.objects.get(number="51018411000009104").region == world.group


@pytest.mark.parametrize("cell", ["5.10184E+17", "5.10184195307049E+17", "5.10184195307049e17"])
def test_it_refuses_a_csv_cell_excel_wrote_in_scientific_notation(world, cell):
    data = csv_bytes(RESIDENT_HEADER, [resident("51018411000009103", "龙三", cell)])

    result = import_bytes(world, data, "居民.csv")

    assert [(e.row, e.column, e.reason) for e in result.errors] == [(2, L.ID_NUMBER, MESSAGE)]
    assert not Household.objects.filter(number="51018411000009103").exists()


def test_it_formats_the_text_only_columns_of_the_template_as_text(world, login):
    client = login(world.township_staff)
    book = load_workbook(io.BytesIO(client.get("/transfer/template/residents/xlsx/").content))
    sheet = book.worksheets[0]
    titles = [c.value.lstrip("*") for c in sheet[1]]
    formats = {
        title: sheet.column_dimensions[chr(ord("A") + i)].number_format
        for i, title in enumerate(titles)
    }
    assert set(L.RESIDENTS.text_titles) == {L.NUMBER, L.ID_NUMBER, L.PHONE}
    assert all(formats[title] == "@" for title in L.RESIDENTS.text_titles)
    assert formats[L.NAME] == "General"


def _valid_id() -> str:
    return id_with("51018419800301012")
