"""The coverage computation: both directions of every layer, history, policy, loads, filters."""

from __future__ import annotations

import datetime as dt

from lianxin.core.models import today
from lianxin.geo.choices import Level
from lianxin.geo.services import do_create_region
from lianxin.org.services import (
    do_assign_liaison,
    do_assign_zone,
    do_cadre_leaves,
    do_create_cadre,
    do_end_liaison,
    do_end_zone,
    do_transfer_cadre,
)
from lianxin.pairing.choices import Coverage as CoverageKind
from lianxin.pairing.coverage import Coverage, county_summary, coverage_for
from lianxin.pairing.coverage_figures import CoverageQuery, Ratio
from lianxin.pairing.models import PairingPolicy
from lianxin.pairing.services import (
    do_end_pairing,
    do_exclude_cadre,
    do_pair,
    do_set_policy,
    do_set_unit_override,
)
from lianxin.people.choices import HardshipKind
from lianxin.people.services import do_add_hardship
from tests.factories import household

LONG_AGO = dt.date(2020, 1, 1)


def set_policy(world, **changes):
    """The county's pairing policy, changed through the service the administrator uses."""
    rules = {
        "coverage": CoverageKind.ALL,
        "min_load": 5,
        "max_load": 15,
        "keep_groups_together": True,
        "exclude_city_leaders": True,
        **changes,
    }
    return do_set_policy(county=world.county, acting_user=world.city_admin, **rules)


def _summary(user, **query):
    return coverage_for(user, CoverageQuery(**query)).summary()


def test_it_counts_both_directions_of_every_layer(world):
    s = _summary(world.city_admin)
    # Three households must be covered, none is; the one eligible cadre (the city leader takes
    # no households) holds none; 双河村 has no unit; 道明镇 has no leader.
    assert (s.households, s.cadres, s.villages, s.townships) == (
        Ratio(0, 3),
        Ratio(0, 1),
        Ratio(2, 3),
        Ratio(1, 2),
    )
    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    s = _summary(world.city_admin)
    assert s.households == Ratio(1, 3) and s.households.percent == "33.3%"
    assert s.cadres == Ratio(1, 1) and s.cadres.percent == "100.0%"


def test_it_lists_the_gaps_on_both_sides(world):
    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    idle = do_create_cadre(unit=world.other_unit, staff_no="C0002", name="周闲", acting_user=None)
    cov = coverage_for(world.city_admin)
    assert [h.number for h in cov.households_without_cadre()] == [
        "51018411000000002",
        "51018411000000101",
    ]
    assert [c.name for c in cov.cadres_without_households()] == [idle.name]
    assert [v.short_name for v in cov.villages_without_unit()] == ["双河村"]
    assert [t.short_name for t in cov.townships_without_leader()] == ["道明镇"]


def test_it_never_rounds_a_gap_up_to_full_coverage(world):
    assert Ratio(1999, 2000).percent == "99.9%"
    assert Ratio(0, 0).percent == "—" and Ratio(0, 0).rate is None


def test_it_answers_as_of_a_past_day_from_the_dated_pairings(world):
    day = today()
    old = do_create_cadre(
        unit=world.unit, staff_no="C0009", name="老干部", joined_on=LONG_AGO, acting_user=None
    )
    first = do_pair(
        cadre=old, household=world.household, acting_user=None, valid_from=day - dt.timedelta(60)
    )
    do_end_pairing(first, valid_to=day - dt.timedelta(31), acting_user=None)
    do_pair(
        cadre=old, household=world.household2, acting_user=None, valid_from=day - dt.timedelta(10)
    )
    then = _summary(world.city_admin, on=day - dt.timedelta(45))
    assert then.households == Ratio(1, 3)
    # 马林增 joined today: on that day only 老干部 took part, and he held a household.
    assert then.cadres == Ratio(1, 1)
    gap = coverage_for(world.city_admin, CoverageQuery(on=day - dt.timedelta(45)))
    assert [h.number for h in gap.households_without_cadre()] == [
        "51018411000000002",
        "51018411000000101",
    ]
    between = _summary(world.city_admin, on=day - dt.timedelta(20))
    assert between.households == Ratio(0, 3) and between.cadres == Ratio(0, 1)
    now = coverage_for(world.city_admin)
    assert [h.number for h in now.households_without_cadre()] == [
        "51018411000000001",
        "51018411000000101",
    ]
    assert now.summary().cadres == Ratio(1, 2)


