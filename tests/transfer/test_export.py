"""Exports: the user's scope and filters, masked unless revealed with a reason, re-importable."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from lianxin.audit.models import AuditEntry
from lianxin.core.errors import Refused
from lianxin.core.sensitive import unseal_field
from lianxin.core.sheets import HEADING_ROWS
from lianxin.core.tabular import count_data_rows, iter_rows
from lianxin.geo.choices import Level
from lianxin.geo.services import do_create_county, do_create_region
from lianxin.people.choices import HardshipKind
from lianxin.people.models import Household, HouseholdHardship, Resident
from lianxin.people.services import (
    do_add_hardship,
    do_create_enterprise,
    do_set_household_number_rule,
)
from lianxin.transfer import layouts as L
from lianxin.transfer.exporters import ExportFilters, export_people
from lianxin.transfer.importers import import_people
from lianxin.transfer.models import Job
from tests.factories import credit_code


def export(world, user, name="居民.csv", **kw):
    out = io.BytesIO() if name.endswith(".xlsx") else io.StringIO()
    rows = export_people(
        out, name, county=world.county, kind=kw.pop("kind", "residents"), user=user, **kw
    )
    if name.endswith(".xlsx"):
        book = load_workbook(io.BytesIO(out.getvalue()), read_only=True)
        table = [[c or "" for c in row] for row in book.worksheets[0].iter_rows(values_only=True)]
        # The title and filters rows above the header (tests/core/test_sheets.py).
        table = table[HEADING_ROWS:]
    else:
        table = list(csv.reader(io.StringIO(out.getvalue())))
    assert len(table) == rows + 1
    return table


def test_it_masks_id_numbers_and_phones_by_default(world):
    table = export(world, world.township_staff)
    assert table[0] == L.RESIDENTS.titles
    head = next(r for r in table if r[6] == "罗选志")
    assert head[:6] == ["51018411000000001", "文井江镇", "大坪村", "6组", "大坪村6组12号", ""]
    assert head[7] == world.household.head.id_number_masked and "*" in head[7]
    assert head[9].count("*") == 4
    assert AuditEntry.objects.filter(action="批量导出户和居民", actor=world.township_staff).exists()


def test_it_exports_only_the_users_scope(world):
    numbers = {r[0] for r in export(world, world.township_staff)[1:]}
    assert numbers == {"51018411000000001", "51018411000000002"}
    assert {r[0] for r in export(world, world.outsider)[1:]} == {"51018411000000101"}
    assert {r[0] for r in export(world, world.city_admin)[1:]} == {
        "51018411000000001",
        "51018411000000002",
        "51018411000000101",
    }


def test_it_applies_the_household_list_filters(world):
    do_add_hardship(world.household2, kind=HardshipKind.DISABILITY, acting_user=None)
    by_village = export(world, world.city_admin, filters=ExportFilters(village=world.village))
    assert {r[0] for r in by_village[1:]} == {"51018411000000001", "51018411000000002"}
    by_township = export(
        world, world.city_admin, filters=ExportFilters(township=world.other_township)
    )
    assert {r[0] for r in by_township[1:]} == {"51018411000000101"}
    by_hardship = export(
        world, world.city_admin, filters=ExportFilters(hardship=HardshipKind.DISABILITY)
    )
    assert [r[0] for r in by_hardship[1:]] == ["51018411000000002"] and by_hardship[1][5] == "残疾"


def test_it_puts_the_head_first_in_each_household(world):
    rows = [r for r in export(world, world.city_admin)[1:] if r[0] == "51018411000000001"]
    assert [r[8] for r in rows] == ["户主", "子女", "子女"]


def test_it_exports_full_values_only_with_the_permission_and_a_reason(world):
    with pytest.raises(Refused, match="没有导出完整身份证号和电话的权限"):
        export(world, world.village_staff, full=True, reason="核对低保")
    with pytest.raises(Refused, match="须填写事由"):
        export(world, world.township_staff, full=True, reason=" ")

    table = export(world, world.township_staff, full=True, reason="核对低保名单")

    head = next(r for r in table if r[6] == "罗选志")
    assert head[7] == unseal_field(world.household.head, "id_number")
    assert head[9] == unseal_field(world.household.head, "phone")
    audit = AuditEntry.objects.get(action="导出完整信息")
    assert audit.actor == world.township_staff and audit.reason == "核对低保名单"


def test_it_round_trips_a_full_export_into_a_county_with_the_same_map(world):
    do_add_hardship(world.household, kind=HardshipKind.SUBSISTENCE, acting_user=None)
    do_add_hardship(world.household, kind=HardshipKind.LEFT_BEHIND_ELDERLY, acting_user=None)
    table = export(world, world.city_admin, name="全县.xlsx", full=True, reason="迁移系统")

    # Re-importing into the same county changes nothing.
    again = import_people(
        enumerate(table, start=1),
        county=world.county,
        kind="residents",
        mode="all",
        acting_user=None,
    )
    assert again.errors == [] and again.unchanged == Resident.objects.count()

    twin = do_create_county(code="510185", name="测试县")
    # The households keep their 户号, which carry the first county's code: the twin says so.
    do_set_household_number_rule(
        county=twin, pattern=r"510184\d{11}", description="原崇州市户号（17 位）", acting_user=None
    )
    for township in (world.township, world.other_township):
        t = do_create_region(county=twin, level=Level.TOWNSHIP, name=township.name)
        for village in township.children.all():
            v = do_create_region(county=twin, level=Level.VILLAGE, name=village.name, parent=t)
            for group in village.children.all():
                do_create_region(county=twin, level=Level.GROUP, name=group.name, parent=v)

    result = import_people(
        enumerate(table, start=1), county=twin, kind="residents", mode="all", acting_user=None
    )

    assert result.errors == []
    assert (result.households_created, result.residents_created, result.hardships_added) == (
        3,
        5,
        2,
    )

    def snapshot(county):
        return sorted(
            (
                r.household.number,
                r.household.region.short_name,
                r.household.address,
                r.name,
                unseal_field(r, "id_number"),
                unseal_field(r, "phone"),
                r.relation,
                r.sex,
                r.birth_year,
            )
            for r in Resident.objects.filter(county=county).select_related("household__region")
        )

    assert snapshot(twin) == snapshot(world.county)
    twin_household = Household.objects.get(county=twin, number="51018411000000001")
    assert set(
        HouseholdHardship.objects.filter(household=twin_household).values_list("kind", flat=True)
    ) == {
        HardshipKind.SUBSISTENCE,
        HardshipKind.LEFT_BEHIND_ELDERLY,
    }


def test_it_exports_enterprises_in_their_layout_and_round_trips(world):
    do_create_enterprise(
        county=world.county,
        name="崇州市大坪茶厂",
        credit_code=credit_code(7),
        trade="C",
        region=world.group,
        acting_user=None,
        address="大坪村6组",
    )
    table = export(world, world.village_staff, name="企业.csv", kind="enterprises")
    assert table == [
        L.ENTERPRISES.titles,
        [credit_code(7), "崇州市大坪茶厂", "制造业", "文井江镇", "大坪村", "6组", "大坪村6组"],
    ]
    assert export(world, world.outsider, kind="enterprises") == [L.ENTERPRISES.titles]
    result = import_people(
        enumerate(table, start=1),
        county=world.county,
        kind="enterprises",
        mode="all",
        acting_user=None,
    )
    assert result.errors == [] and result.unchanged == 1


def test_it_refuses_an_export_to_the_separated_administrators(world):
    with pytest.raises(Refused):
        export(world, world.audit_admin)


# The page: an export is a job whose file only its creator downloads.


def test_it_runs_a_masked_export_job_from_the_page(world, login, inline_jobs):
    client = login(world.leader_user)
    response = client.post(
        reverse("transfer:export"), {"data_kind": "residents", "file_format": "xlsx"}
    )
    job = Job.objects.get()
    assert response.status_code == 302 and job.status == "done"
    assert job.counts == {"rows_written": 5}
    download = client.get(reverse("transfer:job_download", args=[job.pk]))
    assert download.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True)
    ids = [
        row[7] for row in book.worksheets[0].iter_rows(min_row=HEADING_ROWS + 2, values_only=True)
    ]
    assert len(ids) == 5 and all("*" in i for i in ids)
    # Only the creator downloads it.
    for persona in (world.city_admin, world.outsider):
        assert (
            login(persona).get(reverse("transfer:job_download", args=[job.pk])).status_code == 404
        )


def test_it_offers_full_values_only_to_holders_of_the_reveal_permission(world, login):
    assert (
        "导出完整身份证号和电话"
        in login(world.township_staff).get(reverse("transfer:index")).content.decode()
    )
    assert (
        "导出完整身份证号和电话"
        not in login(world.village_staff).get(reverse("transfer:index")).content.decode()
    )


def test_it_asks_for_a_reason_before_a_full_export(world, login, inline_jobs):
    client = login(world.township_staff)
    response = client.post(
        reverse("transfer:export"), {"data_kind": "residents", "file_format": "csv", "full": "on"}
    )
    assert response.status_code == 400
    assert "导出完整信息须填写事由" in response.content.decode()
    assert not Job.objects.exists()

    client.post(
        reverse("transfer:export"),
        {"data_kind": "residents", "file_format": "csv", "full": "on", "reason": "民政局核对"},
    )
    job = Job.objects.get()
    body = b"".join(client.get(reverse("transfer:job_download", args=[job.pk])).streaming_content)
    rows = list(iter_rows(io.BytesIO(body), "x.csv"))
    assert unseal_field(world.household.head, "id_number") in {r[1][7] for r in rows}
    assert AuditEntry.objects.get(action="导出完整信息").reason == "民政局核对"


def test_it_refuses_a_village_outside_the_chosen_township(world, login, inline_jobs):
    response = login(world.city_admin).post(
        reverse("transfer:export"),
        {
            "data_kind": "residents",
            "file_format": "csv",
            "township": world.other_township.pk,
            "village": world.village.pk,
        },
    )
    assert response.status_code == 400
    assert "“大坪村”不属于“道明镇”" in response.content.decode()


def test_it_does_not_offer_regions_outside_the_users_scope(world, login, inline_jobs):
    response = login(world.township_staff).post(
        reverse("transfer:export"),
        {"data_kind": "residents", "file_format": "csv", "township": world.other_township.pk},
    )
    assert response.status_code == 400
    assert not Job.objects.exists()


def test_it_counts_only_data_rows_when_an_xlsx_export_is_imported_again(world):
    out = io.BytesIO()
    rows = export_people(
        out, "居民.xlsx", county=world.county, kind="residents", user=world.township_staff
    )
    # Opened and saved again, as in Excel: the sheet now declares its dimension.
    stream = io.BytesIO()
    load_workbook(io.BytesIO(out.getvalue())).save(stream)
    stream.seek(0)
    # The upload's cheap count reads that dimension: title and filters rows included.
    declared = count_data_rows(stream, "居民.xlsx")
    assert declared == rows + HEADING_ROWS
    seen: list[tuple[int, int | None]] = []
    import_people(
        iter_rows(stream, "居民.xlsx"),
        county=world.county,
        kind="residents",
        mode="all",
        acting_user=None,
        rows_total=declared,
        progress=lambda done, total: seen.append((done, total)),
    )
    # Both passes over the data rows, from the first figure shown: the heading is no row.
    assert seen and {total for _, total in seen} == {2 * rows}
    assert seen[-1] == (2 * rows, 2 * rows)
