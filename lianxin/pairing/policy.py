"""Reading a county's pairing policy: who must be covered, who may take households, what loads."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet

from lianxin.core.models import today
from lianxin.geo.choices import Level
from lianxin.geo.models import County
from lianxin.org.models import Cadre, CadreAssignment, ResponsibilityZone
from lianxin.people.models import Household, HouseholdHardship

from .choices import Coverage
from .models import CadreExclusion, PairingPolicy


def policy_for(county: County | int) -> PairingPolicy:
    """The county's policy, created with the defaults (all households, 5–15) on first use."""
    county_id = county if isinstance(county, int) else county.pk
    policy, _ = PairingPolicy.objects.get_or_create(county_id=county_id)
    return policy


def must_cover(policy: PairingPolicy, on: dt.date | None = None) -> QuerySet[Household]:
    """The households the policy says must have a named cadre."""
    households = Household.objects.filter(county_id=policy.county_id)
    if policy.coverage == Coverage.HARDSHIP:
        kinds = HouseholdHardship.objects.current(on).filter(county_id=policy.county_id)
        if policy.hardship_kinds:
            kinds = kinds.filter(kind__in=policy.hardship_kinds)
        return households.filter(pk__in=kinds.values("household_id"))
    if policy.coverage == Coverage.REGIONS:
        q = Q(pk__in=[])
        for region in policy.regions.all():
            q |= (
                Q(village_id=region.pk) if region.level == Level.VILLAGE else Q(region_id=region.pk)
            )
        return households.filter(q)
    return households


def eligible_cadres(policy: PairingPolicy, on: dt.date | None = None) -> QuerySet[Cadre]:
    """The cadres who may take households on the day: the one definition the pairing engine
    pairs from and the coverage report counts as capacity, for today as for any other day.

    - in the program that day and the next: joined by then, and still in office the day
      after (Cadre.objects.serving_on). A run's pairings start on its day and stay open, so a
      cadre whose last day (退出日期) is the day still covers their households that day but
      takes no new ones, and that day's run hands theirs on;
    - holding an assignment (任职记录) in force that day, so a cadre whose first assignment
      starts later is not eligible yet;
    - not excluded (暂不参与结对) that day;
    - not a city leader, when the policy keeps leaders to their townships.
    """
    on = on or today()
    assigned = CadreAssignment.objects.current(on).filter(cadre_id=OuterRef("pk"))
    cadres = (
        Cadre.objects.filter(county_id=policy.county_id, joined_on__lte=on)
        .serving_on(on + dt.timedelta(days=1))
        .filter(Exists(assigned))
    )
    if policy.exclude_city_leaders:
        cadres = cadres.filter(is_city_leader=False)
    excluded = CadreExclusion.objects.current(on).filter(county_id=policy.county_id)
    return cadres.exclude(pk__in=excluded.values("cadre_id"))


def load_bounds(policy: PairingPolicy) -> dict[int | None, tuple[int, int]]:
    """(min, max) households per cadre by unit id; the key None holds the county default."""
    bounds: dict[int | None, tuple[int, int]] = {None: (policy.min_load, policy.max_load)}
    for override in policy.unit_overrides.all():
        bounds[override.unit_id] = (override.min_load, override.max_load)
    return bounds


def zones(county_id: int, on: dt.date | None = None) -> dict[int, set[int]]:
    """unit id → the villages of its current responsibility zone."""
    result: dict[int, set[int]] = {}
    rows = ResponsibilityZone.objects.current(on).filter(county_id=county_id)
    for unit_id, village_id in rows.values_list("unit_id", "village_id"):
        result.setdefault(unit_id, set()).add(village_id)
    return result
