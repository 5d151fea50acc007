"""The coverage lists as .xlsx: the page's filters and scope, masked values only, audited."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from lianxin.audit.models import AuditEntry
from lianxin.core.sheets import HEADING_ROWS, TOTALS_LABEL
from lianxin.org.services import do_create_cadre
from lianxin.pairing.services import do_pair
from lianxin.people.choices import HardshipKind
from lianxin.people.services import do_add_hardship

URL = reverse("pairing:coverage_export")
# Whole numbers only: a 户号 is 17 digits (people.numbering), and holds phone-like runs.
ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
FULL_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def _trimmed(row) -> list:
    row = list(row)
    while row and row[-1] is None:
        row.pop()
    return row


def sheets(response, *, totals: list | None = None) -> dict[str, list[list]]:
    """Every sheet of a downloaded workbook as rows of cell values: the table's header first
    (the title and filters rows above it left out), its totals row put in `totals`."""
    assert response.status_code == 200, response.content[:300]
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    try:
        # Trailing empty cells left out: a reader pads rows to the sheet's stated dimension.
        out = {ws.title: [_trimmed(r) for r in ws.iter_rows(values_only=True)] for ws in book}
    finally:
        book.close()
    for title, rows in out.items():
        if title != "说明":
            rows[:] = rows[HEADING_ROWS:]
            if rows[-1][0] == TOTALS_LABEL:
                found = rows.pop()
                if totals is not None:
                    totals[:] = found
    return out


def first_sheet(response, *, totals: list | None = None) -> list[list]:
    return next(iter(sheets(response, totals=totals).values()))


def test_it_exports_households_without_a_cadre(world, login):
    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    do_add_hardship(world.household2, kind=HardshipKind.SUBSISTENCE, acting_user=None)
    response = login(world.city_admin).get(URL, {"list": "households"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    book = sheets(response)
    rows = book["未结对的户"]
    assert rows[0][:5] == ["户号", "乡镇（街道）", "村（社区）", "组", "户主"]
    assert [r[0] for r in rows[1:]] == ["51018411000000002", "51018411000000101"]
    assert rows[1][2:5] == ["大坪村", "7组", "张三丰"] and rows[1][6] == "低保"
    assert "****" in rows[1][5]
    about = dict((r[0], r[1]) for r in book["说明"][1:])
    assert about["清单"] == "未结对的户" and about["行数"] == 2


def test_it_never_exports_an_id_number_or_a_full_phone(world, login):
    client = login(world.city_admin)
    for name in ("households", "cadres", "villages", "townships", "regions", "units"):
        for sheet in sheets(client.get(URL, {"list": name})).values():
            text = " ".join(str(c) for row in sheet for c in row if c is not None)
            assert not ID_NUMBER.search(text) and not FULL_PHONE.search(text), name


def test_it_exports_cadres_by_load(world, login):
    idle = do_create_cadre(
        unit=world.other_unit, staff_no="C0002", name="周闲", phone="13700000002", acting_user=None
    )
    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    client = login(world.city_admin)
    rows = first_sheet(client.get(URL, {"list": "cadres"}))
    assert rows[0][:3] == ["人员编号", "姓名", "单位"]
    assert [r[1] for r in rows[1:]] == [idle.name]
    assert rows[1][4] == "137****0002" and rows[1][5:] == [0, 5, 15]
    rows = first_sheet(client.get(URL, {"list": "cadres", "load": "under"}))
    assert [r[1] for r in rows[1:]] == ["马林增"]


def test_it_exports_the_region_and_unit_tables(world, login):
    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    client = login(world.city_admin)
    totals: list = []
    rows = first_sheet(client.get(URL, {"list": "regions"}), totals=totals)
    assert rows[1] == ["文井江镇", "（全乡镇）", "李市长", 2, 1, 1, 50.0]
    # The township rows add up (their villages are inside them); the rate is of the sums.
    assert totals == [TOTALS_LABEL, None, None, 3, 1, 2, 33.3]
    assert ["文井江镇", "大坪村", "中共崇州市委宣传部", 2, 1, 1, 50.0] in rows
    # No rate when there is nothing to cover: the cell stays empty.
    assert ["文井江镇", "双河村", "（无责任单位）", 0, 0, 0] in rows
    assert ["道明镇", "（全乡镇）", "（无市级领导联系）", 1, 0, 1, 0.0] in rows
    rows = first_sheet(client.get(URL, {"list": "units"}))
    propaganda = next(r for r in rows if r[0] == "中共崇州市委宣传部")
    assert propaganda[1:7] == ["大坪村", "5–15", 1, 1, 0, 1]
    assert propaganda[-3:] == [2, 1, 50.0]
    rows = first_sheet(client.get(URL, {"list": "villages"}))
    assert rows[1:] == [["文井江镇", "双河村", None, 0, 0]]  # no division code known
    rows = first_sheet(client.get(URL, {"list": "townships"}))
    assert rows[1:] == [["道明镇", "510184113", 1, 1, 0]]


def test_it_applies_the_filters_and_the_scope(world, login):
    client = login(world.city_admin)
    rows = first_sheet(client.get(URL, {"township": world.other_township.pk}))
    assert [r[0] for r in rows[1:]] == ["51018411000000101"]
    do_add_hardship(world.household, kind=HardshipKind.SUBSISTENCE, acting_user=None)
    rows = first_sheet(client.get(URL, {"hardship_only": "1"}))
    assert [r[0] for r in rows[1:]] == ["51018411000000001"]
    rows = first_sheet(login(world.township_staff).get(URL))
    assert [r[0] for r in rows[1:]] == ["51018411000000001", "51018411000000002"]


def test_it_records_every_export_in_the_audit_log(world, login):
    login(world.township_staff).get(URL, {"list": "households", "village": world.village.pk})
    entry = AuditEntry.objects.get(action="导出覆盖情况")
    assert entry.actor == world.township_staff and entry.target_type == "pairing.coverage"
    assert entry.changes["list"] == [None, "未结对的户"]
    assert entry.changes["village"] == [None, "大坪村"]
    assert entry.target_label.endswith(".xlsx")


@pytest.mark.parametrize("param", ["township", "unit"])
def test_it_answers_404_for_a_filter_outside_the_scope(world, login, param):
    value = world.township.pk if param == "township" else world.unit.pk
    response = login(world.outsider).get(URL, {param: value})
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="导出覆盖情况").exists()


def test_it_answers_404_to_the_separated_admins(world, login):
    assert login(world.audit_admin).get(URL).status_code == 404


def test_it_refuses_an_unknown_list(world, login):
    response = login(world.city_admin).get(URL, {"list": "secrets"})
    assert response.status_code == 400 and "无法识别的清单" in response.content.decode()
