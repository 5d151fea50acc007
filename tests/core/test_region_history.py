"""Mergers, renames and moves keep history: ended regions stay, rows follow the map."""

import datetime as dt

import pytest

from lianxin.audit.models import AuditEntry
from lianxin.core.errors import Refused
from lianxin.core.models import today
from lianxin.geo.choices import ChangeKind, Level
from lianxin.geo.models import Region
from lianxin.geo.services import (
    do_create_region,
    do_end_region,
    do_merge_regions,
    do_move_region,
    do_rename_region,
)
from lianxin.people.models import Household

DAY = today() + dt.timedelta(days=1)


def test_it_renames_and_keeps_the_old_name_in_history(world):
    do_rename_region(
        world.village, name="大坪社区居民委员会", effective_on=DAY, acting_user=world.city_admin
    )
    world.village.refresh_from_db()
    assert world.village.short_name == "大坪社区"
    change = world.village.changes.get(kind=ChangeKind.RENAME)
    assert change.before["name"] == "大坪村村民委员会"
    assert AuditEntry.objects.filter(action="区划更名", target_id=str(world.village.pk)).exists()


def test_it_merges_a_village_and_moves_its_rows(world):
    do_merge_regions(
        world.village2, into=world.village, effective_on=DAY, acting_user=world.city_admin
    )
    world.village2.refresh_from_db()
    assert world.village2.valid_to == DAY - dt.timedelta(days=1)
    assert world.village2.successor == world.village
    # The ended village still exists for last year's ledgers, but is not current.
    assert world.village2 not in Region.objects.current(on=DAY)
    assert world.village2 in Region.objects.current(on=today())


def test_it_moves_groups_and_households_when_villages_merge(world):
    do_merge_regions(
        world.village, into=world.village2, effective_on=DAY, acting_user=world.city_admin
    )
    world.group.refresh_from_db()
    assert world.group.parent == world.village2
    assert world.group.path == f"{world.village2.path}{world.group.pk}/"
    household = Household.objects.get(pk=world.household.pk)
    assert household.village_id == world.village2.pk
    assert household.region_id == world.group.pk


def test_it_moves_a_village_to_another_township_with_its_subtree(world):
    do_move_region(
        world.village,
        new_parent=world.other_township,
        effective_on=DAY,
        acting_user=world.city_admin,
    )
    world.group.refresh_from_db()
    assert world.group.path.startswith(world.other_township.path)
    household = Household.objects.get(pk=world.household.pk)
    assert household.township_id == world.other_township.pk
    # The outsider of 道明镇 now sees the moved households; 文井江镇 no longer does.
    assert Household.objects.visible_to(world.outsider).filter(pk=household.pk).exists()
    assert not Household.objects.visible_to(world.township_staff).filter(pk=household.pk).exists()


def test_it_refuses_a_merge_dated_before_the_region_existed(world):
    with pytest.raises(Refused, match="撤并日期须晚于"):
        do_merge_regions(
            world.village2,
            into=world.village,
            effective_on=dt.date(2000, 1, 1),
            acting_user=world.city_admin,
        )


def test_it_refuses_to_end_a_region_that_still_holds_households(world):
    with pytest.raises(Refused, match="还有户或企业"):
        do_end_region(world.group, effective_on=DAY, acting_user=world.city_admin)


def test_it_refuses_a_village_under_a_group(world):
    with pytest.raises(Refused, match="下不能设村"):
        do_create_region(county=world.county, level=Level.VILLAGE, name="错村", parent=world.group)
