"""The command-line tools: import-people, export-people and import-regions."""

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from lianxin.audit.models import AuditEntry
from lianxin.core.sensitive import unseal_field
from lianxin.geo.choices import Level
from lianxin.geo.models import County, Region
from lianxin.lib.idcard import compose
from lianxin.people.models import Household, Resident
from tests.transfer.files import RESIDENT_HEADER, csv_bytes, resident, xlsx_bytes

DATA = Path(__file__).resolve().parents[2] / "lianxin" / "data"


def run(*args, **opts):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err, **opts)
    return out.getvalue()


def rows(bad: bool = False):
    a, b = (compose("510184", dt.date(1966, 7, 1 + i), 700 + i) for i in range(2))
    out = [
        resident("51018411000006601", "邓一", a, "户主"),
        resident("51018411000006601", "邓二", b, "配偶"),
    ]
    if bad:
        out.append(resident("51018411000006602", "邓三", "123", "户主"))
    return out


def test_it_imports_people_from_the_command_line(world, tmp_path):
    path = tmp_path / "居民.xlsx"
    path.write_bytes(xlsx_bytes(RESIDENT_HEADER, rows()))

    output = run("import_people", str(path), county="510184")

    assert "新建居民 2" in output
    assert Household.objects.get(number="51018411000006601").members.count() == 2
    audit = AuditEntry.objects.get(action="批量导入居民")
    assert audit.actor is None and audit.actor_label == "系统" and audit.source.startswith("cli@")
    assert "未变 2" in run("import_people", str(path), county="510184")


def test_it_exits_1_and_lists_bad_rows_in_mode_all(world, tmp_path):
    path = tmp_path / "居民.csv"
    path.write_bytes(csv_bytes(RESIDENT_HEADER, rows(bad=True)))
    report = tmp_path / "errors.csv"
    out = io.StringIO()

    with pytest.raises(CommandError) as exc:
        call_command(
            "import_people",
            str(path),
            county="510184",
            report=str(report),
            stdout=out,
            stderr=io.StringIO(),
        )

    assert exc.value.returncode == 1
    assert "第4行 身份证号：身份证号应为18位，现为3位" in out.getvalue()
    assert not Household.objects.filter(number="51018411000006601").exists()
    with report.open(encoding="utf-8-sig") as f:
        assert list(csv.reader(f)) == [
            ["行号", "列", "原因"],
            ["4", "身份证号", "身份证号应为18位，现为3位"],
        ]


def test_it_saves_the_good_rows_in_mode_good_and_exits_0(world, tmp_path):
    path = tmp_path / "居民.csv"
    path.write_bytes(csv_bytes(RESIDENT_HEADER, rows(bad=True)))
    output = run("import_people", str(path), county="510184", mode="good")
    assert "错误行数 1" in output and "新建居民 2" in output


def test_it_refuses_an_unknown_county_or_file(world, tmp_path):
    with pytest.raises(CommandError, match="找不到县级区划代码"):
        run("import_people", __file__, county="999999")
    with pytest.raises(CommandError, match="找不到文件"):
        run("import_people", str(tmp_path / "nope.csv"), county="510184")


def test_it_exports_masked_by_default_and_full_with_an_audit_row(world, tmp_path):
    masked = tmp_path / "masked.csv"
    assert "已导出 5 行" in run("export_people", str(masked), county="510184")
    assert unseal_field(world.household.head, "id_number") not in masked.read_text(
        encoding="utf-8-sig"
    )

    full = tmp_path / "full.xlsx"
    run("export_people", str(full), county="510184", full=True, reason="系统迁移")
    audit = AuditEntry.objects.get(action="导出完整信息")
    assert audit.reason == "系统迁移" and audit.actor_label == "系统"

    # The full export re-imports cleanly: nothing new, nothing changed.
    assert "未变 5" in run("import_people", str(full), county="510184")
    assert Resident.objects.count() == 5


def test_it_exports_one_township_by_name(world, tmp_path):
    out = tmp_path / "daoming.csv"
    assert "已导出 1 行" in run("export_people", str(out), county="510184", township="道明镇")


def current(county, level, on):
    return Region.objects.filter(county=county, level=level).current(on).count()


