"""Building the demo county: regions, units and zones, accounts, cadres and leaders, households
and enterprises — each through the service or importer an office would use, so the demo holds
the same rows (and the same audit trail) real use would.

Every phase looks its rows up by their natural keys first (county code, region name under its
parent, unit name, staff number, username; 户号, ID number and credit code in the importer), so
running the build again adds only what is missing.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import os
import random
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Case, Value, When
from django.db.models.functions import Mod
from django.db.models.lookups import Exact
from tqdm import tqdm

from lianxin.accounts.choices import Role
from lianxin.accounts.models import User
from lianxin.accounts.services import do_create_user
from lianxin.audit.models import AuditEntry
from lianxin.audit.services import record
from lianxin.core.errors import Refused
from lianxin.core.models import today
from lianxin.geo.choices import Level
from lianxin.geo.importers import import_regions
from lianxin.geo.models import County, Region
from lianxin.geo.services import do_create_region
from lianxin.lib.names import short_region_name
from lianxin.org.choices import UnitKind
from lianxin.org.models import Cadre, LeaderLiaison, ResponsibilityZone, Unit
from lianxin.org.services import (
    NewCadre,
    do_assign_liaison,
    do_assign_zone,
    do_bulk_create_cadres,
    do_create_unit,
)
from lianxin.people.models import Enterprise, Household, HouseholdHardship, Resident
from lianxin.transfer.choices import DataKind, ImportMode
from lianxin.transfer.importers import WRITE_BATCH_SIZE, import_people

from . import catalogue as C
from . import people as P
from . import visits as V

CADRES_AT_SCALE_1 = 6_100
MIN_CADRES_PER_UNIT = 2
# The demo county's pairing policy: 5 to 50 households per cadre (docs/demo.md).
DEMO_MIN_LOAD = 5
DEMO_MAX_LOAD = 50


@dataclass
class BuildResult:
    """What a build did and what the demo now holds."""

    built: bool  # False when an earlier build was found and nothing was run
    seed: int
    scale: float
    elapsed: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    bad_rows: list[str] = field(default_factory=list)


def _bar(total: int | None, desc: str, unit: str, stream: TextIO | None, enabled: bool) -> tqdm:
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        file=stream,
        disable=not enabled,
        dynamic_ncols=True,
        leave=True,
    )


def demo_county() -> County | None:
    return County.objects.filter(code=C.COUNTY_CODE).first()


def previous_build(county: County | None) -> AuditEntry | None:
    """The audit row of the last finished build, which holds its seed and scale."""
    if county is None:
        return None
    return AuditEntry.objects.filter(county=county, action=C.BUILD_ACTION).order_by("-id").first()


def _built_with(entry: AuditEntry) -> tuple[int, float]:
    changes = entry.changes or {}
    return int(changes["seed"][1]), float(changes["scale"][1])


# ---------------------------------------------------------------------------------------------
# Regions


def _group_count(seed: int, t: int, v: int, is_community: bool) -> int:
    rng = random.Random(f"{seed}:groups:{t}:{v}")
    return rng.randint(4, 10) if is_community else rng.randint(6, 15)


def _group_name(n: int, is_community: bool) -> str:
    return f"第{n}网格" if is_community else f"{n}组"


_DIGITS = re.compile(r"\d+")


def _group_no(name: str) -> int:
    found = _DIGITS.search(name)
    return int(found.group()) if found else 0


@dataclass
class Map:
    """The demo county's townships and villages by their short names, and the group slots."""

    county: County
    townships: dict[str, Region]
    villages: dict[tuple[str, str], Region]
    slots: list[P.GroupSlot]


def _write_coded_divisions(target: Path) -> None:
    """The 2014 table in the statistics bureau's layout, each township and village numbered in
    the table's order (510184 + 3-digit township + 3-digit village), so the demo's regions sort
    in that official order as a county's real codes would make them. The codes are the
    demo's own, not the bureau's. A demo built before codes existed gets them by name."""
    with target.open("w", encoding="utf-8", newline="") as stream:
        out = csv.writer(stream)
        out.writerow(["code", "name", "level", "parent_code"])
        for t_no, (township, villages) in enumerate(C.divisions(), start=1):
            t_code = f"{C.COUNTY_CODE}{t_no:03d}"
            out.writerow([t_code, township, "township", ""])
            for v_no, village in enumerate(villages, start=1):
                out.writerow([f"{t_code}{v_no:03d}", village, "village", t_code])


