from lianxin.audit.models import AuditEntry
from lianxin.people.choices import Trade
from lianxin.people.models import Enterprise
from lianxin.transfer import layouts as L
from lianxin.transfer.importers import import_people
from tests.factories import credit_code
from tests.transfer.files import ENTERPRISE_HEADER, enterprise, source


def run(world, rows, *, mode="all", user=None):
    return import_people(
        source(ENTERPRISE_HEADER, rows),
        county=world.county,
        kind="enterprises",
        mode=mode,
        acting_user=user,
        file_name="企业.csv",
    )


def bad_file():
    good1, good2, good3 = credit_code(101), credit_code(102), credit_code(103)
    return [
        enterprise(good1, "崇州市大坪农业有限公司", "A", group="6组", address="大坪村6组"),
        enterprise(good2, "崇州市双河酒店", "住宿和餐饮业", village="双河村"),
        enterprise(good1[:-1] + ("0" if good1[-1] != "0" else "1"), "校验位错", "C"),
        enterprise(credit_code(104), "门类错", "Z"),
        enterprise(good1, "重复代码", "C"),
        enterprise(credit_code(105), "找不到村", "C", village="不存在村"),
        enterprise(credit_code(106), "", "C"),
        enterprise(good3, "崇州市某制造厂", "C 制造业"),
    ]


def test_it_reports_every_bad_enterprise_row_and_saves_nothing_in_mode_all(world):
    result = run(world, bad_file())

    found = {e.row: (e.column, e.reason) for e in result.errors}
    assert set(found) == {4, 5, 6, 7, 8}
    assert found[4][0] == L.CREDIT_CODE and "校验位错误" in found[4][1]
    assert found[5][0] == L.TRADE and "无法识别的行业门类“Z”" in found[5][1]
    assert found[6] == (L.CREDIT_CODE, "第2行和第6行的统一社会信用代码相同")
    assert found[7] == (L.VILLAGE, "“文井江镇”下找不到村（社区）“不存在村”")
    assert found[8] == (L.ENTERPRISE_NAME, "企业名称不能为空")
    assert not Enterprise.objects.exists()
    assert not AuditEntry.objects.filter(action="批量导入企业").exists()


def test_it_saves_the_good_enterprises_in_mode_good_and_nothing_more_on_a_rerun(world):
    first = run(world, bad_file(), mode="good")
    assert first.enterprises_created == 3 and first.bad_rows == 5
    farm = Enterprise.objects.get(credit_code=credit_code(101))
    assert (farm.trade, farm.region, farm.village, farm.township) == (
        Trade.A,
        world.group,
        world.village,
        world.township,
    )
    assert Enterprise.objects.get(credit_code=credit_code(102)).trade == Trade.H
    assert Enterprise.objects.get(credit_code=credit_code(103)).trade == Trade.C

    second = run(world, bad_file(), mode="good")
    assert second.enterprises_created == second.enterprises_updated == 0
    assert second.unchanged == 3
    assert Enterprise.objects.count() == 3
    assert AuditEntry.objects.filter(action="批量导入企业").count() == 2


def test_it_updates_a_renamed_enterprise(world):
    run(world, [enterprise(credit_code(201), "旧名称公司", "F")])
    result = run(world, [enterprise(credit_code(201), "新名称公司", "批发和零售业", group="7组")])
    assert result.enterprises_updated == 1
    e = Enterprise.objects.get(credit_code=credit_code(201))
    assert (e.name, e.name_initials, e.region) == ("新名称公司", "xmcgs", world.group2)


def test_it_keeps_a_township_staffer_off_another_townships_enterprise(world):
    run(world, [enterprise(credit_code(301), "道明公司", "C", township="道明镇", village="三龙村")])
    result = run(world, [enterprise(credit_code(301), "改名", "C")], user=world.township_staff)
    assert [(e.column, e.reason) for e in result.errors] == [
        (L.CREDIT_CODE, "该统一社会信用代码已在其他辖区登记，不能在此导入")
    ]
    assert Enterprise.objects.get(credit_code=credit_code(301)).name == "道明公司"
