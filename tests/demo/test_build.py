import datetime as dt
import re
from collections import Counter

import pytest
from django.core.management.base import CommandError
from django.db.models import Count
from django.urls import reverse

from lianxin.accounts.choices import Role
from lianxin.accounts.models import User
from lianxin.audit.models import AuditEntry
from lianxin.core.sensitive import unseal_field
from lianxin.demo import builder
from lianxin.demo.catalogue import (
    BUILD_ACTION,
    DEMO_PASSWORD,
    LEADER_COUNT,
    PENDING_UNIT,
    PENDING_VILLAGE,
    SHORT_UNIT,
    UNIT_COUNT,
)
from lianxin.geo.choices import Level
from lianxin.geo.models import County, Region
from lianxin.lib import idcard, phone, uscc
from lianxin.org.choices import UnitKind
from lianxin.org.models import Cadre, CadreAssignment, LeaderLiaison, ResponsibilityZone, Unit
from lianxin.people import numbering
from lianxin.people.choices import Trade
from lianxin.people.models import Enterprise, Household, HouseholdHardship, Resident

from .conftest import TINY, run_demo


def _county():
    return County.objects.get(code="510184")


def test_it_builds_the_map_of_2014(demo):
    regions = Region.objects.filter(county=_county(), valid_to__isnull=True)
    assert regions.filter(level=Level.TOWNSHIP).count() == 25
    villages = list(regions.filter(level=Level.VILLAGE).prefetch_related("children"))
    assert len(villages) == 253
    for village in villages:
        names = sorted(g.name for g in village.children.all())
        if village.short_name.endswith("社区"):
            assert 4 <= len(names) <= 10, village
            assert all(re.fullmatch(r"第\d+网格", n) for n in names)
        else:
            assert 6 <= len(names) <= 15, village
            assert all(re.fullmatch(r"\d+组", n) for n in names)
    assert regions.filter(short_name="大坪村", parent__short_name="文井江镇").exists()


def test_it_covers_every_village_but_the_pending_one_with_one_of_115_units(demo):
    county = _county()
    assert Unit.objects.filter(county=county).count() == UNIT_COUNT
    zones = (
        ResponsibilityZone.objects.current()
        .filter(county=county)
        .select_related("unit", "village__parent")
    )
    by_village: dict[int, list] = {}
    for zone in zones:
        by_village.setdefault(zone.village_id, []).append(zone.unit)
        # A township government's zone lies in its own township.
        if zone.unit.kind == UnitKind.TOWNSHIP_GOVERNMENT:
            assert zone.unit.township_id == zone.village.parent_id
    # The deliberate gap: one village has no unit yet, and the unit meant for it no zone.
    township, village = PENDING_VILLAGE
    pending = Region.objects.get(short_name=village, parent__short_name=township)
    assert len(by_village) == 252 and pending.pk not in by_village
    assert all(len(units) == 1 for units in by_village.values())
    per_unit = {}
    for zone in zones:
        per_unit[zone.unit.name] = per_unit.get(zone.unit.name, 0) + 1
    assert len(per_unit) == UNIT_COUNT - 1 and PENDING_UNIT not in per_unit
    assert max(per_unit.values()) <= 3
    assert (
        Unit.objects.filter(kind=UnitKind.TOWNSHIP_GOVERNMENT, township__isnull=False).count() == 25
    )
    # The departments the demand categories route to handle demands.
    assert Unit.objects.get(name="崇州市民政局").handles_demands
    assert Unit.objects.get(name="中共崇州市委组织部").handles_demands
    assert Unit.objects.get(name="文井江镇人民政府").handles_demands
    assert Unit.objects.filter(name="崇州市自来水公司", kind=UnitKind.STATE_ENTERPRISE).exists()


def test_it_registers_cadres_and_28_leaders_covering_25_townships(demo):
    county = _county()
    cadres = Cadre.objects.filter(county=county)
    staff = cadres.filter(is_city_leader=False)
    # The minimum of two per unit at a tiny scale, but one in the short unit (its zone's few
    # households need no more).
    assert staff.count() == 2 * UNIT_COUNT - 1
    per_unit = dict(
        Unit.objects.filter(county=county)
        .annotate(n=Count("cadres"))
        .exclude(name=SHORT_UNIT)
        .values_list("name", "n")
    )
    assert min(per_unit.values()) >= 2
    assert CadreAssignment.objects.filter(county=county).count() == cadres.count()
    sample = list(cadres.order_by("?")[:20])
    assert all(phone.is_valid(unseal_field(c, "phone")) for c in sample)
    assert all(c.name_initials for c in sample)
    leaders = cadres.filter(is_city_leader=True)
    assert leaders.count() == LEADER_COUNT
    assert set(leaders.values_list("unit__kind", flat=True)) <= {
        UnitKind.PARTY_ORGAN,
        UnitKind.CITY_DEPARTMENT,
    }
    liaisons = LeaderLiaison.objects.current().filter(county=county)
    assert liaisons.values("township_id").distinct().count() == 25
    per_leader = {}
    for leader_id in liaisons.values_list("leader_id", flat=True):
        per_leader[leader_id] = per_leader.get(leader_id, 0) + 1
    assert len(per_leader) == LEADER_COUNT
    assert set(per_leader.values()) == {1, 2}
    malin = Cadre.objects.get(name="马林增")
    assert malin.unit.name == "中共崇州市委宣传部" and malin.user.username == "malin"