def test_it_imports_the_shipped_division_files(db):
    old = run(
        "import_regions",
        str(DATA / "chongzhou-divisions-2014.csv"),
        county="510184",
        county_name="崇州市",
        valid_from="2014-01-01",
    )
    county = County.objects.get(code="510184")
    assert "崇州市（510184）" in old
    assert current(county, Level.TOWNSHIP, dt.date(2015, 1, 1)) == 25
    assert current(county, Level.VILLAGE, dt.date(2015, 1, 1)) == 253
    assert "新建 0" in run(
        "import_regions",
        str(DATA / "chongzhou-divisions-2014.csv"),
        county="510184",
        county_name="崇州市",
        valid_from="2014-01-01",
    )

    # The 2019–2020 reform on top: new townships, villages merged, the rest ended.
    run(
        "import_regions",
        str(DATA / "chongzhou-divisions-2023.csv"),
        valid_from="2023-06-30",
        end_missing=True,
    )
    assert current(county, Level.TOWNSHIP, dt.date(2024, 1, 1)) == 15
    assert current(county, Level.VILLAGE, dt.date(2024, 1, 1)) == 172
    # History is kept: 2015's map still answers for 2015.
    assert current(county, Level.VILLAGE, dt.date(2015, 1, 1)) == 253
    regions = Region.objects.count()
    again = run(
        "import_regions",
        str(DATA / "chongzhou-divisions-2023.csv"),
        valid_from="2023-06-30",
        end_missing=True,
    )
    assert "新建 0，补充代码 0，更名 0" in again and "撤销 0" in again
    assert Region.objects.count() == regions


def test_it_imports_the_2023_file_alone(db):
    run("import_regions", str(DATA / "chongzhou-divisions-2023.csv"))
    county = County.objects.get(code="510184")
    assert county.name == "崇州市"
    assert current(county, Level.TOWNSHIP, dt.date.today()) == 15
    assert current(county, Level.VILLAGE, dt.date.today()) == 172


def test_it_exits_1_on_a_bad_division_file(db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "code,name,level,parent_code\n510184,崇州市,county,5101\nx1,某镇,township,510184\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import_regions", str(path), stdout=out, stderr=io.StringIO())
    assert exc.value.returncode == 1
    assert "第3行 code 列：区划代码应为数字" in out.getvalue()
    assert not Region.objects.exists()


def test_it_needs_the_county_for_a_names_only_file(db):
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_regions",
            str(DATA / "chongzhou-divisions-2014.csv"),
            stdout=out,
            stderr=io.StringIO(),
        )
    assert "--county" in out.getvalue()


def test_it_registers_the_commands_the_lianxin_script_names():
    """`lianxin import-people` runs Django's import_people (lianxin/cli.py swaps - for _)."""
    from django.core.management import get_commands

    commands = get_commands()
    for name in ("import-people", "export-people", "import-regions"):
        assert name.replace("-", "_") in commands


def test_it_purges_old_export_files_and_reports(world, login, inline_jobs):
    from django.urls import reverse
    from django.utils import timezone

    from lianxin.transfer.models import Job

    client = login(world.city_admin)
    client.post(reverse("transfer:export"), {"data_kind": "residents", "file_format": "csv"})
    job = Job.objects.get()
    path = Path(job.result.path)
    assert path.exists()
    assert "已删除 0 个文件" in run("purge_transfer_files")

    Job.objects.filter(pk=job.pk).update(finished_at=timezone.now() - dt.timedelta(days=8))
    assert "已删除 1 个文件" in run("purge_transfer_files")
    assert not path.exists()
    assert (
        client.get(reverse("transfer:job_download", args=[job.pk])).status_code == 410
    )  # gone, and the page says so


def test_it_shows_and_raises_a_countys_import_limits_audited(world, tmp_path):
    assert "每个文件最多行数：200,000" in run("import_limits", county="510184")

    output = run("import_limits", county="510184", rows=1, reason="测试")
    assert "每个文件最多行数：1" in output
    audit = AuditEntry.objects.get(action="修改导入限制")
    assert audit.actor is None and audit.changes == {"rows": [200_000, 1]}

    path = tmp_path / "居民.csv"
    path.write_bytes(csv_bytes(RESIDENT_HEADER, rows()))
    with pytest.raises(CommandError, match="文件超过每个文件最多 1 行的限制"):
        run("import_people", str(path), county="510184")
    with pytest.raises(CommandError, match="不能小于"):
        run("import_limits", county="510184", cell_chars=5)
