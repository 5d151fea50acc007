"""Made-up but plausible people for the demo: households, residents, cadres' names, enterprises.

Everything here is plain Python driven by seeded `random.Random` streams, so a seed and a scale
always give the same rows. Names come from Faker's zh_CN lists (surnames weighted by frequency);
ID numbers carry the GB 11643 check digit, credit codes the GB 32100 one.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import accumulate

from faker.providers.person.zh_CN import Provider as _Names
from faker.providers.phone_number.zh_CN import Provider as _Phones

from lianxin.lib import idcard, uscc
from lianxin.people.choices import HardshipKind, Relation
from lianxin.transfer import layouts

from .catalogue import COUNTY_CODE, REGISTER_DAY

SURNAMES: tuple[str, ...] = tuple(_Names.last_names)
_SURNAME_CUM: tuple[float, ...] = tuple(accumulate(_Names.last_names.values()))
# Faker's male list carries a few names Chinese readers take as a woman's (红霞): leave them out.
_NOT_MALE = {"红霞"}
GIVEN = {
    "M": tuple(n for n in _Names.first_names_male if n not in _NOT_MALE),
    "F": tuple(_Names.first_names_female),
}
_GIVEN_ONE_CHAR = {sex: tuple(n for n in names if len(n) == 1) for sex, names in GIVEN.items()}
_MOBILE_PREFIXES = tuple(str(p) for p in _Phones.phonenumber_prefixes)

# Household sizes in a Sichuan county around 2014: mean ≈ 2.9 people.
_SIZES = (1, 2, 3, 4, 5, 6)
_SIZE_WEIGHTS = (13, 29, 27, 18, 9, 4)
_HARDSHIP_SIZE_WEIGHTS = (30, 32, 17, 11, 6, 4)
PEOPLE_PER_HOUSEHOLD = 2.9
# The report: 670,000 people, 1,187 households in difficulty, enterprises in every trade.
RESIDENTS_AT_SCALE_1 = 670_000
HARDSHIP_AT_SCALE_1 = 1_187
ENTERPRISES_AT_SCALE_1 = 3_000
MIN_ENTERPRISES = 40


def surname(rng: random.Random) -> str:
    return rng.choices(SURNAMES, cum_weights=_SURNAME_CUM)[0]


def given_name(rng: random.Random, sex: str) -> str:
    """One- or two-character given name; two single characters are joined about half the time."""
    name = rng.choice(GIVEN[sex])
    if len(name) == 1 and rng.random() < 0.5:
        other = rng.choice(_GIVEN_ONE_CHAR[sex])
        if other != name:
            name += other
    return name


def full_name(rng: random.Random, sex: str, family: str = "") -> str:
    return (family or surname(rng)) + given_name(rng, sex)


def mobile(rng: random.Random) -> str:
    return rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"


class IdAllocator:
    """Hands out valid, unique ID numbers for people born in Chongzhou (region code 510184).

    The last three digits before the check digit are the order number among people born the
    same day (odd for men, even for women), so at most 500 per day and sex; a full day moves
    the next person to the following day.

    Each day and sex starts at a random order number: the masked copy shows two of those
    digits, and an order number computed from the birth date would give the hidden date away
    (as a real registry's does not)."""

    def __init__(self, region_code: str = COUNTY_CODE, *, seed: object = 0) -> None:
        self.region_code = region_code
        self.seed = seed
        self.taken: dict[tuple[int, str], tuple[int, int]] = {}

    def _start(self, key: tuple[int, str]) -> int:
        # Seeded per day and sex, so the same seed gives the same numbers in any order of takes.
        return random.Random(f"{self.seed}:ids:{key[0]}:{key[1]}").randrange(500)

    def take(self, birth: dt.date, sex: str) -> tuple[str, dt.date]:
        while True:
            key = (birth.toordinal(), sex)
            start, used = self.taken.get(key) or (self._start(key), 0)
            if used < 500:
                self.taken[key] = (start, used + 1)
                # 211 is prime to 500: the first 500 takes of a day use every order number once.
                slot = (start + used * 211) % 500
                sequence = 2 * slot + (1 if sex == "M" else 0)
                return idcard.compose(self.region_code, birth, sequence), birth
            birth += dt.timedelta(days=1)


@dataclass
class Member:
    """One resident as generated: name, sex, age on REGISTER_DAY and relation to the head."""

    name: str
    sex: str
    age: int
    relation: str
    phone: str = ""
    id_number: str = ""


@dataclass(frozen=True)
class GroupSlot:
    """A group (组) or grid (网格) the demo fills, with the indices its house numbers use."""

    township_no: int
    village_no: int
    group_no: int
    township: str
    village: str
    group: str
    is_community: bool
    weight: float


@dataclass
class Household:
    number: str
    slot: GroupSlot
    address: str
    members: list[Member] = field(default_factory=list)
    hardships: tuple[str, ...] = ()


def _birth(rng: random.Random, age: int) -> dt.date:
    return REGISTER_DAY - dt.timedelta(days=int(age * 365.25) + rng.randrange(365))


def _opposite(sex: str) -> str:
    return "F" if sex == "M" else "M"


def compose_family(rng: random.Random, size: int, *, elderly: float = 0.0) -> list[Member]:
    """A household of `size` people with plausible ages, sexes, relations and shared surnames.
    `elderly` raises the chance that a one- or two-person household is old people's."""
    # Women outlive men: people living alone are as often women as men.
    head_sex = "M" if rng.random() < (0.45 if size == 1 else 0.78) else "F"
    if size == 1:
        old = rng.random() < max(0.7, elderly)
        head_age = rng.randint(62, 90) if old else rng.randint(24, 61)
    elif size == 2:
        old = rng.random() < max(0.65, elderly)
        head_age = rng.randint(56, 86) if old else rng.randint(24, 45)
    else:
        head_age = rng.randint(30, 68)
    head_family = surname(rng)
    members = [Member(full_name(rng, head_sex, head_family), head_sex, head_age, Relation.HEAD)]
    # Children take the father's surname.
    children_family = head_family
    left = size - 1
    if left and (size > 2 or head_age >= 56 or rng.random() < 0.75):
        spouse_sex = _opposite(head_sex)
        gap = rng.randint(0, 5)
        spouse_age = max(20, head_age - gap if head_sex == "M" else head_age + gap)
        spouse_family = surname(rng)
        members.append(
            Member(
                full_name(rng, spouse_sex, spouse_family), spouse_sex, spouse_age, Relation.SPOUSE
            )
        )
        if head_sex == "F":
            children_family = spouse_family
        left -= 1
    if not left:
        return members
    if head_age >= 55:
        child_sex = "M" if rng.random() < 0.6 else "F"
        child_age = head_age - rng.randint(24, 30)
        if left == 1 and rng.random() < 0.5:
            # Grandparents raising a grandchild whose parents work away: 留守儿童.
            members.append(
                Member(
                    full_name(rng, child_sex, children_family),
                    child_sex,
                    rng.randint(3, 15),
                    Relation.GRANDCHILD,
                )
            )
            return members
        members.append(
            Member(full_name(rng, child_sex, children_family), child_sex, child_age, Relation.CHILD)
        )
        left -= 1
        grandchild_family = children_family
        if left:
            in_law_sex = _opposite(child_sex)
            in_law_family = surname(rng)
            members.append(
                Member(
                    full_name(rng, in_law_sex, in_law_family),
                    in_law_sex,
                    max(20, child_age + rng.randint(-3, 3)),
                    Relation.CHILD_IN_LAW,
                )
            )
            if child_sex == "F":
                grandchild_family = in_law_family
            left -= 1
        for _ in range(left):
            sex = "M" if rng.random() < 0.52 else "F"
            members.append(
                Member(
                    full_name(rng, sex, grandchild_family),
                    sex,
                    rng.randint(0, max(0, min(16, child_age - 20))),
                    Relation.GRANDCHILD,
                )
            )
        return members
    children = min(left, 3 if size == 6 else 2)
    age = head_age - rng.randint(22, 32)
    for _ in range(children):
        sex = "M" if rng.random() < 0.52 else "F"
        members.append(
            Member(full_name(rng, sex, children_family), sex, max(0, age), Relation.CHILD)
        )
        age -= rng.randint(1, 6)
    left -= children
    # The head's own parents (the father shares the head's surname); a brother or sister
    # instead when a parent would be past 95. Left is at most 2 here (sizes go up to 6).
    parents = ("M", "F") if left >= 2 else ("F" if rng.random() < 0.6 else "M",)
    for parent_sex in parents[:left]:
        parent_age = head_age + rng.randint(22, 32)
        if parent_age > 95:
            members.append(
                Member(
                    full_name(rng, parent_sex, head_family),
                    parent_sex,
                    max(18, head_age + rng.randint(-6, 6)),
                    Relation.SIBLING,
                )
            )
            continue
        family = head_family if parent_sex == "M" else surname(rng)
        members.append(
            Member(full_name(rng, parent_sex, family), parent_sex, parent_age, Relation.PARENT)
        )
    return members


def _gives_phone(rng: random.Random, member: Member) -> bool:
    if member.age < 16:
        return False
    if member.relation == Relation.HEAD:
        return rng.random() < 0.93
    if member.age < 18:
        return rng.random() < 0.3
    return rng.random() < (0.35 if member.age >= 75 else 0.82)


# How common each kind is among the registered households in difficulty that it fits.
# The kinds tied to a situation (alone, left behind, old and without support) weigh more when the
# household is in that situation: they are then the likelier reason it is registered.
_HARDSHIP_WEIGHTS: dict[str, int] = {
    HardshipKind.SUBSISTENCE: 34,
    HardshipKind.DISABILITY: 18,
    HardshipKind.SERIOUS_ILLNESS: 14,
    HardshipKind.LEFT_BEHIND_ELDERLY: 25,
    HardshipKind.EXTREME_POVERTY: 15,
    HardshipKind.LEFT_BEHIND_CHILD: 25,
    HardshipKind.LIVING_ALONE: 30,
}


def fitting_hardships(members: list[Member]) -> list[str]:
    """The kinds a household can plausibly be registered with, given who lives in it."""
    ages = [m.age for m in members]
    head_age = members[0].age
    kinds: list[str] = [
        HardshipKind.SUBSISTENCE,
        HardshipKind.DISABILITY,
        HardshipKind.SERIOUS_ILLNESS,
    ]
    if len(members) == 1 or head_age >= 60:
        kinds.append(HardshipKind.EXTREME_POVERTY)
    if len(members) == 1:
        kinds.append(HardshipKind.LIVING_ALONE)
    if max(ages) >= 60 and not any(18 <= a < 60 for a in ages):
        kinds.append(HardshipKind.LEFT_BEHIND_ELDERLY)
    if min(ages) < 16:
        kinds.append(HardshipKind.LEFT_BEHIND_CHILD)
    return kinds


def pick_hardships(rng: random.Random, members: list[Member]) -> tuple[str, ...]:
    """One kind, or two about a fifth of the time, among those that fit the household."""
    fitting = fitting_hardships(members)
    weights = [_HARDSHIP_WEIGHTS[k] for k in fitting]
    first = rng.choices(fitting, weights=weights)[0]
    if rng.random() < 0.2 and len(fitting) > 1:
        rest = [k for k in fitting if k != first]
        second = rng.choices(rest, weights=[_HARDSHIP_WEIGHTS[k] for k in rest])[0]
        return (first, second)
    return (first,)


# Households the report tells about, placed first in their group: (township, village, group
# number) -> members as (name, sex, age in 2014, relation). Ages follow the stories.
STORY_HOUSEHOLDS: dict[tuple[str, str, int], list[tuple[str, str, int, str]]] = {
    ("文井江镇", "大坪村", 6): [
        ("罗选志", "M", 70, Relation.HEAD),
        ("赵秀英", "F", 67, Relation.SPOUSE),
    ],
    ("道明镇", "三龙村", 1): [
        ("马蓉", "F", 44, Relation.HEAD),
        ("周玉兰", "F", 73, Relation.PARENT),
        ("杨浩", "M", 17, Relation.CHILD),
    ],
    ("白头镇", "天竺社区", 3): [
        ("郭世栋", "M", 76, Relation.HEAD),
        ("陈桂芳", "F", 72, Relation.SPOUSE),
    ],
}


def household_counts(slots: list[GroupSlot], scale: float) -> list[int]:
    """Households per group: the scaled total split by weight (largest remainder), at least one
    in each group a story names."""
    total = round(RESIDENTS_AT_SCALE_1 * scale / PEOPLE_PER_HOUSEHOLD)
    weight = sum(s.weight for s in slots) or 1.0
    shares = [total * s.weight / weight for s in slots]
    counts = [int(x) for x in shares]
    order = sorted(range(len(slots)), key=lambda i: (counts[i] - shares[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    for i, s in enumerate(slots):
        if (s.township, s.village, s.group_no) in STORY_HOUSEHOLDS:
            counts[i] = max(counts[i], 1)
    return counts


def _address(slot: GroupSlot, k: int) -> str:
    if slot.is_community:
        # Community households live in blocks of flats: 栋/单元/室.
        building, unit, floor, room = k // 24 + 1, k // 8 % 3 + 1, k // 2 % 4 + 1, k % 2 + 1
        return f"{slot.village}{slot.group}{building}栋{unit}单元{floor}0{room}号"
    return f"{slot.village}{slot.group}{k + 1}号"


def households(
    slots: list[GroupSlot], counts: list[int], *, seed: int, scale: float
) -> Iterator[Household]:
    """Every household of the demo, group by group, lazily."""
    hardship_total = max(1, round(HARDSHIP_AT_SCALE_1 * scale))
    household_total = sum(counts)
    picker = random.Random(f"{seed}:hardship")
    in_difficulty = set(picker.sample(range(household_total), min(hardship_total, household_total)))
    ids = IdAllocator(seed=seed)
    index = 0
    for slot, count in zip(slots, counts, strict=True):
        rng = random.Random(
            f"{seed}:households:{slot.township_no}:{slot.village_no}:{slot.group_no}"
        )
        story = STORY_HOUSEHOLDS.get((slot.township, slot.village, slot.group_no))
        for k in range(count):
            if k == 0 and story:
                members = [Member(n, sex, age, rel) for n, sex, age, rel in story]
            else:
                members = (
                    # Households in difficulty are smaller and older than most.
                    compose_family(
                        rng, rng.choices(_SIZES, weights=_HARDSHIP_SIZE_WEIGHTS)[0], elderly=0.85
                    )
                    if index in in_difficulty
                    else compose_family(rng, rng.choices(_SIZES, weights=_SIZE_WEIGHTS)[0])
                )
            for m in members:
                m.id_number, _ = ids.take(_birth(rng, m.age), m.sex)
                m.phone = mobile(rng) if _gives_phone(rng, m) else ""
            number = (
                f"{COUNTY_CODE}{slot.township_no:02d}{slot.village_no:03d}"
                f"{slot.group_no:02d}{k + 1:04d}"
            )
            kinds = pick_hardships(rng, members) if index in in_difficulty else ()
            yield Household(number, slot, _address(slot, k), members, kinds)
            index += 1


_RELATION_LABELS = dict(Relation.choices)


def resident_rows(
    source: Iterator[Household], *, on_household=None
) -> Iterator[tuple[int, list[str]]]:
    """The households as the residents layout's rows (header first), one row per resident."""
    titles = layouts.RESIDENTS.titles
    yield 1, list(titles)
    number = 1
    for household in source:
        base = {
            layouts.NUMBER: household.number,
            layouts.TOWNSHIP: household.slot.township,
            layouts.VILLAGE: household.slot.village,
            layouts.GROUP: household.slot.group,
            layouts.ADDRESS: household.address,
            layouts.HARDSHIP: layouts.hardship_text(set(household.hardships)),
        }
        for m in household.members:
            number += 1
            cells = {
                **base,
                layouts.NAME: m.name,
                layouts.ID_NUMBER: m.id_number,
                layouts.RELATION: _RELATION_LABELS[m.relation],
                layouts.PHONE: m.phone,
            }
            yield number, [cells.get(t, "") for t in titles]
        if on_household is not None:
            on_household()


# Enterprises: how common each trade is in a county like Chongzhou (every trade appears).
_TRADE_WEIGHTS = {
    "A": 10, "B": 1, "C": 22, "D": 2, "E": 8, "F": 22, "G": 5, "H": 10, "I": 2, "J": 1.5,
    "K": 3, "L": 4, "M": 1.5, "N": 1, "O": 4, "P": 1, "Q": 1, "R": 1.5, "S": 0.5, "T": 0.2,
}  # fmt: skip
_TRADE_WORDS = {
    "A": ("生态农业", "茶叶", "竹业", "枇杷种植", "生猪养殖", "食用菌", "猕猴桃种植", "粮油种植"),
    "B": ("石材", "砂石开采"),
    "C": ("家具制造", "食品", "酒业", "机械制造", "建材", "纸业", "制药", "服装", "竹编工艺"),
    "D": ("水电开发", "燃气", "供水"),
    "E": ("建筑工程", "路桥工程", "装饰工程", "水利工程"),
    "F": ("商贸", "农资", "超市", "百货", "五金建材"),
    "G": ("物流", "运输", "客运"),
    "H": ("农家乐", "酒店", "餐饮", "民宿"),
    "I": ("网络科技", "信息技术", "软件"),
    "J": ("小额贷款", "融资担保"),
    "K": ("房地产开发", "置业"),
    "L": ("商务咨询", "劳务服务", "设备租赁"),
    "M": ("检测", "规划设计", "农业科技"),
    "N": ("环境治理", "园林绿化", "水务环境"),
    "O": ("家政服务", "汽车修理", "家电维修"),
    "P": ("教育咨询", "职业培训"),
    "Q": ("养老服务", "健康管理"),
    "R": ("文化传播", "旅游开发", "影视"),
    "S": ("社区服务", "物业管理"),
    "T": ("国际交流服务",),
}
_BRAND_CHARS = "蜀崇锦鑫恒顺华兴和瑞丰泰盛达益宏川源康福金天祥宇润嘉信诚利安隆富昌永鸿凯盈众联"
# Trades where many are sole traders (个体工商户) or farmers' cooperatives.
_SOLE_TRADER_TRADES = {"F", "H", "O"}


def _org_code(rng: random.Random) -> str:
    """A 9-character organisation code (GB 11714) with its check character."""
    if rng.random() < 0.6:
        body = "MA" + "".join(rng.choice(uscc.ALPHABET) for _ in range(6))
    else:
        body = f"{rng.randrange(20_000_000, 80_000_000):08d}"
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(
        (int(ch) if ch.isdigit() else ord(ch) - 55) * w for ch, w in zip(body, weights, strict=True)
    )
    check = 11 - total % 11
    return body + ("0" if check == 11 else "X" if check == 10 else str(check))


def _credit_code(rng: random.Random, kind: str) -> str:
    first17 = f"9{kind}{COUNTY_CODE}" + _org_code(rng)
    return first17 + uscc.check_char(first17)


@dataclass(frozen=True)
class EnterpriseRow:
    credit_code: str
    name: str
    trade: str
    slot: GroupSlot
    address: str


def enterprise_total(scale: float) -> int:
    return max(MIN_ENTERPRISES, round(ENTERPRISES_AT_SCALE_1 * scale))


def enterprises(slots: list[GroupSlot], *, seed: int, scale: float) -> Iterator[EnterpriseRow]:
    """Enterprises in every trade, placed in groups in proportion to their population."""
    total = enterprise_total(scale)
    rng = random.Random(f"{seed}:enterprises")
    trades = list(_TRADE_WEIGHTS)
    weights = [s.weight for s in slots]
    names: set[str] = set()
    codes: set[str] = set()
    for n in range(total):
        # The first twenty cover every trade, whatever the scale.
        trade = (
            trades[n]
            if n < len(trades)
            else rng.choices(trades, weights=list(_TRADE_WEIGHTS.values()))[0]
        )
        slot = rng.choices(slots, weights=weights)[0]
        word = rng.choice(_TRADE_WORDS[trade])
        for attempt in range(20):
            if rng.random() < 0.3:
                brand = slot.village.removesuffix("社区").removesuffix("村")
            else:
                brand = "".join(rng.sample(_BRAND_CHARS, 2 if attempt < 10 else 3))
            if trade == "A" and rng.random() < 0.5:
                kind, form = "3", "专业合作社"
            elif trade in _SOLE_TRADER_TRADES and rng.random() < 0.4:
                kind, form = "2", rng.choice(("店", "经营部"))
            else:
                kind, form = "1", rng.choice(("有限公司", "有限公司", "有限责任公司"))
            name = f"崇州市{brand}{word}{form}"
            if name not in names:
                break
        names.add(name)
        code = _credit_code(rng, kind)
        while code in codes:
            code = _credit_code(rng, kind)
        codes.add(code)
        yield EnterpriseRow(
            code, name, trade, slot, f"{slot.village}{slot.group}{rng.randint(1, 200)}号"
        )


def enterprise_rows(
    source: Iterator[EnterpriseRow], *, on_row=None
) -> Iterator[tuple[int, list[str]]]:
    """The enterprises as the enterprises layout's rows, header first."""
    titles = layouts.ENTERPRISES.titles
    yield 1, list(titles)
    for number, e in enumerate(source, start=2):
        cells = {
            layouts.CREDIT_CODE: e.credit_code,
            layouts.ENTERPRISE_NAME: e.name,
            layouts.TRADE: e.trade,
            layouts.TOWNSHIP: e.slot.township,
            layouts.VILLAGE: e.slot.village,
            layouts.GROUP: e.slot.group,
            layouts.ENTERPRISE_ADDRESS: e.address,
        }
        yield number, [cells.get(t, "") for t in titles]
        if on_row is not None:
            on_row()
