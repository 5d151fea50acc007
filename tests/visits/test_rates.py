"""见面率, 对话率, 走访次数 and the overdue count against a brute-force recount in Python on
random pairings (with handovers, gaps and a cadre who leaves) and random visits, for every
level and several kinds of period; and the part-period rule on its own."""

from __future__ import annotations

import calendar
import datetime as dt
import random

import pytest

from lianxin.org.services import do_create_cadre
from lianxin.pairing.models import Pairing
from lianxin.pairing.services import do_end_pairing, do_pair
from lianxin.people.choices import HardshipKind
from lianxin.people.services import do_add_hardship
from lianxin.visits.choices import IN_PERSON_MODES, REMOTE_MODES, VisitMode
from lianxin.visits.models import VisitHousehold
from lianxin.visits.periods import Period, date_range, month, quarter, year
from lianxin.visits.rates import DEFINITIONS, KEYS, Level, rates_for
from lianxin.visits.services import Visited, do_record_visit, do_set_cadence, do_withdraw_visit
from tests.factories import household as make_household

from .support import pair, visit

D = dt.date
TODAY = D(2025, 6, 20)
MODES = list(VisitMode)


@pytest.fixture
def frozen(monkeypatch):
    for where in ("services", "plan", "rates"):
        monkeypatch.setattr(f"lianxin.visits.{where}.today", lambda: TODAY)


def days(period: Period):
    d = period.start
    while d <= period.end:
        yield d
        d += dt.timedelta(days=1)


def serves(p: Pairing, day: dt.date) -> bool:
    return p.is_current(day) and (p.cadre.left_on is None or p.cadre.left_on >= day)


def group_of(level: str, p_or_row) -> int:
    h, c = p_or_row.household, p_or_row.cadre
    return {
        Level.HOUSEHOLD: h.pk,
        Level.CADRE: c.pk,
        Level.UNIT: c.unit_id,
        Level.VILLAGE: h.village_id,
        Level.TOWNSHIP: h.township_id,
        Level.COUNTY: h.county_id,
    }[level]


def month_days(day: dt.date) -> tuple[dt.date, dt.date]:
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