def _village_slots(
    seed: int, t_no: int, v_no: int, township: str, village: str, groups: list[tuple[int, str]]
) -> list[P.GroupSlot]:
    """The group slots of one village: (group no, short name) of each group, in order."""
    is_community = village.endswith("社区")
    weight_rng = random.Random(f"{seed}:weight:{t_no}:{v_no}")
    # Rural villages hold more people than town communities.
    village_weight = (
        weight_rng.uniform(0.55, 0.95) if is_community else weight_rng.uniform(1.0, 1.6)
    )
    return [
        P.GroupSlot(
            township_no=t_no,
            village_no=v_no,
            group_no=group_no,
            township=township,
            village=village,
            group=group,
            is_community=is_community,
            weight=village_weight / len(groups) * weight_rng.uniform(0.8, 1.2),
        )
        for group_no, group in groups
    ]


def planned_slots(seed: int) -> list[P.GroupSlot]:
    """The group slots a fresh build makes, without a database (build_regions makes the same
    from the regions it finds or creates)."""
    slots: list[P.GroupSlot] = []
    for t_no, (township_name, village_names) in enumerate(C.divisions(), start=1):
        township = short_region_name(township_name)
        for v_no, village_name in enumerate(village_names, start=1):
            village = short_region_name(village_name)
            is_community = village.endswith("社区")
            count = _group_count(seed, t_no, v_no, is_community)
            groups = [(n, _group_name(n, is_community)) for n in range(1, count + 1)]
            slots += _village_slots(seed, t_no, v_no, township, village, groups)
    return slots


def build_regions(seed: int, bar: tqdm) -> Map:
    """The 25 townships and 253 villages from the 2014 table, then groups or grids under each."""
    with tempfile.TemporaryDirectory() as folder:
        table = Path(folder) / "divisions.csv"
        _write_coded_divisions(table)
        report = import_regions(
            table,
            county_code=C.COUNTY_CODE,
            county_name=C.COUNTY_NAME,
            valid_from=C.LAUNCH,
            progress=bar,
        )
    if report.errors:
        raise Refused("导入区划失败：" + "；".join(report.errors[:5]))
    county = report.county
    assert county is not None
    current = list(Region.objects.filter(county=county, valid_to__isnull=True))
    by_id = {r.pk: r for r in current}
    townships = {r.short_name: r for r in current if r.level == Level.TOWNSHIP}
    found: dict[tuple[str, str], Region] = {}
    groups: dict[int, list[Region]] = {}
    for r in current:
        if r.level == Level.VILLAGE and r.parent_id in by_id:
            found[(by_id[r.parent_id].short_name, r.short_name)] = r
        elif r.level == Level.GROUP and r.parent_id is not None:
            groups.setdefault(r.parent_id, []).append(r)
    # Villages in the order of the 2014 table, which house numbers and zones follow.
    villages: dict[tuple[str, str], Region] = {}
    slots: list[P.GroupSlot] = []
    with transaction.atomic():
        for t_no, (township_name, village_names) in enumerate(C.divisions(), start=1):
            township = short_region_name(township_name)
            for v_no, village_name in enumerate(village_names, start=1):
                key = (township, short_region_name(village_name))
                village = villages[key] = found[key]
                is_community = village.short_name.endswith("社区")
                mine = groups.get(village.pk)
                if not mine:
                    # Only villages without groups get them: an office may since have changed
                    # the demo's groups, and a re-run must not add a second set.
                    mine = [
                        do_create_region(
                            county=county,
                            level=Level.GROUP,
                            name=_group_name(n, is_community),
                            parent=village,
                            valid_from=C.LAUNCH,
                            audit=False,
                        )
                        for n in range(1, _group_count(seed, t_no, v_no, is_community) + 1)
                    ]
                slots += _village_slots(
                    seed,
                    t_no,
                    v_no,
                    township,
                    village.short_name,
                    [
                        (_group_no(g.name), g.short_name)
                        for g in sorted(mine, key=lambda g: (_group_no(g.name), g.pk))
                    ],
                )
                bar.update(1)
    return Map(county, townships, villages, slots)


