import datetime as dt

import pytest

from lianxin.audit.models import AuditEntry
from lianxin.core.errors import Refused
from lianxin.core.sensitive import hasher, unseal_field
from lianxin.lib.idcard import compose
from lianxin.people.choices import HardshipKind, Relation
from lianxin.people.models import Household, HouseholdHardship, Resident
from lianxin.people.services import do_add_hardship
from lianxin.transfer import layouts as L
from lianxin.transfer.importers import import_people
from tests.transfer.files import RESIDENT_HEADER, id_with, resident, source


def ids(n: int, year: int = 1980) -> list[str]:
    return [compose("510184", dt.date(year, 3, 1 + i), 100 + i) for i in range(n)]


def run(world, rows, *, mode="all", user=None, header=RESIDENT_HEADER, **kw):
    return import_people(
        source(header, rows),
        county=world.county,
        kind="residents",
        mode=mode,
        acting_user=user,
        file_name="居民.xlsx",
        **kw,
    )


def bad_file(known_id):
    """Rows 2, 3 and 17 are good; every other row has exactly one kind of error."""
    a, b, c, d, e, f, g, h, i, j, k = ids(11)
    return [
        resident(
            "51018411000001001",
            "王大山",
            a,
            "户主",
            hardship="低保",
            address="大坪村6组1号",
            phone="13800001111",
        ),
        resident("51018411000001001", "李小梅", b, "配偶", hardship="低保", address="大坪村6组1号"),
        resident(
            "51018411000001001",
            "王一",
            c[:-1] + ("0" if c[-1] != "0" else "1"),
            "子女",
            hardship="低保",
            address="大坪村6组1号",
        ),
        resident(
            "51018411000001001",
            "王二",
            id_with("51018419990231001"),
            "子女",
            hardship="低保",
            address="大坪村6组1号",
        ),
        resident(
            "51018411000001001",
            "王三",
            id_with("51018420991231001"),
            "子女",
            hardship="低保",
            address="大坪村6组1号",
        ),
        resident(
            "51018411000001001",
            "王四",
            d,
            "子女",
            hardship="低保",
            address="大坪村6组1号",
            phone="1381234",
        ),
        resident("51018411000001004", "赵五", e, township="不存在镇"),
        resident("51018411000001005", "赵六", f, village="不存在村"),
        resident("51018411000001006", "赵七", g, group="99组"),
        resident("51018411000001001", "王五", h, "邻居", hardship="低保", address="大坪村6组1号"),
        resident("51018411000001007", "钱八", i, hardship="贫困"),
        resident("51018411000001001", "王六", j, "户主", hardship="低保", address="大坪村6组1号"),
        resident("51018411000001002", "孙九", a, "子女", village="双河村", group=""),
        resident("51018411000001003", "周十", known_id, "户主"),
        resident(
            "51018411000001001",
            "王七",
            k,
            "子女",
            village="双河村",
            group="",
            hardship="低保",
            address="大坪村6组1号",
        ),
        resident(
            "51018411000001002",
            "孙大",
            ids(1, 1960)[0],
            "户主",
            village="双河村",
            group="",
            phone="13900002222",
        ),
    ]


EXPECTED = {
    4: (L.ID_NUMBER, "校验位错误"),
    5: (L.ID_NUMBER, "出生日期不存在"),
    6: (L.ID_NUMBER, "出生日期在未来"),
    7: (L.PHONE, "手机号应为11位数字"),
    8: (L.TOWNSHIP, "找不到乡镇（街道）“不存在镇”"),
    9: (L.VILLAGE, "“文井江镇”下找不到村（社区）“不存在村”"),
    10: (L.GROUP, "下找不到组“99组”"),
    11: (L.RELATION, "无法识别的与户主关系“邻居”"),
    12: (L.HARDSHIP, "无法识别的困难类型“贫困”"),
    13: (L.RELATION, "已在第2行登记户主"),
    14: (L.ID_NUMBER, "第2行和第14行的身份证号相同"),
    15: (L.ID_NUMBER, "该身份证号已登记在户号“51018411000000001”"),
    16: (L.VILLAGE, "户号“51018411000001001”在第2行的村（社区）为“大坪村”，本行为“双河村”"),
}


def assert_bad_rows_reported(result):
    by_row = {e.row: e for e in result.errors}
    assert set(by_row) == set(EXPECTED), [(e.row, e.column, e.reason) for e in result.errors]
    for row, (column, reason) in EXPECTED.items():
        assert by_row[row].column == column, by_row[row]
        assert reason in by_row[row].reason, by_row[row]
    assert result.bad_rows == len(EXPECTED)
    assert result.rows_read == 16