def test_it_imports_households_with_valid_id_numbers(demo):
    county = _county()
    households = Household.objects.filter(county=county)
    expected = round(670_000 * TINY / 2.9)
    assert abs(households.count() - expected) <= 3  # story households are always there
    residents = Resident.objects.filter(county=county)
    assert 2.5 <= residents.count() / households.count() <= 3.3
    for r in residents.order_by("?")[:50]:
        number = unseal_field(r, "id_number")
        card = idcard.parse(number)
        assert card.region_code == "510184"
        assert (card.sex, card.birth_date.year) == (r.sex, r.birth_year)
        if r.phone_enc:
            assert phone.is_valid(unseal_field(r, "phone"))
    numbers = list(households.values_list("number", flat=True))
    assert all(re.fullmatch(r"510184\d{11}", n) for n in numbers)
    # The county's default rule, which the import applied to every one of them.
    rule = numbering.rule_for(county)
    assert not rule.custom and [n for n in numbers if rule.problem(n)] == []
    assert not households.exclude(members__relation="head").exists()
    # Heads and their children share a surname in most households (children of a woman
    # heading the household take her husband's).
    luo = households.get(address="大坪村6组1号")
    assert [m.name for m in luo.members.order_by("id")] == ["罗选志", "赵秀英"]


def test_it_registers_hardship_households_in_2013_and_2014(demo):
    county = _county()
    hardships = HouseholdHardship.objects.current().filter(county=county)
    households = hardships.values("household_id").distinct().count()
    assert households == max(1, round(1187 * TINY))
    assert all(h.valid_from.year in (2013, 2014) and h.valid_to is None for h in hardships)


def test_it_imports_enterprises_in_every_trade(demo):
    enterprises = Enterprise.objects.filter(county=_county())
    assert enterprises.count() == 40
    assert set(enterprises.values_list("trade", flat=True)) == set(Trade.values)
    assert all(uscc.is_valid(code) for code in enterprises.values_list("credit_code", flat=True))


LOGINS = [
    ("admin", Role.CITY_ADMIN, None, None, True),
    ("wenjing", Role.TOWNSHIP_STAFF, "文井江镇", None, True),
    ("daping", Role.VILLAGE_STAFF, "大坪村", None, False),
    ("malin", Role.CADRE, None, "中共崇州市委宣传部", False),
    ("minzheng", Role.HANDLER, None, "崇州市民政局", False),
    ("info", Role.INFO_GROUP, None, None, False),
    ("leader", Role.LEADER, None, None, False),
    ("sysadmin", Role.SYSTEM_ADMIN, None, None, False),
    ("secadmin", Role.SECURITY_ADMIN, None, None, False),
    ("auditor", Role.AUDIT_ADMIN, None, None, False),
    ("daoming", Role.TOWNSHIP_STAFF, "道明镇", None, True),
]


@pytest.mark.parametrize(("username", "role", "region", "unit", "can_reveal"), LOGINS)
def test_it_makes_the_demo_logins(demo, username, role, region, unit, can_reveal):
    user = User.objects.get(username=username)
    assert user.role == role
    assert (user.region.short_name if user.region else None) == region
    assert (user.unit.name if user.unit else None) == unit
    assert user.can_reveal is can_reveal
    assert user.is_active and not user.is_superuser
    assert user.is_demo and user.access_approved and not user.must_change_password
    # The printed table names every login with its password.
    assert re.search(rf"^\s*{username}\s.*{DEMO_PASSWORD}$", demo, re.MULTILINE)