# ---------------------------------------------------------------------------------------------
# Units and responsibility zones


def _office_phone(rng: random.Random) -> str:
    return f"028-8{rng.randint(2210000, 2299999)}"


def build_units(m: Map, seed: int, bar: tqdm) -> dict[str, Unit]:
    """The 115 units, and zones that give every village exactly one unit."""
    rng = random.Random(f"{seed}:units")
    existing = {u.name: u for u in Unit.objects.filter(county=m.county)}
    units: dict[str, Unit] = {}
    for spec in C.units():
        phone = _office_phone(rng)
        unit = existing.get(spec.name)
        if unit is None:
            unit = do_create_unit(
                county=m.county,
                name=spec.name,
                kind=spec.kind,
                short_name=spec.short_name,
                handles_demands=spec.handles_demands,
                township=m.townships[spec.township] if spec.township else None,
                phone=phone,
                acting_user=None,
            )
        units[spec.name] = unit
        bar.update(1)
    covered = set(
        ResponsibilityZone.objects.current()
        .filter(county=m.county, village__valid_to__isnull=True)
        .values_list("village_id", flat=True)
    )
    for unit_name, key in zone_plan(seed):
        village = m.villages[key]
        if village.pk not in covered:
            do_assign_zone(
                unit=units[unit_name], village=village, valid_from=C.LAUNCH, acting_user=None
            )
            covered.add(village.pk)
    return units


def village_keys() -> list[tuple[str, str]]:
    """(township, village) short names of the 253 villages, in the order of the 2014 table."""
    return [
        (short_region_name(t), short_region_name(v))
        for t, villages in C.divisions()
        for v in villages
    ]


def zone_plan(seed: int) -> list[tuple[str, tuple[str, str]]]:
    """(unit name, village) for every village but one: the stories' zones and the short unit's
    (C.SHORT_ZONE), a few villages for each township government in its own township, the rest
    dealt to the other units in runs of one to three neighbouring villages. C.PENDING_VILLAGE
    is left without a unit and C.PENDING_UNIT without a zone (the deliberate gaps)."""
    rng = random.Random(f"{seed}:zones")
    keys = village_keys()
    plan: list[tuple[str, tuple[str, str]]] = []
    taken: set[tuple[str, str]] = {C.PENDING_VILLAGE}
    load: dict[str, int] = {}
    pinned = [(u, k) for u, k in C.STORY_ZONES.items()] + [(C.SHORT_UNIT, k) for k in C.SHORT_ZONE]
    for unit_name, key in pinned:
        plan.append((unit_name, key))
        taken.add(key)
        load[unit_name] = load.get(unit_name, 0) + 1
    specs = C.units()
    for spec in specs:
        if spec.kind != UnitKind.TOWNSHIP_GOVERNMENT:
            continue
        own = [k for k in keys if k[0] == spec.township and k not in taken]
        for key in rng.sample(own, min(len(own), rng.randint(1, 3))):
            plan.append((spec.name, key))
            taken.add(key)
    rest = [k for k in keys if k not in taken]  # township by township, in table order
    others = [
        s.name for s in specs if s.kind != UnitKind.TOWNSHIP_GOVERNMENT and s.name != C.PENDING_UNIT
    ]
    sizes = {name: max(0, 1 - load.get(name, 0)) for name in others}
    # Hand out the remaining villages one extra at a time, at most three per unit.
    spare = len(rest) - sum(sizes.values())
    if spare > sum(3 - sizes[n] - load.get(n, 0) for n in others):
        raise ValueError("too few units for the villages at three villages per unit")
    while spare > 0:
        name = rng.choice(others)
        if sizes[name] + load.get(name, 0) < 3:
            sizes[name] += 1
            spare -= 1
    order = list(others)
    rng.shuffle(order)
    position = 0
    for name in order:
        for key in rest[position : position + sizes[name]]:
            plan.append((name, key))
        position += sizes[name]
    return plan


