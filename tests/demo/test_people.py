"""The demo's generators on their own: plausible, valid and the same for the same seed."""

import datetime as dt
import random

from lianxin.demo import people as P
from lianxin.demo.catalogue import REGISTER_DAY
from lianxin.lib import idcard, phone, uscc
from lianxin.people.choices import HardshipKind, Relation, Trade
from lianxin.transfer import layouts

SLOTS = [P.GroupSlot(11, 3, n, "文井江镇", "大坪村", f"{n}组", False, 1.0) for n in range(1, 7)] + [
    P.GroupSlot(1, 1, n, "崇阳街道", "汇蜀社区", f"第{n}网格", True, 0.5) for n in range(1, 5)
]


def test_it_allocates_unique_ids_past_500_births_a_day():
    ids = P.IdAllocator()
    day = dt.date(1970, 5, 17)
    taken = [ids.take(day, "M") for _ in range(501)] + [ids.take(day, "F") for _ in range(3)]
    numbers = [n for n, _ in taken]
    assert len(set(numbers)) == len(numbers)
    assert all(idcard.is_valid(n) for n in numbers)
    # The 501st man born that day is moved to the next day; women keep their own count.
    assert taken[500][1] == day + dt.timedelta(days=1)
    assert [idcard.parse(n).sex for n in numbers[-3:]] == ["F", "F", "F"]


def test_it_composes_plausible_families():
    rng = random.Random(1)
    for _ in range(2000):
        size = rng.randint(1, 6)
        members = P.compose_family(rng, size)
        assert len(members) == size
        head, *rest = members
        assert head.relation == Relation.HEAD
        assert all(m.relation != Relation.HEAD for m in rest)
        assert all(0 <= m.age <= 100 for m in members)
        for m in rest:
            if m.relation == Relation.SPOUSE:
                assert m.sex != head.sex
            if m.relation == Relation.CHILD:
                assert m.age <= head.age - 15
            if m.relation == Relation.PARENT:
                assert m.age >= head.age + 15
                if m.sex == "M":
                    assert m.name[0] == head.name[0]


def test_it_fits_hardship_kinds_to_the_household():
    rng = random.Random(2)
    for _ in range(2000):
        members = P.compose_family(rng, rng.randint(1, 6))
        kinds = P.pick_hardships(rng, members)
        assert 1 <= len(kinds) <= 2
        if HardshipKind.LIVING_ALONE in kinds:
            assert len(members) == 1
        if HardshipKind.LEFT_BEHIND_CHILD in kinds:
            assert min(m.age for m in members) < 16


def test_it_gives_the_same_rows_for_the_same_seed():
    counts = P.household_counts(SLOTS, 0.01)

    def rows(seed):
        return list(P.resident_rows(P.households(SLOTS, counts, seed=seed, scale=0.01)))

    first = rows(5)
    assert first == rows(5)
    assert first != rows(6)
    assert first[0] == (1, layouts.RESIDENTS.titles)


def test_it_writes_rows_the_residents_layout_accepts():
    counts = P.household_counts(SLOTS, 0.01)
    rows = list(P.resident_rows(P.households(SLOTS, counts, seed=1, scale=0.01)))
    header, body = rows[0][1], rows[1:]
    col = {title: i for i, title in enumerate(header)}
    numbers = {cells[col[layouts.NUMBER]] for _, cells in body}
    assert len(numbers) == sum(counts)
    assert len({cells[col[layouts.ID_NUMBER]] for _, cells in body}) == len(body)
    in_difficulty = set()
    for _, cells in body:
        assert idcard.parse(
            cells[col[layouts.ID_NUMBER]]
        ).birth_date <= REGISTER_DAY + dt.timedelta(days=30)
        assert layouts.parse_relation(cells[col[layouts.RELATION]]) is not None
        kinds, unknown = layouts.parse_hardships(cells[col[layouts.HARDSHIP]])
        assert not unknown
        if kinds:
            in_difficulty.add(cells[col[layouts.NUMBER]])
        if cells[col[layouts.PHONE]]:
            assert phone.is_valid(cells[col[layouts.PHONE]])
    assert len(in_difficulty) == round(1187 * 0.01)
    # The story household is the first of 大坪村6组.
    luo = [c for _, c in body if c[col[layouts.NAME]] == "罗选志"]
    assert luo and luo[0][col[layouts.ADDRESS]] == "大坪村6组1号"


def test_it_splits_households_by_weight_and_scale():
    counts = P.household_counts(SLOTS, 0.01)
    assert sum(counts) == round(670_000 * 0.01 / 2.9)
    # Rural groups (weight 1.0) get about twice what community grids (0.5) get.
    assert min(counts[:6]) > max(counts[6:])


def test_it_makes_enterprises_in_every_trade_with_valid_codes():
    firms = list(P.enterprises(SLOTS, seed=3, scale=0.001))
    assert len(firms) == P.MIN_ENTERPRISES
    assert {f.trade for f in firms} == set(Trade.values)
    assert all(uscc.is_valid(f.credit_code) for f in firms)
    assert len({f.credit_code for f in firms}) == len(firms)
    assert len({f.name for f in firms}) == len(firms)
    rows = list(P.enterprise_rows(iter(firms)))
    assert rows[0][1] == layouts.ENTERPRISES.titles and len(rows) == len(firms) + 1
