"""Building test worlds through the do_* services, so audit rows exist as in production."""

from __future__ import annotations

import datetime as dt
import itertools
from types import SimpleNamespace

from lianxin.accounts.choices import Role
from lianxin.accounts.services import do_create_user
from lianxin.geo.choices import Level
from lianxin.geo.services import do_create_county, do_create_region
from lianxin.lib.idcard import compose
from lianxin.lib.uscc import check_char as uscc_check
from lianxin.org.choices import UnitKind
from lianxin.org.services import do_assign_liaison, do_assign_zone, do_create_cadre, do_create_unit
from lianxin.people.choices import Relation
from lianxin.people.services import do_create_household, do_create_resident

PASSWORD = "test-pass-9f3k"
_seq = itertools.count(1)


def id_number(birth: dt.date = dt.date(1970, 5, 17), region: str = "510184") -> str:
    return compose(region, birth, next(_seq))


def credit_code(seed: int) -> str:
    first17 = f"91510184MA{seed:07d}"
    return first17 + uscc_check(first17)


def phone(seed: int) -> str:
    return f"138{seed:08d}"


def user(county, role: Role, name: str, **kw):
    return do_create_user(
        county=county,
        username=name,
        password=PASSWORD,
        role=role,
        full_name=kw.pop("full_name", name),
        acting_user=None,
        **kw,
    )


def household(county, region, number: str, *, head: str = "张三丰", members: int = 1, **kw):
    h = do_create_household(county=county, number=number, region=region, acting_user=None, **kw)
    do_create_resident(
        household=h,
        name=head,
        id_number=id_number(),
        relation=Relation.HEAD,
        phone=phone(next(_seq)),
        acting_user=None,
    )
    for i in range(members - 1):
        do_create_resident(
            household=h,
            name=f"{head[0]}家{i}",
            id_number=id_number(dt.date(2001, 1, 1)),
            relation=Relation.CHILD,
            acting_user=None,
        )
    return h


def build_world() -> SimpleNamespace:
    """One county, two townships with two villages of two groups each, units, cadres, households,
    and the personas: the township staffer of 文井江镇 and an outsider from 道明镇."""
    w = SimpleNamespace()
    w.county = do_create_county(code="510184", name="崇州市")
    w.township = do_create_region(
        county=w.county, level=Level.TOWNSHIP, name="文井江镇人民政府", code="510184110"
    )
    w.other_township = do_create_region(
        county=w.county, level=Level.TOWNSHIP, name="道明镇人民政府", code="510184113"
    )
    w.village = do_create_region(
        county=w.county, level=Level.VILLAGE, name="大坪村村民委员会", parent=w.township
    )
    w.village2 = do_create_region(
        county=w.county, level=Level.VILLAGE, name="双河村村民委员会", parent=w.township
    )
    w.other_village = do_create_region(
        county=w.county, level=Level.VILLAGE, name="三龙村村民委员会", parent=w.other_township
    )
    w.group = do_create_region(county=w.county, level=Level.GROUP, name="6组", parent=w.village)
    w.group2 = do_create_region(county=w.county, level=Level.GROUP, name="7组", parent=w.village)
    w.other_group = do_create_region(
        county=w.county, level=Level.GROUP, name="1组", parent=w.other_village
    )
    w.unit = do_create_unit(
        county=w.county, name="中共崇州市委宣传部", kind=UnitKind.PARTY_ORGAN, acting_user=None
    )
    w.other_unit = do_create_unit(
        county=w.county,
        name="崇州市民政局",
        kind=UnitKind.CITY_DEPARTMENT,
        handles_demands=True,
        acting_user=None,
    )
    do_assign_zone(unit=w.unit, village=w.village, acting_user=None)
    do_assign_zone(unit=w.other_unit, village=w.other_village, acting_user=None)
    w.cadre = do_create_cadre(
        unit=w.unit,
        staff_no="C0001",
        name="马林增",
        post="网信办干部",
        phone="13900000001",
        acting_user=None,
    )
    w.leader = do_create_cadre(
        unit=w.unit,
        staff_no="L0001",
        name="李市长",
        post="副市长",
        is_city_leader=True,
        acting_user=None,
    )
    do_assign_liaison(leader=w.leader, township=w.township, acting_user=None)
    w.household = household(
        w.county, w.group, "51018411000000001", head="罗选志", members=3, address="大坪村6组12号"
    )
    w.household2 = household(w.county, w.group2, "51018411000000002", head="张三丰")
    w.other_household = household(
        w.county, w.other_group, "51018411000000101", head="马蓉", address="三龙村1组3号"
    )
    w.city_admin = user(w.county, Role.CITY_ADMIN, "city", can_reveal=True)
    w.township_staff = user(
        w.county, Role.TOWNSHIP_STAFF, "wenjing", region=w.township, can_reveal=True
    )
    w.village_staff = user(w.county, Role.VILLAGE_STAFF, "daping", region=w.village)
    w.outsider = user(
        w.county, Role.TOWNSHIP_STAFF, "daoming", region=w.other_township, can_reveal=True
    )
    w.cadre_user = user(w.county, Role.CADRE, "malin", unit=w.unit)
    w.cadre.user = w.cadre_user
    w.cadre.save(update_fields=["user"])
    w.handler = user(w.county, Role.HANDLER, "minzheng", unit=w.other_unit)
    w.info_group = user(w.county, Role.INFO_GROUP, "info")
    w.leader_user = user(w.county, Role.LEADER, "leader")
    w.system_admin = user(w.county, Role.SYSTEM_ADMIN, "sysadmin")
    w.security_admin = user(w.county, Role.SECURITY_ADMIN, "secadmin")
    w.audit_admin = user(w.county, Role.AUDIT_ADMIN, "auditor")
    return w