def village_households(slots: list[P.GroupSlot], scale: float) -> dict[tuple[str, str], int]:
    """Households per village (township, village) that build_households imports."""
    result: dict[tuple[str, str], int] = dict.fromkeys(village_keys(), 0)
    for slot, n in zip(slots, P.household_counts(slots, scale), strict=True):
        result[(slot.township, slot.village)] += n
    return result


def zone_households(seed: int, slots: list[P.GroupSlot], scale: float) -> dict[str, int]:
    """Households in each unit's zone (unit name → households); the pending unit counts the
    village meant for it, so its cadres are as many as that village needs."""
    per_village = village_households(slots, scale)
    result = dict.fromkeys((s.name for s in C.units()), 0)
    for unit_name, key in zone_plan(seed):
        result[unit_name] += per_village[key]
    result[C.PENDING_UNIT] += per_village[C.PENDING_VILLAGE]
    return result


# ---------------------------------------------------------------------------------------------
# Accounts


def build_accounts(m: Map, units: dict[str, Unit]) -> dict[str, User]:
    """The demo logins, one per persona (skipped when the username is taken)."""
    users: dict[str, User] = {}
    fresh: list[int] = []
    existing = {
        u.username: u for u in User.objects.filter(username__in=[a.username for a in C.ACCOUNTS])
    }
    for spec in C.ACCOUNTS:
        user = existing.get(spec.username)
        if user is None:
            region = None
            if len(spec.region) == 1:
                region = m.townships[spec.region[0]]
            elif spec.region:
                region = m.villages[(spec.region[0], spec.region[1])]
            user = do_create_user(
                county=m.county,
                username=spec.username,
                password=None,  # type: ignore[arg-type]  # unusable until set below
                role=spec.role,
                full_name=spec.full_name,
                region=region,
                unit=units[spec.unit] if spec.unit else None,
                can_reveal=spec.can_reveal,
                check_password=False,
                is_demo=True,
                acting_user=None,
            )
            fresh.append(user.pk)
        users[spec.username] = user
    if fresh:
        # All demo logins share one published password: hash it once, not once per account
        # (each PBKDF2 hash costs a third of a second on purpose).
        User.objects.filter(pk__in=fresh).update(password=make_password(C.DEMO_PASSWORD))
    return users


# ---------------------------------------------------------------------------------------------
# Cadres and city leaders


def cadre_counts(scale: float, households: dict[str, int]) -> list[int]:
    """Cadres per unit (in catalogue order), from the households of its zone (zone_households):
    each unit first gets enough cadres to carry its zone at the policy's upper bound
    (DEMO_MAX_LOAD), at least two; the rest of the scaled total (CADRES_AT_SCALE_1 × scale) is
    shared in proportion to the zones' households (largest remainder), so at scale 1 every
    cadre carries about 38 households. The short unit (C.SHORT_UNIT) gets only enough for
    C.SHORT_SHARE of its zone at the upper bound, at least one, and no share of the rest."""
    specs = C.units()
    base = []
    for spec in specs:
        h = households.get(spec.name, 0)
        if spec.name == C.SHORT_UNIT:
            base.append(max(1, math.floor(C.SHORT_SHARE * h / DEMO_MAX_LOAD)))
        else:
            base.append(max(MIN_CADRES_PER_UNIT, math.ceil(h / DEMO_MAX_LOAD)))
    spare = max(0, round(CADRES_AT_SCALE_1 * scale) - sum(base))
    weights = [0 if s.name == C.SHORT_UNIT else households.get(s.name, 0) for s in specs]
    total_weight = sum(weights) or 1
    shares = [spare * w / total_weight for w in weights]
    counts = [b + int(x) for b, x in zip(base, shares, strict=True)]
    order = sorted(range(len(specs)), key=lambda i: (int(shares[i]) - shares[i], i))
    for i in order[: sum(base) + spare - sum(counts)]:
        counts[i] += 1
    return counts


@dataclass
class PlanGaps:
    """What the plan leaves uncoverable under the demo's policy, before anything is built:
    households beyond its cadres × DEMO_MAX_LOAD per unit, households of villages with no
    unit, and the units with cadres but no zone."""

    households: int
    cadres: int
    short: dict[str, int]  # unit name → households its cadres cannot carry
    unzoned: dict[tuple[str, str], int]  # (township, village) → households
    zoneless: dict[str, int]  # unit name → cadres

    @property
    def uncoverable(self) -> int:
        return sum(self.short.values()) + sum(self.unzoned.values())