def brute_overdue(p: Pairing, on: dt.date, rows, overrides: dict[str, int]) -> bool:
    """The plan's rules (visits.plan), recounted day by day from the rows."""

    def owed(start, end):
        kinds = [
            h.kind
            for h in p.household.hardships.all()
            if h.valid_from <= end and (h.valid_to is None or h.valid_to >= start)
        ]
        found = [overrides[k] for k in kinds if k in overrides]
        return max(found) if found else 1

    def made(start, end):
        return len(
            {
                r.occurred_on
                for r in rows
                if r.pairing_id == p.pk
                and start <= r.occurred_on <= end
                and r.met
                and r.mode in IN_PERSON_MODES
            }
        )

    start, end = month_days(on)
    n, done = owed(start, end), made(start, end)
    if done >= n:
        return False
    length = (end - start).days + 1
    due = [start + dt.timedelta(days=-(-k * length // n) - 1) for k in range(1, n + 1)]
    if done < sum(1 for d in due if d < on):
        return True
    prev_end = start - dt.timedelta(days=1)
    prev_start, _ = month_days(prev_end)
    return p.valid_from <= prev_end and made(prev_start, prev_end) < owed(prev_start, prev_end)


def brute(level: str, period: Period, overrides) -> tuple[dict, dict]:
    pairings = list(
        Pairing.objects.select_related("cadre", "household").prefetch_related(
            "household__hardships"
        )
    )
    rows = [r for r in VisitHousehold.objects.select_related("cadre", "household", "visit")]
    live = [r for r in rows if not r.visit.is_withdrawn and r.pairing_id is not None]
    on = min(period.end, TODAY)
    groups: dict[int, dict[str, set]] = {}

    def g(key):
        return groups.setdefault(key, {k: set() for k in ("hh", "met", "talk", "visits", "late")})

    total = {k: set() for k in ("hh", "met", "talk", "visits", "late")}
    for p in pairings:
        if any(serves(p, d) for d in days(period)):
            g(group_of(level, p))["hh"].add(p.household_id)
            total["hh"].add(p.household_id)
        if serves(p, on) and brute_overdue(p, on, live, overrides):
            g(group_of(level, p))["late"].add(p.pk)
            total["late"].add(p.pk)
    for r in live:
        if not period.start <= r.occurred_on <= period.end:
            continue
        into = [g(group_of(level, r)), total]
        for bucket in into:
            bucket["visits"].add(r.visit_id)
            if r.met and r.mode in IN_PERSON_MODES:
                bucket["met"].add(r.household_id)
            if r.met and r.mode in IN_PERSON_MODES | REMOTE_MODES:
                bucket["talk"].add(r.household_id)

    def counted(b):
        return (len(b["hh"]), len(b["met"]), len(b["talk"]), len(b["visits"]), len(b["late"]))

    return {k: counted(b) for k, b in groups.items() if b["hh"]}, counted(total)


def random_program(world, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    overrides = {HardshipKind.EXTREME_POVERTY: 2}
    do_set_cadence(county=world.county, acting_user=None, visits_per_month=1, overrides=overrides)
    cadres = [world.cadre] + [
        do_create_cadre(
            unit=rng.choice([world.unit, world.other_unit]),
            staff_no=f"R{seed}{i:03d}",
            name=f"随机{i}",
            acting_user=None,
        )
        for i in range(4)
    ]
    groups = [world.group, world.group2, world.other_group]
    households = [world.household, world.household2, world.other_household] + [
        make_household(world.county, rng.choice(groups), f"5101841100{seed:02d}{i:05d}")
        for i in range(9)
    ]
    for h in households:
        if rng.random() < 0.3:
            do_add_hardship(
                h,
                kind=HardshipKind.EXTREME_POVERTY,
                acting_user=None,
                valid_from=D(2025, rng.randint(1, 5), 1),
            )
        day = D(2025, 1, 1) + dt.timedelta(days=rng.randint(0, 60))
        while day < TODAY:
            p = do_pair(cadre=rng.choice(cadres), household=h, acting_user=None, valid_from=day)
            day += dt.timedelta(days=rng.randint(5, 80))
            if rng.random() < 0.2 and day < TODAY:
                do_end_pairing(p, valid_to=day, acting_user=None)
                day += dt.timedelta(days=rng.randint(1, 30))
    # One cadre leaves in April: pairings left open reach no one after that.
    leaver = cadres[-1]
    leaver.left_on = D(2025, 4, 12)
    leaver.save(update_fields=["left_on"])
    pairings = list(Pairing.objects.select_related("cadre"))
    for h in households:
        for _ in range(rng.randint(2, 14)):
            day = D(2025, 1, 1) + dt.timedelta(days=rng.randint(0, (TODAY - D(2025, 1, 1)).days))
            serving = [p for p in pairings if p.household_id == h.pk and serves(p, day)]
            if not serving:
                continue
            cadre = max(serving, key=lambda p: (p.valid_from, p.pk)).cadre
            mode = rng.choice(MODES)
            entries = [Visited(h, met=rng.random() < 0.8)]
            if mode == VisitMode.MEETING:
                # A yard meeting also covers the cadre's other households that day.
                others = [
                    p.household
                    for p in pairings
                    if p.cadre_id == cadre.pk and p.household_id != h.pk and serves(p, day)
                ]
                entries += [Visited(o, met=rng.random() < 0.7) for o in others[:2]]
                entries = list({e.household.pk: e for e in entries}.values())
            v = do_record_visit(
                acting_user=None, cadre=cadre, households=entries, occurred_on=day, mode=mode
            ).visit
            if rng.random() < 0.08:
                do_withdraw_visit(v, acting_user=None)
    return overrides


PERIODS = [
    month(2025, 1),
    month(2025, 3),
    month(2025, 4),
    month(2025, 6),
    quarter(2025, 1),
    quarter(2025, 2),
    year(2025),
    date_range(D(2025, 2, 10), D(2025, 4, 20)),
]


@pytest.mark.parametrize("seed", [1, 2])
def test_it_matches_a_brute_force_recount(world, frozen, seed):
    overrides = random_program(world, seed)
    assert VisitHousehold.objects.count() > 20
    seen = {"overdue": 0, "unmet": 0, "handed_over": 0, "withdrawn": 0}
    seen["handed_over"] = Pairing.objects.filter(valid_to__isnull=False).count()
    seen["withdrawn"] = VisitHousehold.objects.filter(withdrawn=True).count()
    for period in PERIODS:
        for level in KEYS:
            got = rates_for(world.city_admin, period, level)
            expected, total = brute(level, period, overrides)
            figures = {r.id: (r.households, r.met, r.talked, r.visits, r.overdue) for r in got.rows}
            assert figures == expected, (period.code, level)
            t = got.total
            assert (t.households, t.met, t.talked, t.visits, t.overdue) == total, period.code
            seen["overdue"] += t.overdue
            seen["unmet"] += t.households - t.met
    # The random program exercised what the rules are about.
    assert all(seen.values()), seen


def test_it_counts_a_household_paired_on_one_day_of_the_month(world, frozen):
    """The part-period rule: paired on any day of the month counts in that month."""
    pair(world, world.household, since=D(2025, 3, 31))
    pair(world, world.household2, since=D(2025, 2, 1), until=D(2025, 3, 1))
    march = rates_for(world.city_admin, month(2025, 3), Level.CADRE).rows[0]
    assert (march.households, march.met) == (2, 0)
    assert rates_for(world.city_admin, month(2025, 2), Level.CADRE).rows[0].households == 1
    visit(world, world.household, D(2025, 3, 31))
    march = rates_for(world.city_admin, month(2025, 3), Level.CADRE).rows[0]
    assert march.meeting_rate.as_dict() == {
        "numerator": 1,
        "denominator": 2,
        "rate": 50.0,
        "percent": "50.0%",
        "definition": DEFINITIONS["meeting_rate"],
    }


def test_it_keeps_a_handed_over_household_met_for_the_village_not_for_the_new_cadre(world, frozen):
    other = do_create_cadre(unit=world.unit, staff_no="C0002", name="王新", acting_user=None)
    pair(world, world.household, since=D(2025, 1, 1))
    visit(world, world.household, D(2025, 3, 3))
    do_pair(cadre=other, household=world.household, acting_user=None, valid_from=D(2025, 3, 15))
    march = month(2025, 3)
    village = rates_for(world.city_admin, march, Level.VILLAGE).rows[0]
    assert (village.households, village.met) == (1, 1)
    by_cadre = {
        r.id: (r.households, r.met) for r in rates_for(world.city_admin, march, "cadre").rows
    }
    assert by_cadre == {world.cadre.pk: (1, 1), other.pk: (1, 0)}


def test_it_counts_phone_calls_for_dialogue_only_and_unanswered_for_neither(world, frozen):
    pair(world, world.household, since=D(2025, 1, 1))
    pair(world, world.household2, since=D(2025, 1, 1))
    visit(world, world.household, D(2025, 3, 3), mode=VisitMode.PHONE)
    visit(world, world.household2, D(2025, 3, 3), mode=VisitMode.PHONE, met=False)
    visit(world, world.household2, D(2025, 3, 4), met=False)
    total = rates_for(world.city_admin, month(2025, 3)).total
    assert (total.households, total.met, total.talked, total.visits) == (2, 0, 1, 3)
    assert total.dialogue_rate.text == "50.0%" and total.meeting_rate.text == "0.0%"


def test_it_scopes_the_figures_to_the_user(world, frozen):
    pair(world, world.household, since=D(2025, 1, 1))
    do_pair(
        cadre=world.cadre,
        household=world.other_household,
        acting_user=None,
        valid_from=D(2025, 1, 1),
    )
    visit(world, world.other_household, D(2025, 3, 3))
    march = month(2025, 3)
    assert rates_for(world.city_admin, march).total.households == 2
    assert rates_for(world.township_staff, march).total.households == 1
    assert rates_for(world.outsider, march).total.met == 1
    assert rates_for(world.cadre_user, march).total.households == 2
    assert rates_for(world.handler, march).total.households == 1  # its zone: 三龙村


def test_it_refuses_a_period_not_yet_begun_and_an_unknown_level(world, frozen):
    from lianxin.core.errors import Refused

    with pytest.raises(Refused) as refused:
        rates_for(world.city_admin, month(2025, 7))
    assert refused.value.field == "period"
    with pytest.raises(Refused) as refused:
        rates_for(world.city_admin, month(2025, 3), "grid")
    assert refused.value.field == "level"