def test_it_reads_regions_zones_and_liaisons_as_of_the_day(world):
    day = today()
    township = do_create_region(
        county=world.county,
        level=Level.TOWNSHIP,
        name="白头镇人民政府",
        code="510184116",
        valid_from=LONG_AGO,
    )
    village = do_create_region(
        county=world.county,
        level=Level.VILLAGE,
        name="天竺社区居民委员会",
        parent=township,
        valid_from=LONG_AGO,
    )
    zone = do_assign_zone(
        unit=world.other_unit, village=village, valid_from=day - dt.timedelta(100), acting_user=None
    )
    do_end_zone(zone, valid_to=day - dt.timedelta(1), acting_user=None)
    leader = do_create_cadre(
        unit=world.unit, staff_no="L0002", name="王市长", is_city_leader=True, acting_user=None
    )
    liaison = do_assign_liaison(
        leader=leader, township=township, valid_from=day - dt.timedelta(100), acting_user=None
    )
    do_end_liaison(liaison, valid_to=day - dt.timedelta(1), acting_user=None)
    # Yesterday the world's own regions (made today) did not exist yet; 白头镇 was covered.
    then = _summary(world.city_admin, on=day - dt.timedelta(1))
    assert (then.villages, then.townships) == (Ratio(1, 1), Ratio(1, 1))
    now = coverage_for(world.city_admin)
    assert (now.summary().villages, now.summary().townships) == (Ratio(2, 4), Ratio(1, 3))
    assert [v.short_name for v in now.villages_without_unit()] == ["双河村", "天竺社区"]
    assert [t.short_name for t in now.townships_without_leader()] == ["道明镇", "白头镇"]


def test_it_counts_a_household_of_a_departed_cadre_as_uncovered_from_the_next_day(world):
    from lianxin.pairing.coverage import stale_note

    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    do_cadre_leaves(world.cadre, left_on=today(), acting_user=None)

    # 退出日期 is the cadre's last day in office: on it the household is still theirs.
    on_the_day = coverage_for(world.city_admin)
    assert on_the_day.summary().households == Ratio(1, 3)
    assert "51018411000000001" not in [h.number for h in on_the_day.households_without_cadre()]

    next_day = coverage_for(world.city_admin, CoverageQuery(on=today() + dt.timedelta(1)))
    rows = list(next_day.households_without_cadre())
    assert [h.number for h in rows] == [
        "51018411000000001",
        "51018411000000002",
        "51018411000000101",
    ]
    assert stale_note(rows[0]).startswith("原结对干部马林增已于")
    assert next_day.summary().households == Ratio(0, 3)


def test_it_follows_a_hardship_only_policy(world):
    do_add_hardship(world.household2, kind=HardshipKind.SUBSISTENCE, acting_user=None)
    do_add_hardship(world.other_household, kind=HardshipKind.DISABILITY, acting_user=None)
    set_policy(world, coverage=CoverageKind.HARDSHIP)
    assert _summary(world.city_admin).households == Ratio(0, 2)
    set_policy(world, coverage=CoverageKind.HARDSHIP, hardship_kinds=[HardshipKind.SUBSISTENCE])
    s = _summary(world.city_admin)
    assert s.households == Ratio(0, 1) and "低保" in s.policy
    do_pair(cadre=world.cadre, household=world.household2, acting_user=None)
    assert _summary(world.city_admin).households == Ratio(1, 1)


def test_it_follows_a_policy_naming_villages_and_groups(world):
    set_policy(world, coverage=CoverageKind.REGIONS, regions=[world.group, world.other_village])
    cov = coverage_for(world.city_admin)
    assert cov.summary().households == Ratio(0, 2)
    assert [h.number for h in cov.households_without_cadre()] == [
        "51018411000000001",
        "51018411000000101",
    ]


def test_it_narrows_to_hardship_households_on_request(world):
    do_add_hardship(world.household, kind=HardshipKind.SUBSISTENCE, acting_user=None)
    s = _summary(world.city_admin, hardship_only=True)
    assert s.households == Ratio(0, 1)
    assert PairingPolicy.objects.get(county=world.county).coverage == CoverageKind.ALL


def test_it_measures_loads_against_each_units_bounds(world):
    set_policy(world, min_load=2, max_load=3)
    extra = [household(world.county, world.group, f"51018424000000{i:03d}") for i in range(5)]
    for h in [world.household, *extra[:3]]:
        do_pair(cadre=world.cadre, household=h, acting_user=None)
    other = do_create_cadre(unit=world.other_unit, staff_no="C0002", name="周少", acting_user=None)
    do_pair(cadre=other, household=extra[3], acting_user=None)
    cov = coverage_for(world.city_admin)
    loads = cov.summary().loads
    assert (loads.cadres, loads.paired, loads.households) == (2, 2, 5)
    assert (loads.min, loads.max, loads.avg) == (1, 4, 2.5)
    assert (loads.over_max, loads.under_min) == (1, 1)
    assert [c.name for c in cov.cadres_by_load("over")] == ["马林增"]
    assert [c.name for c in cov.cadres_by_load("under")] == ["周少"]
    # The 民政局 may give a cadre a single household.
    do_set_unit_override(
        unit=world.other_unit, min_load=1, max_load=4, acting_user=world.city_admin
    )
    cov = coverage_for(world.city_admin)
    assert cov.summary().loads.under_min == 0
    assert list(cov.cadres_by_load("under")) == []
    rows = {u.unit.name: u for u in cov.unit_rows()}
    assert (rows["崇州市民政局"].min_load, rows["崇州市民政局"].max_load) == (1, 4)
    propaganda = rows["中共崇州市委宣传部"]
    assert propaganda.cadres == Ratio(1, 1) and propaganda.loads.over_max == 1
    assert propaganda.zone_households == Ratio(5, 7)