def plan_gaps(seed: int, scale: float) -> PlanGaps:
    """The diagnostic behind the plan: per-zone capacity against households (each village has
    at most one unit, so a zone's coverage is min(households, cadres × max load))."""
    slots = planned_slots(seed)
    per_village = village_households(slots, scale)
    plan = zone_plan(seed)
    in_zone: dict[str, int] = {}
    for unit_name, key in plan:
        in_zone[unit_name] = in_zone.get(unit_name, 0) + per_village[key]
    per_unit = dict(
        zip(
            (s.name for s in C.units()),
            cadre_counts(scale, zone_households(seed, slots, scale)),
            strict=True,
        )
    )
    zoned = {key for _, key in plan}
    return PlanGaps(
        households=sum(per_village.values()),
        cadres=sum(per_unit.values()),
        short={
            u: h - per_unit[u] * DEMO_MAX_LOAD
            for u, h in in_zone.items()
            if h > per_unit[u] * DEMO_MAX_LOAD
        },
        unzoned={k: n for k, n in per_village.items() if k not in zoned},
        zoneless={u: n for u, n in per_unit.items() if u not in in_zone},
    )


def _joined_on(rng: random.Random) -> dt.date:
    # Most joined at the launch; the rest as they were posted to the unit in the months after.
    if rng.random() < 0.9:
        return C.LAUNCH
    return C.LAUNCH + dt.timedelta(days=rng.randint(30, 240))