def test_it_reports_every_bad_row_and_saves_nothing_in_mode_all(world, known_id):
    residents_before = Resident.objects.count()
    audits_before = AuditEntry.objects.count()

    result = run(world, bad_file(known_id), mode="all")

    assert_bad_rows_reported(result)
    assert result.saved is False
    assert result.residents_created == result.households_created == 0
    assert not Household.objects.filter(
        number__in=["51018411000001001", "51018411000001002"]
    ).exists()
    assert Resident.objects.count() == residents_before
    assert AuditEntry.objects.count() == audits_before


def test_it_saves_exactly_the_good_rows_in_mode_good(world, known_id):
    result = run(world, bad_file(known_id), mode="good")

    assert_bad_rows_reported(result)
    assert result.saved is True
    assert (result.households_created, result.residents_created) == (2, 3)
    h1001 = Household.objects.get(county=world.county, number="51018411000001001")
    assert sorted(h1001.members.values_list("name", flat=True)) == ["李小梅", "王大山"]
    assert h1001.region == world.group and h1001.address == "大坪村6组1号"
    assert [h.kind for h in h1001.hardships.all()] == [HardshipKind.SUBSISTENCE]
    h1002 = Household.objects.get(county=world.county, number="51018411000001002")
    assert h1002.region == world.village2 and h1002.village == world.village2
    head = h1002.members.get()
    assert head.relation == Relation.HEAD
    assert unseal_field(head, "phone") == "13900002222" and head.phone_masked == "139****2222"
    wang = h1001.members.get(name="王大山")
    assert wang.name_initials == "wds"
    assert wang.id_number_hash == hasher().hash(ids(1)[0])
    audit = AuditEntry.objects.get(action="批量导入居民")
    assert audit.target_label == "居民.xlsx"
    assert audit.changes["residents_created"] == [None, 3]
    assert audit.changes["bad_rows"] == [None, 13]


def test_it_adds_nothing_when_the_same_file_runs_again(world):
    a, b, c = ids(3)
    rows = [
        resident(
            "51018411000002001", "陈一", a, "户主", hardship="残疾、低保", phone="13811112222"
        ),
        resident("51018411000002001", "陈二", b, "配偶", hardship="低保、残疾"),
        resident("51018411000002002", "黄三", c, "户主", village="双河村", group=""),
    ]
    first = run(world, rows)
    assert (first.households_created, first.residents_created, first.hardships_added) == (2, 3, 2)
    counts = (
        Household.objects.count(),
        Resident.objects.count(),
        HouseholdHardship.objects.count(),
    )

    second = run(world, rows)

    assert second.errors == []
    assert second.unchanged == 3
    assert second.households_created == second.residents_created == second.hardships_added == 0
    assert second.residents_updated == second.households_updated == 0
    assert (
        Household.objects.count(),
        Resident.objects.count(),
        HouseholdHardship.objects.count(),
    ) == counts
    assert AuditEntry.objects.filter(action="批量导入居民").count() == 2


def test_it_updates_changed_names_phones_relations_and_addresses(world, known_id):
    rows = [
        resident(
            "51018411000000001",
            "罗选志",
            known_id,
            "户主",
            address="大坪村6组88号",
            phone="13712345678",
        ),
    ]
    result = run(world, rows)

    assert result.errors == []
    assert (result.residents_updated, result.households_updated, result.unchanged) == (1, 1, 0)
    head = world.household.members.get(relation=Relation.HEAD)
    assert unseal_field(head, "phone") == "13712345678"
    world.household.refresh_from_db()
    assert world.household.address == "大坪村6组88号"

    renamed = run(
        world, [resident("51018411000000001", "罗选智", known_id, "户主", address="大坪村6组88号")]
    )
    assert renamed.residents_updated == 1
    head.refresh_from_db()
    assert head.name == "罗选智" and head.name_initials == "lxz"
    # An empty phone cell leaves the stored number alone.
    assert unseal_field(head, "phone") == "13712345678"


def test_it_moves_a_household_to_the_group_the_file_names(world, known_id):
    result = run(world, [resident("51018411000000001", "罗选志", known_id, "户主", group="7组")])
    assert result.households_updated == 1
    world.household.refresh_from_db()
    assert world.household.region == world.group2


def test_it_adds_hardship_kinds_and_never_ends_missing_ones(world, known_id):
    do_add_hardship(world.household, kind=HardshipKind.SUBSISTENCE, acting_user=None)

    result = run(
        world, [resident("51018411000000001", "罗选志", known_id, "户主", hardship="残疾")]
    )

    assert result.hardships_added == 1
    open_kinds = set(
        HouseholdHardship.objects.filter(
            household=world.household, valid_to__isnull=True
        ).values_list("kind", flat=True)
    )
    assert open_kinds == {HardshipKind.SUBSISTENCE, HardshipKind.DISABILITY}


def test_it_refuses_a_new_head_where_one_is_registered(world):
    result = run(world, [resident("51018411000000001", "新户主", ids(1, 1950)[0], "户主")])
    assert [(e.row, e.column) for e in result.errors] == [(2, L.RELATION)]
    assert "已登记户主（罗选志）" in result.errors[0].reason


