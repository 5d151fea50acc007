"""The demo's visits: six months of the programme's monthly contact (走听记帮) for every paired
household, simulated up to today and written in bulk.

The simulation is deterministic from the demo's seed: each cadre has a habit drawn from their
staff number (most visit nearly every household every month, some lag, a few never go), each
month of each cadre has its own random stream, and households are taken in 户号 order, so the
same seed and scale give the same visits on SQLite and PostgreSQL.

Rows go in through `Inserter` (executemany, as the resident import does), not through
do_record_visit one by one: at scale 1 this is about 1.4 million visits. They keep the model's
invariants all the same, the ones do_record_visit checks: every row's day lies within the days
its pairing served the household (in force, cadre in office), never after today, its pairing
resolved, and its copies of the visit's cadre, day, mode and withdrawal are the visit's
(`VisitHousehold.for_visit`'s rule). `tests/demo/test_visits.py` checks them on a built demo.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Q

from lianxin.audit.services import record
from lianxin.core.models import today
from lianxin.geo.models import County, Region
from lianxin.pairing.models import Pairing
from lianxin.people.choices import HardshipKind
from lianxin.people.models import HouseholdHardship
from lianxin.transfer.table_inserter import Inserter
from lianxin.visits.choices import HelpKind, VisitMode
from lianxin.visits.models import Visit, VisitHousehold, VisitNeed
from lianxin.visits.periods import Period, date_range
from lianxin.visits.services import do_set_cadence

from . import catalogue as C

VISITS_ACTION = "生成演示走访记录"
# The simulation starts this many months before today (the "launch six months ago").
HISTORY_MONTHS = 6
BATCH = 5_000

# The western mountain townships: long roads between groups, more visits by phone, fewer made.
MOUNTAIN_TOWNSHIPS = frozenset({"文井江镇", "鸡冠山乡", "街子镇", "三郎镇", "怀远镇"})
MOUNTAIN_FACTOR = 0.82
# Households owed two visits a month (the demo county's cadence override).
TWICE_A_MONTH = (HardshipKind.EXTREME_POVERTY, HardshipKind.LIVING_ALONE)


@dataclass(frozen=True)
class Habit:
    """How reliably a cadre visits: the chance of reaching each household in a full month."""

    name: str
    share: float
    low: float
    high: float


HABITS = (
    Habit("diligent", 0.80, 0.96, 1.0),
    Habit("lagging", 0.17, 0.55, 0.85),
    Habit("absent", 0.03, 0.0, 0.0),  # paired but never went
)

# The mode of a single-household contact, plain and mountain (yard meetings are drawn apart).
MODES = (
    (VisitMode.IN_PERSON, 0.86, 0.76),
    (VisitMode.PHONE, 0.07, 0.15),
    (VisitMode.MET_ELSEWHERE, 0.04, 0.04),
    (VisitMode.ONLINE, 0.03, 0.05),
)
NOBODY_HOME = 0.07  # of home visits: 家中无人
UNANSWERED = 0.08  # of calls
FOLLOW_UP = 0.6  # after nobody home: another try later in the month
YARD_MEETING = 0.12  # of a cadre's months in a village: one 院坝会 for some of its households
# Of contacts that reached someone (Songpan: 237 demands in 34,517 visits, about 0.7 %).
NEED = 0.01
HELP = 0.12

HEARD = (
    "身体还好，就是腿脚不方便",
    "家里收成不错，想多种点猕猴桃",
    "孩子在外打工，过年回来",
    "想了解今年的医保缴费",
    "老人一个人在家，希望常来看看",
    "村道下雨天不好走",
    "问低保复核什么时候办",
    "说最近血压有点高",
    "对村里垃圾清运很满意",
    "想找点家门口的活干",
)
NOTES = (
    "户主在家，情况稳定",
    "与老人拉家常，留了联系电话",
    "看了住房情况，无安全隐患",
    "孩子上学正常，家中无特殊困难",
    "宣传了防诈骗知识",
)
HELP_TEXTS = {
    HelpKind.POLICY: ("讲解城乡居民医保缴费政策", "解释低保年审流程", "讲了养老保险补缴办法"),
    HelpKind.ERRAND: ("帮忙代办社保卡挂失", "代为预约家庭医生上门", "帮老人网上缴纳电费"),
    HelpKind.MATERIAL: ("送去米和油", "送了一床棉被", "带去降压药"),
    HelpKind.REFERRAL: ("联系村医上门测血压", "联系镇上农技员指导修枝", "联系供电所查看线路"),
    HelpKind.OTHER: ("帮忙修好了水管", "陪老人聊了一下午"),
}
NEEDS = (
    ("MED", "老人慢性病药费报销比例想了解清楚，希望有人上门讲"),
    ("ROAD", "组里到主路那段村道有坑，雨天摩托车过不去"),
    ("WATER", "夏天自来水常停，希望查查管子"),
    ("AID", "家里有人住院，想问能不能申请临时救助"),
    ("JOB", "儿子想学电焊，问有没有免费培训"),
    ("HOUSE", "老房子墙裂了，怕下雨塌，希望来看看"),
    ("UTIL", "晚上电压低，电饭锅煮不熟饭"),
    ("ENV", "河边有人倒垃圾，味道大"),
    ("DISP", "和邻居因为宅基地边界有矛盾，想请村里调解"),
    ("AGRI", "茶叶卖不出好价钱，想问有没有收购渠道"),
    ("EDU", "孙子转学回来读书，想问手续"),
    ("ADV", "希望村里多办几次院坝会，把政策讲清楚"),
)


@dataclass
class Served:
    """One pairing, and the days of the window it served its household."""

    pairing_id: int
    household_id: int
    number: str
    village_id: int
    first: dt.date
    last: dt.date
    mountain: bool
    twice: bool


@dataclass
class CadreRows:
    cadre_id: int
    staff_no: str
    story: bool
    served: list[Served] = field(default_factory=list)


@dataclass
class Planned:
    """One visit to write: its columns and its households' rows (pairing, household, met)."""

    cadre_id: int
    day: dt.date
    at: dt.time | None
    mode: str
    heard: str
    notes: str
    help_kind: str
    help_text: str
    households: list[tuple[int, int, bool]]  # (pairing, household, met)
    needs: list[tuple[int, str, str]] = field(default_factory=list)  # (household, text, category)