def test_it_shares_one_password_that_signs_in(demo, client, settings):
    assert User.objects.get(username="admin").check_password(DEMO_PASSWORD)
    # Outside a demo deployment (the default) the published password opens nothing.
    response = client.post(
        reverse("accounts:login"), {"username": "daping", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    settings.LIANXIN_DEMO_ACCOUNTS = True  # as `make run` sets it
    response = client.post(
        reverse("accounts:login"), {"username": "daping", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(User.objects.get(username="daping").pk)


def test_it_changes_nothing_when_run_again(demo):
    county = _county()
    before = builder.counts(county)
    audit_before = AuditEntry.objects.filter(county=county).count()
    again = run_demo()
    assert "已存在" in again and "lianxin2014" in again
    assert builder.counts(county) == before
    assert AuditEntry.objects.filter(county=county).count() == audit_before
    run_demo("--force")
    assert builder.counts(county) == before
    assert AuditEntry.objects.filter(county=county, action=BUILD_ACTION).count() == 2


def test_it_refuses_to_top_up_with_another_scale(demo):
    with pytest.raises(CommandError, match="相同参数"):
        run_demo("--force", "--seed", "7")


def test_it_pairs_cadres_with_households_through_one_applied_run(demo):
    from lianxin.accounts.models import User
    from lianxin.audit.models import AuditEntry
    from lianxin.pairing.choices import RunStatus
    from lianxin.pairing.coverage import county_summary
    from lianxin.pairing.models import PairingRun
    from lianxin.people.models import Household

    run = PairingRun.objects.get()
    assert run.status == RunStatus.APPLIED
    assert AuditEntry.objects.filter(action="执行自动结对").count() == 1
    summary = county_summary(run.county_id)
    # Every household gets a cadre but those of the deliberate gap (the next test).
    township, village = PENDING_VILLAGE
    gap = Household.objects.filter(
        village__short_name=village, village__parent__short_name=township
    )
    assert summary.households.covered == summary.households.total - gap.count()
    # At this tiny scale there are about two households per cadre, so not every cadre gets one.
    assert summary.cadres.covered > summary.cadres.total / 2
    assert Household.objects.visible_to(User.objects.get(username="malin")).exists()


def test_it_dates_the_pairings_from_the_programmes_launch(demo):
    from django.utils import timezone

    from lianxin.core.models import today
    from lianxin.demo.catalogue import LAUNCH
    from lianxin.pairing.models import Pairing, PairingRun

    pairings = Pairing.objects.filter(county=_county())
    assert pairings.exists()
    starts = set(pairings.values_list("valid_from", flat=True))
    # Pairings start at the launch, or on the day a cadre who joined later took up the post.
    assert LAUNCH in starts and min(starts) == LAUNCH
    assert all(LAUNCH <= d < dt.date(2014, 7, 1) for d in starts)
    late = pairings.exclude(valid_from=LAUNCH).select_related("cadre")
    assert all(p.valid_from == p.cadre.joined_on for p in late)
    # The run and its audit row are what happened today; the row says the date it applied.
    run = PairingRun.objects.get()
    assert timezone.localtime(run.applied_at).date() == today()
    entry = AuditEntry.objects.get(action="执行自动结对")
    assert entry.changes["valid_from"] == [None, LAUNCH.isoformat()]
    assert run.summary["applied"]["on"] == LAUNCH.isoformat()


def test_it_pairs_under_a_realistic_policy_leaving_only_the_deliberate_gaps(demo):
    from lianxin.pairing.coverage import county_coverage
    from lianxin.pairing.models import Pairing, PairingRun
    from lianxin.pairing.policy import policy_for

    county = _county()
    policy = policy_for(county)
    assert (policy.min_load, policy.max_load) == (5, 50)
    assert (builder.DEMO_MIN_LOAD, builder.DEMO_MAX_LOAD) == (5, 50)
    coverage = county_coverage(county)
    township, village = PENDING_VILLAGE
    pending = Region.objects.get(short_name=village, parent__short_name=township)
    # The households without a cadre are exactly the pending village's (the old builder, which
    # gave units cadres by their staff size, left zones of small units uncovered).
    gap = set(Household.objects.filter(village=pending).values_list("pk", flat=True))
    assert gap
    assert set(coverage.households_without_cadre().values_list("pk", flat=True)) == gap
    assert list(coverage.villages_without_unit().values_list("pk", flat=True)) == [pending.pk]
    # The run says why: the one shortfall is that village, in no unit's zone.
    run = PairingRun.objects.get()
    shortfalls = run.summary["shortfalls"]
    assert [s["village_ids"] for s in shortfalls] == [[pending.pk]]
    assert "未划入任何单位的责任区" in shortfalls[0]["message_zh"]
    # The pending unit's cadres have no households, as many as that village would need.
    idle = set(coverage.cadres_without_households().values_list("unit__name", flat=True))
    assert PENDING_UNIT in idle
    assert not Pairing.objects.filter(cadre__unit__name=PENDING_UNIT).exists()
    # At this scale the short unit's one cadre carries its whole zone.
    assert not coverage.households_without_cadre().filter(
        village__in=ResponsibilityZone.objects.current()
        .filter(unit__name=SHORT_UNIT)
        .values("village_id")
    )


def test_it_imports_the_households_the_plan_counts(demo):
    # The cadre counts come from the planned households: they are the ones imported.
    planned = builder.village_households(builder.planned_slots(2014), TINY)
    found = Counter(
        Household.objects.filter(county=_county()).values_list(
            "village__parent__short_name", "village__short_name"
        )
    )
    assert {k: n for k, n in planned.items() if n} == dict(found)