def test_it_accepts_region_full_names_bare_group_numbers_and_relation_synonyms(world):
    a, b = ids(2)
    rows = [
        resident(
            "51018411000003001",
            "刘一",
            a,
            "本人",
            township="文井江镇人民政府",
            village="大坪村村民委员会",
            group="7",
        ),
        resident(
            "51018411000003001",
            "刘二",
            b,
            "妻子",
            township="文井江镇人民政府",
            village="大坪村村民委员会",
            group="7",
        ),
    ]
    result = run(world, rows)
    assert result.errors == []
    household = Household.objects.get(number="51018411000003001")
    assert household.region == world.group2
    assert set(household.members.values_list("relation", flat=True)) == {
        Relation.HEAD,
        Relation.SPOUSE,
    }


def test_it_keeps_a_township_staffer_inside_their_township(world):
    known_other = unseal_field(world.other_household.head, "id_number")
    a, b = ids(2)
    rows = [
        resident("51018411000004001", "吴一", a, township="道明镇", village="三龙村", group="1组"),
        resident("51018411000000101", "吴二", b, "子女"),
        resident("51018411000004002", "吴三", known_other),
    ]
    result = run(world, rows, mode="good", user=world.township_staff)

    reasons = {e.row: (e.column, e.reason) for e in result.errors}
    assert reasons[2] == (L.TOWNSHIP, "“道明镇”不在您的负责区域内")
    assert reasons[3] == (L.NUMBER, "户号“51018411000000101”已在其他辖区登记，不能在此导入")
    # The other township's resident is not named to someone who cannot see them.
    assert reasons[4] == (L.ID_NUMBER, "该身份证号已在其他辖区登记，请联系上级管理员核实")
    assert result.residents_created == 0


def test_it_keeps_a_village_staffer_inside_their_village(world):
    result = run(
        world,
        [resident("51018411000004003", "郑一", ids(1)[0], village="双河村", group="")],
        user=world.village_staff,
    )
    assert [(e.column, e.reason) for e in result.errors] == [
        (L.VILLAGE, "“双河村”不在您的负责区域内")
    ]


def test_it_records_the_importing_user_in_the_audit_row(world):
    run(world, [resident("51018411000005001", "冯一", ids(1)[0])], user=world.township_staff)
    audit = AuditEntry.objects.get(action="批量导入居民")
    assert audit.actor == world.township_staff
    assert audit.changes["households_created"] == [None, 1]


@pytest.mark.parametrize("persona", ["leader_user", "cadre_user", "handler", "system_admin"])
def test_it_refuses_users_who_do_not_write_the_registry(world, persona):
    with pytest.raises(Refused) as exc:
        run(world, [resident("51018411000006001", "褚一", ids(1)[0])], user=getattr(world, persona))
    assert exc.value.status == 403
    assert not Household.objects.filter(number="51018411000006001").exists()


def test_it_refuses_a_header_missing_required_columns(world):
    header = [h for h in RESIDENT_HEADER if h != "*身份证号"]
    with pytest.raises(Refused) as exc:
        run(world, [], header=header)
    assert "表头缺少必填列：身份证号" in exc.value.message


def test_it_refuses_an_empty_source(world):
    with pytest.raises(Refused, match="文件为空"):
        import_people(iter(()), county=world.county, kind="residents", mode="all", acting_user=None)


def test_it_reports_ignored_columns_and_skips_blank_rows(world):
    header = [*RESIDENT_HEADER, "备注"]
    rows = [[*resident("51018411000007001", "卫一", ids(1)[0]), "无"], [""] * 11]
    result = run(world, rows, header=header)
    assert result.errors == [] and result.residents_created == 1 and result.rows_read == 1
    assert result.ignored_columns == ["备注"]


def test_it_consumes_the_source_lazily_batch_by_batch(world):
    """Memory stays flat because rows are pulled only as each batch is processed: the source is
    never read to the end up front (not a timing assert)."""
    pulled = 0

    def rows():
        nonlocal pulled
        yield 1, list(RESIDENT_HEADER)
        for i in range(300):
            pulled += 1
            yield (
                i + 2,
                resident(
                    f"51018411000008{i:03d}",
                    "蒋一",
                    compose("510184", dt.date(1990, 1, 1) + dt.timedelta(days=i), 7),
                ),
            )

    seen_at_progress: list[int] = []
    result = import_people(
        rows(),
        county=world.county,
        kind="residents",
        mode="good",
        acting_user=None,
        progress=lambda done, total: seen_at_progress.append(pulled),
        batch_size=50,
    )

    assert result.residents_created == 300
    assert seen_at_progress[0] <= 51
    # Six batches checked, then six written (the write pass reads its own copy, not the source).
    assert seen_at_progress == sorted(seen_at_progress) and len(seen_at_progress) == 13
    assert seen_at_progress[5] == 300