def window(on: dt.date | None = None) -> Period:
    """The simulated days: from the same day HISTORY_MONTHS months before today, to today."""
    end = on or today()
    month0 = end.month - HISTORY_MONTHS
    year, month = end.year + (month0 - 1) // 12, (month0 - 1) % 12 + 1
    start = dt.date(year, month, min(end.day, calendar.monthrange(year, month)[1]))
    return date_range(start, end)


def months_of(period: Period) -> list[Period]:
    """The calendar months the period touches, each cut to the period."""
    out = []
    day = period.start
    while day <= period.end:
        last = dt.date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
        out.append(Period(day, min(last, period.end), f"{day:%Y-%m}"))
        day = last + dt.timedelta(days=1)
    return out


def habit_of(seed: int, staff_no: str, story: bool) -> tuple[Habit, float]:
    """A cadre's habit and their own chance within its range (story cadres are diligent)."""
    rng = random.Random(f"{seed}:habit:{staff_no}")
    draw = rng.random()
    chosen = HABITS[-1]
    for habit in HABITS:
        if draw < habit.share:
            chosen = habit
            break
        draw -= habit.share
    if story:
        chosen = HABITS[0]
    return chosen, rng.uniform(chosen.low, chosen.high)


def _served(county: County, period: Period) -> list[CadreRows]:
    """Each cadre's pairings serving in the window, with their days cut to it, cadres by staff
    number and households by 户号 (the simulation's deterministic order)."""
    mountain = set(
        Region.objects.filter(
            county=county, level="township", name__in=MOUNTAIN_TOWNSHIPS
        ).values_list("pk", flat=True)
    )
    twice = set(
        HouseholdHardship.objects.filter(county=county, kind__in=TWICE_A_MONTH)
        .filter(valid_from__lte=period.end)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=period.start))
        .values_list("household_id", flat=True)
    )
    story = {name for names in C.STORY_CADRES.values() for name, _ in names}
    rows = (
        Pairing.objects.filter(county=county, valid_from__lte=period.end)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=period.start))
        .filter(Q(cadre__left_on__isnull=True) | Q(cadre__left_on__gte=period.start))
        .order_by("cadre__staff_no", "household__number", "valid_from", "id")
        .values_list(
            "pk",
            "cadre_id",
            "cadre__staff_no",
            "cadre__name",
            "cadre__left_on",
            "household_id",
            "household__number",
            "household__village_id",
            "household__township_id",
            "valid_from",
            "valid_to",
        )
    )
    cadres: dict[int, CadreRows] = {}
    for pk, cadre_id, staff_no, name, left_on, hh, number, village, township, vf, vt in rows:
        first = max(vf, period.start)
        last = min(d for d in (vt, left_on, period.end) if d is not None)
        if first > last:
            continue
        c = cadres.get(cadre_id)
        if c is None:
            c = cadres[cadre_id] = CadreRows(cadre_id, staff_no, name in story)
        c.served.append(
            Served(pk, hh, number, village, first, last, township in mountain, hh in twice)
        )
    return list(cadres.values())


