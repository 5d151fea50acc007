"""The audit log shows Chinese names for objects and changes, never raw keys (issue 8 point 8)."""

import pytest
from django.db import transaction

from lianxin.audit.services import record
from lianxin.pairing.services import do_pair


def _record(world, **kw):
    with transaction.atomic():
        return record(actor=None, action="系统操作", county_id=world.county.pk, **kw)


def test_it_refuses_an_audit_row_with_a_raw_change_key(world):
    with pytest.raises(RuntimeError, match="some_new_key"):
        _record(world, target_type="org.cadre", changes={"some_new_key": [None, 1]})


def test_it_refuses_an_audit_row_with_an_unnamed_object_type(world):
    with pytest.raises(RuntimeError, match=r"pairing\.nothing"):
        _record(world, target_type="pairing.nothing")


def test_it_shows_chinese_names_for_fields_keys_types_and_choices(world, login):
    _record(
        world,
        target_type="pairing.coverage",
        changes={
            "list": [None, "未结对的户"],
            "on": [None, "2014-06-30"],
            "id_number": [None, "5101**"],
        },
    )
    _record(world, target=world.city_admin, changes={"role": ["township_staff", "city_admin"]})
    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    html = login(world.audit_admin).get("/audit/").content.decode()
    table = html.split("<tbody>")[1]
    for raw in ("pairing.coverage", "id_number", "valid_from", "city_admin", "township_staff"):
        assert raw not in table, raw
    assert "覆盖情况" in table and "身份证号" in table and "日期" in table
    assert "乡镇（街道）工作人员 → 市级管理员" in table