def _posts(spec: C.UnitSpec, count: int, rng: random.Random) -> list[str]:
    head = C.head_title(spec)
    middle, staff = C.staff_posts(spec)
    deputies = 0 if count < 4 else min(3, 1 + count // 30)
    posts = [head] + ["副" + head] * deputies
    middles = max(0, round((count - len(posts)) * 0.2))
    posts += [rng.choice(middle) for _ in range(middles)]
    posts += [rng.choice(staff) for _ in range(count - len(posts))]
    return posts[:count]


def cadre_specs(
    units: dict[str, Unit], users: dict[str, User], per_unit: list[int], seed: int
) -> list[NewCadre]:
    """Every cadre of the demo, unit by unit; staff numbers C<unit no><seq>, leaders L<no>."""
    # The story cadres with a login of their own (马林增 signs in as malin).
    cadre_users = {(a.unit, a.cadre): users[a.username] for a in C.ACCOUNTS if a.cadre}
    specs: list[NewCadre] = []
    for unit_no, (spec, count) in enumerate(zip(C.units(), per_unit, strict=True), start=1):
        rng = random.Random(f"{seed}:cadres:{unit_no}")
        named = C.STORY_CADRES.get(spec.name, [])
        posts = _posts(spec, count - len(named), rng)
        people: list[tuple[str, str, Any]] = [
            (name, post, cadre_users.get((spec.name, name))) for name, post in named
        ]
        for post in posts:
            sex = "M" if rng.random() < 0.6 else "F"
            people.append((P.full_name(rng, sex), post, None))
        for seq, (name, post, user) in enumerate(people[:count], start=1):
            specs.append(
                NewCadre(
                    unit=units[spec.name],
                    staff_no=f"C{unit_no:03d}{seq:04d}",
                    name=name,
                    post=post,
                    phone=P.mobile(rng),
                    joined_on=_joined_on(rng),
                    user=user,
                )
            )
    rng = random.Random(f"{seed}:leaders")
    for n, (office, post) in enumerate(C.LEADER_POSTS, start=1):
        sex = "M" if rng.random() < 0.85 else "F"
        specs.append(
            NewCadre(
                unit=units[office],
                staff_no=f"L{n:04d}",
                name=P.full_name(rng, sex),
                post=post,
                phone=P.mobile(rng),
                is_city_leader=True,
                joined_on=C.LAUNCH,
            )
        )
    return specs


def build_cadres(
    specs: list[NewCadre], units: dict[str, Unit], users: dict[str, User], bar: tqdm
) -> int:
    """Register the cadres in one batch (one audit row) and link the story cadre's login."""

    def counted():
        for spec in specs:
            bar.update(1)
            yield spec

    created = do_bulk_create_cadres(counted(), acting_user=None)
    # A login made after its cadre (an interrupted earlier build) is linked here.
    for a in C.ACCOUNTS:
        if a.cadre:
            unit = units[a.unit]
            cadre = Cadre.objects.filter(unit=unit, name=a.cadre, user__isnull=True).first()
            user = users[a.username]
            if cadre is not None and not Cadre.objects.filter(user=user).exists():
                cadre.user = user
                cadre.save(update_fields=["user", "updated_at"])
    return len(created)


def build_liaisons(m: Map, seed: int) -> None:
    """Each leader liaises with one township, some with two; every township has a leader."""
    leaders = list(
        Cadre.objects.filter(county=m.county, is_city_leader=True, left_on__isnull=True).order_by(
            "staff_no"
        )
    )
    if not leaders:
        return
    busy = set(
        LeaderLiaison.objects.current().filter(county=m.county).values_list("leader_id", flat=True)
    )
    rng = random.Random(f"{seed}:liaisons")
    townships = [m.townships[short_region_name(t)] for t, _ in C.divisions()]
    rng.shuffle(townships)
    plan: dict[int, list[Region]] = {
        leader.pk: [townships[i % len(townships)]] for i, leader in enumerate(leaders)
    }
    for leader in rng.sample(leaders, min(6, len(leaders))):
        second = rng.choice([t for t in townships if t not in plan[leader.pk]])
        plan[leader.pk].append(second)
    for leader in leaders:
        if leader.pk in busy:
            continue
        for township in plan[leader.pk]:
            do_assign_liaison(
                leader=leader, township=township, valid_from=C.LAUNCH, acting_user=None
            )


# ---------------------------------------------------------------------------------------------
# Households and enterprises (through the bulk importer)


def _hardship_dates_to_seed_era(county: County, imported_on: dt.date) -> int:
    """The importer dates a hardship from the import day; the report's 1,187 households were
    registered in 2013–2014. For demo data one UPDATE spreads the just-imported ones over
    November 2013 – December 2014 by id, instead of a second write path in the importer."""
    months = [dt.date(2013, 11, 1) + dt.timedelta(days=30 * i + 4) for i in range(14)]
    return HouseholdHardship.objects.filter(
        county=county,
        valid_from=imported_on,
        valid_to__isnull=True,
        household__number__startswith=C.COUNTY_CODE,
    ).update(
        valid_from=Case(
            *[When(Exact(Mod("id", len(months)), i), then=Value(d)) for i, d in enumerate(months)],
            default=Value(months[0]),
        )
    )


def build_households(m: Map, counts: list[int], seed: int, scale: float, bar: tqdm) -> Any:
    imported_on = today()
    rows = P.resident_rows(
        P.households(m.slots, counts, seed=seed, scale=scale), on_household=lambda: bar.update(1)
    )
    result = import_people(
        rows,
        county=m.county,
        kind=DataKind.RESIDENTS,
        mode=ImportMode.GOOD,
        acting_user=None,
        file_name="演示数据：户和居民",
        write_batch_size=WRITE_BATCH_SIZE,
    )
    _hardship_dates_to_seed_era(m.county, imported_on)
    return result


def build_enterprises(m: Map, seed: int, scale: float, bar: tqdm) -> Any:
    rows = P.enterprise_rows(
        P.enterprises(m.slots, seed=seed, scale=scale), on_row=lambda: bar.update(1)
    )
    return import_people(
        rows,
        county=m.county,
        kind=DataKind.ENTERPRISES,
        mode=ImportMode.GOOD,
        acting_user=None,
        file_name="演示数据：企业",
        write_batch_size=WRITE_BATCH_SIZE,
    )


# ---------------------------------------------------------------------------------------------
# The whole build


def counts(county: County | None) -> dict[str, int]:
    """What the demo county holds now, for the summary and the tests."""
    if county is None:
        return {}
    regions = Region.objects.filter(county=county, valid_to__isnull=True)
    return {
        "townships": regions.filter(level=Level.TOWNSHIP).count(),
        "villages": regions.filter(level=Level.VILLAGE).count(),
        "groups": regions.filter(level=Level.GROUP).count(),
        "units": Unit.objects.filter(county=county).count(),
        "zones": ResponsibilityZone.objects.current().filter(county=county).count(),
        "cadres": Cadre.objects.filter(county=county).count(),
        "leaders": Cadre.objects.filter(county=county, is_city_leader=True).count(),
        "liaisons": LeaderLiaison.objects.current().filter(county=county).count(),
        "households": Household.objects.filter(county=county).count(),
        "residents": Resident.objects.filter(county=county).count(),
        "hardship_households": HouseholdHardship.objects.current()
        .filter(county=county)
        .values("household_id")
        .distinct()
        .count(),
        "enterprises": Enterprise.objects.filter(county=county).count(),
        "accounts": User.objects.filter(
            county=county, username__in=[a.username for a in C.ACCOUNTS]
        ).count(),
        **V.visit_counts(county),
    }


COUNT_LABELS = {
    "townships": "乡镇（街道）",
    "villages": "村（社区）",
    "groups": "组（网格）",
    "units": "单位",
    "zones": "责任区",
    "cadres": "干部职工",
    "leaders": "其中市级领导",
    "liaisons": "领导联系乡镇",
    "households": "户",
    "residents": "居民",
    "hardship_households": "困难群众户",
    "enterprises": "企业",
    "accounts": "演示账号",
    **V.VISIT_COUNT_LABELS,
}


# The demo's automatic pairing: seconds of wall clock, and worker processes at most.
PAIRING_BUDGET = 20
PAIRING_WORKERS = 2


def build_pairings(county: County, bar: tqdm) -> None:
    """Pair the demo's cadres with its households the way an administrator would: the policy
    of 5–50 households per cadre (DEMO_MIN_LOAD, DEMO_MAX_LOAD), under which every zone but the
    deliberate gaps' has cadres enough (cadre_counts), then one automatic run, applied as of
    the programme's launch (C.LAUNCH): the pairings are dated November 2013, the run and its
    audit rows carry the real time they were made. A 20-second budget keeps `make run` quick
    (loads come out a little less even than an unbounded run's; coverage is the same)."""
    from lianxin.jobs import runner
    from lianxin.pairing.models import Pairing
    from lianxin.pairing.policy import policy_for
    from lianxin.pairing.services import (
        do_apply_pairing_run,
        do_set_policy,
        do_start_pairing_run,
    )

    if Pairing.objects.filter(county=county).exists():
        return  # an earlier build paired already; a re-run would change nothing
    policy = policy_for(county)
    do_set_policy(
        county=county,
        acting_user=None,
        coverage=policy.coverage,
        min_load=DEMO_MIN_LOAD,
        max_load=DEMO_MAX_LOAD,
        keep_groups_together=True,
        exclude_city_leaders=True,
    )
    # The run's wall-clock budget bounds it (docs/demo.md has the measurements): coverage is
    # the max-flow optimum whatever the budget; only the evenness of the loads is left less
    # proved where the clock stops a component. Two processes where there are two cores.
    run = do_start_pairing_run(
        county=county,
        acting_user=None,
        time_limit=0.2,
        workers=min(PAIRING_WORKERS, os.cpu_count() or 1),
        budget=PAIRING_BUDGET,
        note="演示数据",
        start=False,
    )

    def progress(done: int, total: int) -> None:
        bar.total, bar.n = total, done
        bar.refresh()

    runner.execute(run.job_id or 0, on_progress=progress, foreground=True)
    run.refresh_from_db()
    # Dated to the launch: the pairings are the programme's, made in November 2013.
    do_apply_pairing_run(run, acting_user=None, effective_on=C.LAUNCH)


def build_stories(county: County) -> None:
    """A few diaries and stories of the demo cadre (lianxin.stories.demo), once paired."""
    from lianxin.stories.demo import build_demo_stories

    build_demo_stories(county)


def _shown_on(bar: tqdm):
    def progress(done: int, total: int) -> None:
        bar.total, bar.n = total, done
        bar.refresh()

    return progress


def build_visits(county: County, seed: int, bar: tqdm) -> dict[str, int]:
    """Six months of visits up to today for the paired households (lianxin.demo.visits)."""
    return V.build_visits(county, seed, on_progress=_shown_on(bar))


def build(
    *,
    scale: float,
    seed: int,
    force: bool = False,
    pair: bool = True,
    progress: TextIO | None = None,
    show_progress: bool = True,
) -> BuildResult:
    """Build (or top up) the demo. Without `force`, a finished earlier build is left alone."""
    if scale <= 0:
        raise Refused("规模（--scale）必须大于0", field="scale")
    started = time.monotonic()
    county = demo_county()
    earlier = previous_build(county)
    if earlier is not None:
        built_seed, built_scale = _built_with(earlier)
        if not force:
            result = BuildResult(False, built_seed, built_scale, counts=counts(county))
            result.elapsed = time.monotonic() - started
            return result
        if (built_seed, built_scale) != (seed, scale):
            # The same seed and scale give the same ID numbers for the same 户号; others would
            # put new people under existing house numbers.
            raise Refused(
                f"演示数据已按 --scale {built_scale:g} --seed {built_seed} 生成；补齐只能用相同参数。"
                "要换规模或种子，请先清空数据库（删除 var/lianxin.sqlite3 后 make migrate）",
                field="scale",
            )
    result = BuildResult(True, seed, scale)

    def bar(desc: str, unit: str, total: int | None = None) -> tqdm:
        return _bar(total, desc, unit, progress, show_progress)

    with bar("区划", "行", total=len(C.divisions()) + 2 * 253) as b:
        m = build_regions(seed, b)
    with bar("单位", "个", total=len(C.units())) as b:
        units = build_units(m, seed, b)
    users = build_accounts(m, units)
    # From the planned slots, not the ones found: the same cadres whatever an office has
    # since done to the demo's groups, so a re-run adds none.
    per_unit = cadre_counts(scale, zone_households(seed, planned_slots(seed), scale))
    specs = cadre_specs(units, users, per_unit, seed)
    with bar("干部", "人", total=len(specs)) as b:
        build_cadres(specs, units, users, b)
    build_liaisons(m, seed)
    households = P.household_counts(m.slots, scale)
    with bar("户和居民", "户", total=sum(households)) as b:
        residents = build_households(m, households, seed, scale, b)
    with bar("企业", "家", total=P.enterprise_total(scale)) as b:
        firms = build_enterprises(m, seed, scale, b)
    for imported in (residents, firms):
        result.bad_rows += [f"第{e.row}行 {e.column}：{e.reason}" for e in imported.errors]
    if pair:
        with bar("自动结对", "分区") as b:
            build_pairings(m.county, b)
        with bar("走访记录", "干部·月") as b:
            build_visits(m.county, seed, b)
        build_stories(m.county)
        with bar("走访统计汇总", "步") as b:
            V.build_rollup(m.county, on_progress=_shown_on(b))
    result.counts = counts(m.county)
    with transaction.atomic():
        record(
            actor=None,
            action=C.BUILD_ACTION,
            county_id=m.county.pk,
            target_type="geo.county",
            target_id=str(m.county.pk),
            target_label=f"{m.county.name}演示数据",
            changes={
                "seed": [None, seed],
                "scale": [None, scale],
                **{k: [None, v] for k, v in result.counts.items()},
            },
        )
    result.elapsed = time.monotonic() - started
    return result


def logins() -> list[tuple[str, str, str, str]]:
    """(username, role, scope, password) of the demo accounts that exist."""
    found = {
        u.username: u
        for u in User.objects.filter(username__in=[a.username for a in C.ACCOUNTS]).select_related(
            "region", "unit"
        )
    }
    rows = []
    for spec in C.ACCOUNTS:
        user = found.get(spec.username)
        if user is None:
            continue
        if user.unit is not None:
            scope = user.unit.name
        elif user.region is not None:
            scope = user.region.short_name
        else:
            scope = "全县"
        if user.can_reveal:
            scope += "（可查看完整信息）"
        rows.append((user.username, Role(user.role).label, scope, C.DEMO_PASSWORD))
    return rows