def _weighted(rng: random.Random, mountain: bool) -> str:
    draw = rng.random()
    for mode, plain, hill in MODES:
        share = hill if mountain else plain
        if draw < share:
            return mode
        draw -= share
    return VisitMode.IN_PERSON


def _time(rng: random.Random) -> dt.time | None:
    if rng.random() < 0.5:
        return None  # most cadres note only the day
    return dt.time(rng.randint(8, 18), rng.choice((0, 15, 30, 45)))


def _texts(rng: random.Random, met: bool) -> dict[str, str]:
    if not met:
        return {
            "heard": "",
            "notes": "家中无人" if rng.random() < 0.5 else "",
            "help_kind": "",
            "help_text": "",
        }
    values = {
        "heard": rng.choice(HEARD) if rng.random() < 0.35 else "",
        "notes": rng.choice(NOTES) if rng.random() < 0.2 else "",
        "help_kind": "",
        "help_text": "",
    }
    if rng.random() < HELP:
        kind = rng.choice(list(HELP_TEXTS))
        values["help_kind"] = kind.value
        values["help_text"] = rng.choice(HELP_TEXTS[kind])
    return values


def _needs(rng: random.Random, household_id: int) -> list[tuple[int, str, str]]:
    if rng.random() >= NEED:
        return []
    picked = rng.sample(NEEDS, 1 if rng.random() < 0.8 else 2)
    return [(household_id, text, code) for code, text in picked]


def _single(rng: random.Random, cadre_id: int, s: Served, day: dt.date, mode: str) -> Planned:
    if mode == VisitMode.IN_PERSON:
        met = rng.random() >= NOBODY_HOME
    elif mode == VisitMode.PHONE:
        met = rng.random() >= UNANSWERED
    else:
        met = True
    return Planned(
        cadre_id,
        day,
        _time(rng),
        mode,
        households=[(s.pairing_id, s.household_id, met)],
        needs=_needs(rng, s.household_id) if met else [],
        **_texts(rng, met),
    )


def _day(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, (last - first).days))


def plan_month(seed: int, c: CadreRows, month: Period, full_days: int) -> list[Planned]:
    """One cadre's visits in one month (cut to the window), in household order."""
    habit, rate = habit_of(seed, c.staff_no, c.story)
    if rate <= 0:
        return []
    rng = random.Random(f"{seed}:visits:{c.staff_no}:{month.label}")
    planned: list[Planned] = []
    due: list[tuple[Served, dt.date, dt.date]] = []
    for s in c.served:
        first, last = max(s.first, month.start), min(s.last, month.end)
        if first > last:
            continue
        # A part month (the window's first, today's) holds its share of the month's visits.
        share = ((last - first).days + 1) / full_days
        chance = rate * (MOUNTAIN_FACTOR if s.mountain else 1.0) * share
        if rng.random() < chance:
            due.append((s, first, last))
    # A yard meeting per village, some months: it covers some of that village's due households.
    by_village: dict[int, list[tuple[Served, dt.date, dt.date]]] = {}
    for item in due:
        by_village.setdefault(item[0].village_id, []).append(item)
    met_at_meeting: set[int] = set()
    for village_id in sorted(by_village):
        group = by_village[village_id]
        if len(group) < 3 or rng.random() >= YARD_MEETING:
            continue
        first = max(g[1] for g in group)
        last = min(g[2] for g in group)
        if first > last:
            continue
        attending = [g[0] for g in group if rng.random() < 0.7]
        if len(attending) < 2:
            continue
        day = _day(rng, first, last)
        planned.append(
            Planned(
                c.cadre_id,
                day,
                dt.time(rng.choice((9, 10, 14, 15)), 0),
                VisitMode.MEETING,
                "大家关心医保缴费和村道维修" if rng.random() < 0.5 else "",
                "院坝会，宣讲政策并听取意见",
                HelpKind.POLICY.value,
                "讲解惠民政策",
                [(s.pairing_id, s.household_id, True) for s in attending],
            )
        )
        met_at_meeting.update(s.pairing_id for s in attending)
    for s, first, last in due:
        if s.pairing_id not in met_at_meeting:
            mode = _weighted(rng, s.mountain)
            day = _day(rng, first, last)
            visit = _single(rng, c.cadre_id, s, day, mode)
            planned.append(visit)
            if not visit.households[0][2] and day < last and rng.random() < FOLLOW_UP:
                again = VisitMode.IN_PERSON if rng.random() < 0.6 else VisitMode.PHONE
                planned.append(
                    _single(rng, c.cadre_id, s, _day(rng, day + dt.timedelta(1), last), again)
                )
        # Households owed two visits a month get a second one from most cadres.
        if s.twice and habit.name == "diligent" and last >= first + dt.timedelta(days=10):
            mid = first + (last - first) / 2
            if rng.random() < 0.85:
                planned.append(
                    _single(rng, c.cadre_id, s, _day(rng, mid, last), VisitMode.IN_PERSON)
                )
    planned.sort(key=lambda p: (p.day, p.households[0][1]))
    return planned


