"""The demo's plan on its own, without a database: under the demo's policy (5–50 households per
cadre) every zone has cadres enough, but for the deliberate gaps docs/demo.md lists."""

import pytest

from lianxin.demo import builder as B
from lianxin.demo import catalogue as C

SEED = 2014


@pytest.mark.parametrize(
    ("scale", "short"),
    [
        # The short unit: three fifths of its zone at 50 a cadre, so two fifths left over.
        (1, 1_312),
        (0.1, 171),
        (0.02, 13),  # `make run`
        (0.002, 0),  # the tests: one cadre carries the zone's few households
    ],
)
def test_it_leaves_only_the_deliberate_gaps_uncoverable(scale, short):
    gaps = B.plan_gaps(SEED, scale)
    assert gaps.short == ({C.SHORT_UNIT: short} if short else {})
    assert list(gaps.unzoned) == [C.PENDING_VILLAGE]
    assert list(gaps.zoneless) == [C.PENDING_UNIT]


def test_it_matches_the_reports_figures_at_scale_1():
    gaps = B.plan_gaps(SEED, 1)
    # 6,100 cadres (and 28 leaders) for about 231,000 households: about 38 a cadre.
    assert gaps.cadres == B.CADRES_AT_SCALE_1
    assert gaps.households == 231_034
    # Everything but the deliberate gaps can be covered: 1,312 + 451 households (0.8 %).
    assert gaps.uncoverable == 1_312 + 451
    assert gaps.unzoned == {C.PENDING_VILLAGE: 451}
    # The pending unit has the cadres the village meant for it needs.
    assert gaps.zoneless == {C.PENDING_UNIT: 13}
    assert 13 * B.DEMO_MAX_LOAD >= 451


def test_it_gives_each_unit_cadres_by_its_zones_households():
    slots = B.planned_slots(SEED)
    households = B.zone_households(SEED, slots, 1)
    counts = dict(zip((s.name for s in C.units()), B.cadre_counts(1, households), strict=True))
    for name, n in counts.items():
        if name == C.SHORT_UNIT:
            continue
        load = households[name] / n
        # About 38 a cadre everywhere, well inside 5–50 (small zones keep the two-cadre floor).
        assert B.DEMO_MIN_LOAD <= load <= B.DEMO_MAX_LOAD, (name, households[name], n)
        assert 30 <= load <= 45 or n == B.MIN_CADRES_PER_UNIT, (name, households[name], n)


def test_it_plans_the_slots_a_build_makes():
    # planned_slots, which the cadre counts come from, is what build_regions makes afresh:
    # the same villages, groups and weights (the build test checks it against the database).
    slots = B.planned_slots(SEED)
    assert len({(s.township, s.village) for s in slots}) == 253
    assert B.planned_slots(SEED) == slots