def test_it_leaves_out_excluded_cadres_and_leaders(world):
    do_exclude_cadre(cadre=world.cadre, reason="长期病假", acting_user=world.city_admin)
    assert _summary(world.city_admin).cadres == Ratio(0, 0)
    set_policy(world, exclude_city_leaders=False)
    assert _summary(world.city_admin).cadres == Ratio(0, 1)


def test_it_counts_a_transferred_cadre_for_the_unit_of_the_day(world):
    old = do_create_cadre(
        unit=world.unit, staff_no="C0009", name="调动者", joined_on=LONG_AGO, acting_user=None
    )
    do_pair(cadre=old, household=world.household, acting_user=None, valid_from=LONG_AGO)
    do_transfer_cadre(old, unit=world.other_unit, acting_user=None)
    now = {u.unit.name: u.cadres for u in coverage_for(world.city_admin).unit_rows()}
    assert now["崇州市民政局"] == Ratio(1, 1)
    then = coverage_for(world.city_admin, CoverageQuery(on=today() - dt.timedelta(1)))
    rows = {u.unit.name: u.cadres for u in then.unit_rows()}
    assert rows["中共崇州市委宣传部"] == Ratio(1, 1) and rows["崇州市民政局"] == Ratio(0, 0)
    assert [c.unit_name_on for c in then.cadres()] == ["中共崇州市委宣传部"]


def test_it_groups_coverage_by_township_and_village(world):
    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    rows = coverage_for(world.city_admin).region_rows()
    assert [r.township.short_name for r in rows] == ["文井江镇", "道明镇"]
    wenjing, daoming = rows
    assert wenjing.leaders == ["李市长"] and daoming.leaders == []
    assert wenjing.households == Ratio(1, 2) and daoming.households == Ratio(0, 1)
    villages = {v.village.short_name: v for v in wenjing.villages}
    assert villages["大坪村"].units == ["中共崇州市委宣传部"]
    assert villages["大坪村"].households == Ratio(1, 2)
    assert villages["双河村"].units == [] and villages["双河村"].households == Ratio(0, 0)
    assert wenjing.villages_with_unit == Ratio(1, 2)


def test_it_narrows_by_township_village_and_unit(world):
    do_assign_zone(unit=world.other_unit, village=world.village2, acting_user=None)
    s = _summary(world.city_admin, township=world.other_township)
    assert (s.households, s.villages, s.townships) == (Ratio(0, 1), Ratio(1, 1), Ratio(0, 1))
    s = _summary(world.city_admin, village=world.village)
    assert (s.households, s.villages, s.townships) == (Ratio(0, 2), Ratio(1, 1), Ratio(1, 1))
    # 马林增's unit serves 大坪村; the 民政局 serves 三龙村 and 双河村.
    assert s.cadres == Ratio(0, 1)
    s = _summary(world.city_admin, unit=world.other_unit)
    assert (s.households, s.villages, s.townships) == (Ratio(0, 1), Ratio(2, 2), Ratio(1, 2))
    assert s.cadres == Ratio(0, 0)


def test_it_sees_only_the_users_scope(world):
    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    s = _summary(world.township_staff)
    assert (s.households, s.villages, s.townships) == (Ratio(1, 2), Ratio(1, 2), Ratio(1, 1))
    s = _summary(world.outsider)
    assert (s.households, s.villages, s.townships) == (Ratio(0, 1), Ratio(1, 1), Ratio(0, 1))
    # The cadre sees the households paired with them, and their unit's cadres.
    s = _summary(world.cadre_user)
    assert (s.households, s.cadres) == (Ratio(1, 1), Ratio(1, 1))
    for admin in (world.system_admin, world.security_admin, world.audit_admin):
        s = _summary(admin)
        assert (s.households, s.cadres, s.villages, s.townships) == (Ratio(0, 0),) * 4


def test_it_summarises_a_whole_county_without_a_user(world):
    do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    s = county_summary(world.county)
    assert (s.households, s.cadres, s.villages, s.townships) == (
        Ratio(1, 3),
        Ratio(1, 1),
        Ratio(2, 3),
        Ratio(1, 2),
    )
    assert Coverage(county_id=world.county.pk).summary() == s