# ---------------------------------------------------------------------------------------------
# Writing


class _Writer:
    """Batches of visits into the three tables, ids read back in insertion order."""

    VISIT_COLUMNS = (
        "county_id",
        "cadre_id",
        "occurred_on",
        "occurred_at",
        "mode",
        "heard",
        "notes",
        "help_kind",
        "help_text",
    )

    def __init__(self, county_id: int):
        self.county_id = county_id
        self.visits = Inserter(Visit, self.VISIT_COLUMNS)
        self.rows = Inserter(
            VisitHousehold,
            # The copies of the visit's cadre, day, mode and withdrawal: for_visit's rule.
            (
                "county_id",
                "visit_id",
                "household_id",
                "pairing_id",
                "met",
                "cadre_id",
                "occurred_on",
                "mode",
                "withdrawn",
            ),
        )
        self.needs = Inserter(
            VisitNeed, ("county_id", "visit_id", "household_id", "text", "category")
        )
        self.counts = {"visits": 0, "visit_households": 0, "visit_needs": 0}
        self.table = connection.ops.quote_name(Visit._meta.db_table)

    def _last_id(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT MAX(id) FROM {self.table}")
            return cursor.fetchone()[0] or 0

    def write(self, batch: list[Planned]) -> None:
        if not batch:
            return
        before = self._last_id()
        self.visits.insert(
            [
                (
                    self.county_id,
                    p.cadre_id,
                    p.day,
                    p.at,
                    p.mode,
                    p.heard,
                    p.notes,
                    p.help_kind,
                    p.help_text,
                )
                for p in batch
            ]
        )
        # The ids the database handed out, in insertion order: the build holds the write lock
        # (one transaction), and the cadres and days read back must be the batch's own.
        found = list(
            Visit.objects.filter(pk__gt=before)
            .order_by("pk")
            .values_list("pk", "cadre_id", "occurred_on")
        )
        if [(c, d) for _, c, d in found] != [(p.cadre_id, p.day) for p in batch]:
            raise RuntimeError("演示走访写入时有其他走访同时写入，请重新运行")
        rows, needs = [], []
        for (visit_id, _, _), p in zip(found, batch, strict=True):
            for pairing_id, household_id, met in p.households:
                rows.append(
                    (
                        self.county_id,
                        visit_id,
                        household_id,
                        pairing_id,
                        met,
                        p.cadre_id,
                        p.day,
                        p.mode,
                        False,
                    )
                )
            needs += [(self.county_id, visit_id, hh, text, code) for hh, text, code in p.needs]
        self.rows.insert(rows)
        self.needs.insert(needs)
        self.counts["visits"] += len(batch)
        self.counts["visit_households"] += len(rows)
        self.counts["visit_needs"] += len(needs)


def already_built(county: County) -> bool:
    """Demo visits exist (recorded by the server, author empty): the step is done."""
    return Visit.objects.filter(county=county, author__isnull=True).exists()


# Share of the households met in person in a month that tap 本月联系干部来过了 on their card.
CONFIRMING = 0.3


def add_household_confirmations(county: County, seed: int, period: Period) -> int:
    """Households' monthly confirmations (本月联系干部来过了, issue 10 point 5): about
    CONFIRMING of the households met in person in each month of `period`, drawn from `seed`
    (the same households each build), tapped a day after the month's first such visit and never
    in the future. Written in bulk; returns how many. Called once the visits are written."""
    from django.db.models import Min
    from django.db.models.functions import TruncMonth
    from django.utils import timezone

    from lianxin.visits.models import VisitConfirmation
    from lianxin.visits.rates import MEETING

    met = (
        VisitHousehold.objects.filter(
            county=county,
            withdrawn=False,
            occurred_on__gte=period.start,
            occurred_on__lte=period.end,
        )
        .filter(MEETING)
        .annotate(month=TruncMonth("occurred_on"))
        .order_by()
        .values_list("household_id", "month")
        .annotate(first=Min("occurred_on"))
    )
    now = timezone.localtime()
    zone = timezone.get_current_timezone()
    rows: list[tuple] = []
    insert = Inserter(VisitConfirmation, ("county_id", "household_id", "month", "created_at"))
    made = 0
    for household_id, month, first in met.iterator(chunk_size=BATCH):
        month = month.date() if isinstance(month, dt.datetime) else month
        if random.Random(f"{seed}:confirm:{household_id}:{month:%Y%m}").random() >= CONFIRMING:
            continue
        at = dt.datetime.combine(first + dt.timedelta(days=1), dt.time(19, 30), zone)
        rows.append((county.pk, household_id, month, min(at, now)))
        if len(rows) >= BATCH:
            insert.insert(rows)
            made += len(rows)
            rows = []
    insert.insert(rows)
    return made + len(rows)


def build_visits(
    county: County,
    seed: int,
    *,
    on_progress: Callable[[int, int], None] | None = None,
    on: dt.date | None = None,
) -> dict[str, int]:
    """The demo's six months of visits, in one transaction (all or nothing: a re-run finds
    them, or finds none). Returns what was written."""
    if already_built(county):
        return {}
    period = window(on)
    # The county's cadence: once a month, twice for 特困 and 独居 households.
    do_set_cadence(
        county=county,
        acting_user=None,
        visits_per_month=1,
        overrides={kind.value: 2 for kind in TWICE_A_MONTH},
    )
    cadres = _served(county, period)
    total = len(cadres) * len(months_of(period))
    writer = _Writer(county.pk)
    done = 0
    with transaction.atomic():
        batch: list[Planned] = []
        for month in months_of(period):
            full = calendar.monthrange(month.start.year, month.start.month)[1]
            for c in cadres:
                batch += plan_month(seed, c, month, full)
                if len(batch) >= BATCH:
                    writer.write(batch)
                    batch = []
                done += 1
                if on_progress is not None and done % 50 == 0:
                    on_progress(done, total)
        writer.write(batch)
        confirmations = add_household_confirmations(county, seed, period)
        counts = {**writer.counts, "confirmations": confirmations}
        record(
            actor=None,
            action=VISITS_ACTION,
            county_id=county.pk,
            target_type="geo.county",
            target_id=str(county.pk),
            target_label=f"{county.name}演示走访记录",
            changes={
                "period": [None, period.label],
                **{k: [None, v] for k, v in counts.items()},
            },
        )
    if on_progress is not None:
        on_progress(total, total)
    return counts


def visit_counts(county: County) -> dict[str, int]:
    """What the demo's visits hold now (for the build's summary)."""
    return {
        "visits": Visit.objects.filter(county=county).count(),
        "visit_needs": VisitNeed.objects.filter(county=county).count(),
    }


VISIT_COUNT_LABELS = {"visits": "走访记录", "visit_needs": "走访中反映的诉求"}


def build_rollup(county: Any, on_progress: Callable[[int, int], Any] | None = None) -> None:
    """The rates' roll-up of what was just built (lianxin.visits.rollup): the demo's visits
    were written in bulk, past the services that keep it."""
    from lianxin.visits.rollup import rebuild

    rebuild(county.pk, progress=on_progress)
