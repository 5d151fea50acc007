"""The rates the program is judged by, defined here and nowhere else: 见面率, 对话率, 走访次数
and the overdue count, for any period (month, quarter, year, date range) and any level
(household, cadre, unit, village, township, county). Pages, the API and the ledgers (issue 12)
read them from `rates_for`, and show each figure's definition (DEFINITIONS) beside it.

**Who is counted (the denominator).** A household counts in a period when a pairing served it
on *at least one day* of the period (the pairing in force that day and its cadre still in
office). Why this rule and not "paired the whole period" or a prorated share:

- every household that had a cadre in the period was owed contact in it; a "whole period" rule
  would drop exactly the households handed over mid-month — the ones most likely to fall
  between two cadres — from every figure, and make 100 % reachable by reshuffling pairings;
- prorating gives fractional households that no village clerk can recount by hand, and the
  ledgers (综合账) must be checkable against the list of households;
- at the levels of places (household, village, township, county) a household is counted once
  however many cadres it had, and it counts as met if *any* cadre serving it then met it: a
  handover does not lower a village's figure when the old cadre had already visited. At the
  levels of people (cadre, unit) a household counts for each cadre (unit) that served it, met
  only by that cadre's (unit's) own visits — the new cadre owes the household a visit of their
  own, exactly as the visit plan says (visits.plan).
- The cost is visible and accepted: a cadre given a household on the 28th owes it a visit that
  month. Quarter and year figures soften it, and the pairing date is on the household's page.

**Who is met (the numerators).** Visits served by a pairing (their rows' pairing, resolved when
saved), not withdrawn, dated in the period:

- 见面率: households met in person — 上门走访, 院坝会/集中见面, 偶遇/其他当面 with 见到人 — ÷ the
  households counted above;
- 对话率: households with a conversation — met in person as above, or reached by phone or
  online (a call nobody answered is no conversation) — ÷ the same;
- 走访次数: visit records (any mode, 家中无人 included: an attempt is a visit; a yard meeting is
  one record however many households it covered);
- 逾期户数: pairings serving on the period's last day (today, for the current period) whose
  visit plan is overdue on that day;
- 群众确认率: households counted above that confirmed, themselves, on their 连心卡 page, a
  contact in a month overlapping the period (VisitConfirmation) ÷ the same. It is the
  household's word beside the cadre's record, never a condition of it: an unconfirmed visit
  counts in every other figure as before. At the cadre and unit levels a household's
  confirmation counts for each cadre (unit) that served it in the period — the household says
  "my cadre came", not which one.

A unit is the cadre's current unit (Cadre.unit); a village or township is the household's.
Every figure is a GROUP BY in the database; nothing is tallied in Python. Where the county's
roll-up answers (whole months, a county-wide or area user), the GROUP BY runs on it (rollup.py:
months of contact as bit masks, kept equal to these records) instead of on the records; the
answer says which (Rates.source), and the tests check both give the same figures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)

from lianxin.accounts.choices import Role
from lianxin.core.errors import Refused
from lianxin.core.models import today
from lianxin.geo.models import County, Region, region_q
from lianxin.lib.numbers import percent_text, percent_value
from lianxin.org.models import Cadre, Unit
from lianxin.pairing.models import Pairing
from lianxin.people.models import Household

from . import rollup
from .choices import IN_PERSON_MODES, REMOTE_MODES, PlanStatus
from .models import VisitConfirmation, VisitHousehold
from .periods import Period
from .plan import annotate_plan, cadence_for
from .rollup import grouped as _grouped


class Level:
    HOUSEHOLD = "household"
    CADRE = "cadre"
    UNIT = "unit"
    VILLAGE = "village"
    TOWNSHIP = "township"
    COUNTY = "county"


LEVELS = {
    Level.HOUSEHOLD: "户",
    Level.CADRE: "干部",
    Level.UNIT: "单位",
    Level.VILLAGE: "村（社区）",
    Level.TOWNSHIP: "乡镇（街道）",
    Level.COUNTY: "县（市、区）",
}
# The group of a pairing or a visit row: both have household and cadre columns of the same name.
KEYS = {
    Level.HOUSEHOLD: "household_id",
    Level.CADRE: "cadre_id",
    Level.UNIT: "cadre__unit_id",
    Level.VILLAGE: "household__village_id",
    Level.TOWNSHIP: "household__township_id",
    Level.COUNTY: "county_id",
}
PEOPLE_LEVELS = frozenset({Level.CADRE, Level.UNIT})
PLACE_LEVELS = frozenset(KEYS) - PEOPLE_LEVELS

PAIRED = "结对户：统计期内至少有一天有结对干部（结对有效且干部在职）的户；按干部、单位统计时，每名干部（单位）联系过的户各计一次"
DEFINITIONS = {
    "households": PAIRED,
    "meeting_rate": "见面率 = 统计期内当面见到人（上门走访、院坝会/集中见面、偶遇/其他当面，且见到人）的结对户 ÷ 结对户；"
    "按干部、单位统计时只计本人（本单位）的走访",
    "dialogue_rate": "对话率 = 统计期内有过交谈（当面见到人，或电话、微信/线上联系上）的结对户 ÷ 结对户；"
    "未接通的电话、家中无人不算",
    "visits": "走访次数 = 统计期内登记的走访记录数（含家中无人；一次院坝会计一次；已撤回的不计）",
    "overdue": "逾期户数 = 统计期最后一天（本期为今天）按走访计划已逾期的结对户",
    "confirmation_rate": "群众确认率 = 统计期内（与统计期重叠的自然月）群众本人在连心卡页面确认“联系干部来过了/联系过我”的结对户 ÷ 结对户；"
    "只作参考，不影响干部的走访记录",
}
MEETING = Q(met=True, mode__in=sorted(IN_PERSON_MODES))
DIALOGUE = Q(met=True, mode__in=sorted(IN_PERSON_MODES | REMOTE_MODES))


@dataclass(frozen=True)
class Figure:
    """A rate with its parts and definition."""

    numerator: int
    denominator: int
    definition: str

    @property
    def value(self) -> float | None:
        return percent_value(self.numerator, self.denominator)

    @property
    def text(self) -> str:
        return percent_text(self.numerator, self.denominator)

    def as_dict(self) -> dict[str, Any]:
        return {
            "numerator": self.numerator,
            "denominator": self.denominator,
            "rate": self.value,
            "percent": self.text,
            "definition": self.definition,
        }


@dataclass(frozen=True)
class RateRow:
    """The figures of one group (a household, a cadre, a village …) or of the whole scope."""

    id: int | None
    name: str
    households: int = 0
    met: int = 0
    talked: int = 0
    visits: int = 0
    overdue: int = 0
    confirmed: int = 0

    @property
    def confirmation_rate(self) -> Figure:
        return Figure(self.confirmed, self.households, DEFINITIONS["confirmation_rate"])

    @property
    def meeting_rate(self) -> Figure:
        return Figure(self.met, self.households, DEFINITIONS["meeting_rate"])

    @property
    def dialogue_rate(self) -> Figure:
        return Figure(self.talked, self.households, DEFINITIONS["dialogue_rate"])


@dataclass(frozen=True)
class Rates:
    period: Period
    level: str
    on: dt.date  # the day the overdue count is taken
    total: RateRow
    rows: list[RateRow] = field(default_factory=list)
    definitions: dict[str, str] = field(default_factory=lambda: dict(DEFINITIONS))
    # "rollup" when read from the stored roll-up (rollup.py), "records" when counted directly.
    source: str = "records"


# ---------------------------------------------------------------------------------------------
# The rows counted


def serving_in(qs: QuerySet[Pairing], period: Period) -> QuerySet[Pairing]:
    """Pairings that served their household on at least one day of the period: in force on a
    day of it while their cadre was still in office (Pairing.objects.serving, over a range)."""
    return qs.filter(valid_from__lte=period.end).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=period.start),
        Q(cadre__left_on__isnull=True)
        | (Q(cadre__left_on__gte=period.start) & Q(cadre__left_on__gte=F("valid_from"))),
    )


def _scoped(
    qs: QuerySet, user: Any, county_id: int, region: Region | None, unit: Unit | None = None
) -> QuerySet:
    """Pairings or visit rows in the user's scope (None: the server, the whole county),
    narrowed to a region's households and to a unit's cadres."""
    qs = qs.filter(county_id=county_id)
    if user is not None:
        if user.role == Role.CADRE:
            qs = qs.filter(cadre__user=user)
        elif not (user.is_county_wide and not user.region_id):
            qs = qs.filter(household__in=Household.objects.visible_to(user))
    if region is not None:
        qs = qs.filter(region_q(region, "household__"))
    if unit is not None:
        qs = qs.filter(cadre__unit_id=unit.pk)
    return qs


def _names(level: str, ids: list[int]) -> dict[int, str]:
    if level == Level.HOUSEHOLD:
        return dict(Household.objects.filter(pk__in=ids).values_list("pk", "number"))
    if level == Level.CADRE:
        return dict(Cadre.objects.filter(pk__in=ids).values_list("pk", "name"))
    if level == Level.UNIT:
        return {u.pk: str(u) for u in Unit.objects.filter(pk__in=ids).only("name", "short_name")}
    if level == Level.COUNTY:
        return dict(County.objects.filter(pk__in=ids).values_list("pk", "name"))
    return dict(Region.objects.filter(pk__in=ids).values_list("pk", "short_name"))


def rates_for(
    user: Any,
    period: Period,
    level: str = Level.COUNTY,
    *,
    region: Region | None = None,
    unit: Unit | None = None,
    county_id: int | None = None,
) -> Rates:
    """The figures of the period for each group of the level in the user's scope (narrowed to
    `region`'s households and `unit`'s cadres, both already checked to be in scope), and for
    the whole scope. `user` None is the server (benchmarks, jobs), which names the county."""
    if level not in KEYS:
        raise Refused(f"无法识别的统计层级“{level}”，可选：{'、'.join(LEVELS)}", field="level")
    county = county_id if user is None else user.county_id
    if county is None:
        raise Refused("请指定县（市、区）", field="county")
    now = today()
    if period.start > now:
        raise Refused(f"统计期间{period.label}尚未开始", field="period")
    on = min(period.end, now)
    key = KEYS[level]

    rolled = _rollup_plan(user, county, period, on, level, region)
    if rolled is not None:
        year, mask, where = rolled
        unit_id = unit.pk if unit is not None else None

        def counted(k: str | None) -> tuple[dict[Any, dict[str, int]], ...]:
            return rollup.counted(
                county, period, year, mask, on, level if k else None, where, unit_id
            )

        def visits_in_all() -> int:
            return rollup.visits(county, period, None, where, unit_id).get(None, 0)

    else:
        counted, visits_in_all = _live(user, county, period, on, region, unit)

    def n(found: dict[Any, dict[str, int]], g: Any, name: str) -> int:
        return found.get(g, {}).get(name) or 0

    def figures(paired, met, late) -> dict[Any, RateRow]:
        return {
            g: RateRow(
                id=g,
                name="",
                households=n(paired, g, "n_households"),
                met=n(met, g, "n_met"),
                talked=n(met, g, "n_talked"),
                visits=n(met, g, "n_visits"),
                overdue=n(late, g, "n_overdue"),
                confirmed=n(paired, g, "n_confirmed"),
            )
            for g in paired
        }

    grouped = counted(key)
    by_group = figures(*grouped)
    if level in PLACE_LEVELS:
        # A household lies in one place, and so does each pairing: the scope's households, met,
        # talked and overdue are the sums of its places' (half the queries at the county's
        # size). Only the visits are counted again: a yard meeting may span two villages.
        paired, met, late = grouped

        def added(found: dict[Any, dict[str, int]], name: str) -> int:
            return sum(n(found, g, name) for g in found)

        total = RateRow(
            id=None,
            name="",
            households=added(paired, "n_households"),
            met=added(met, "n_met"),
            talked=added(met, "n_talked"),
            visits=visits_in_all(),
            overdue=added(late, "n_overdue"),
            confirmed=added(paired, "n_confirmed"),
        )
    else:
        total = figures(*counted(None))[None]
    scope_name = (
        unit.name if unit is not None else region.short_name if region is not None else "合计"
    )
    total = RateRow(**{**total.__dict__, "name": scope_name})
    names = _names(level, [g for g in by_group if g is not None])
    listed = sorted(
        (
            RateRow(**{**r.__dict__, "name": names.get(r.id, "") if r.id is not None else ""})
            for r in by_group.values()
        ),
        key=lambda r: (r.name, r.id or 0),
    )
    return Rates(
        period=period,
        level=level,
        on=on,
        total=total,
        rows=listed,
        source="rollup" if rolled is not None else "records",
    )


def _rollup_plan(
    user: Any, county_id: int, period: Period, on: dt.date, level: str, region: Region | None
) -> tuple[int, int, Region | None] | None:
    """(year, mask, region) when the roll-up answers these figures for this user; None when
    they are counted from the records: a cadre's own (a few rows), a handler's zone (villages
    of several townships), a group, a period not of whole months, or a roll-up not fresh."""
    if user is not None:
        if user.role == Role.CADRE or not (user.is_county_wide or user.is_region_scoped):
            return None
        if region is None and user.region_id:
            region = user.region
    if not rollup.answers(region) or (level == Level.HOUSEHOLD and region is None):
        return None
    found = rollup.readable(county_id, period, on)
    return None if found is None else (found[0], found[1], region)


def _live(
    user: Any, county: int, period: Period, on: dt.date, region: Region | None, unit: Unit | None
):
    """rates_for's counts straight from the records: pairings, visit rows and the plan."""
    pairings = serving_in(_scoped(Pairing.objects.all(), user, county, region, unit), period)
    rows = _scoped(VisitHousehold.objects.all(), user, county, region, unit).filter(
        pairing__isnull=False,
        withdrawn=False,
        occurred_on__gte=period.start,
        occurred_on__lte=period.end,
    )
    cadence = cadence_for(county)
    planned = annotate_plan(
        _scoped(Pairing.objects.serving(on), user, county, region, unit), on, cadence
    )
    overdue_one = Case(
        When(plan_status=PlanStatus.OVERDUE.value, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )

    # A confirmation names a calendar month: it counts in any period overlapping that month.
    confirmed = Exists(
        VisitConfirmation.objects.filter(
            household_id=OuterRef("household_id"),
            month__gte=period.start.replace(day=1),
            month__lte=period.end,
        )
    )

    def counted(k: str | None) -> tuple[dict[Any, dict[str, int]], ...]:
        # Aggregate names differ from the columns they count (Django refuses "met" of "met").
        paired = _grouped(
            pairings,
            k,
            n_households=Count("household_id", distinct=True),
            n_confirmed=Count("household_id", distinct=True, filter=Q(confirmed)),
        )
        met = _grouped(
            rows,
            k,
            n_met=Count("household_id", distinct=True, filter=MEETING),
            n_talked=Count("household_id", distinct=True, filter=DIALOGUE),
            n_visits=Count("visit_id", distinct=True),
        )
        late = _grouped(planned, k, n_overdue=Sum(overdue_one))
        return paired, met, late

    def visits_in_all() -> int:
        return rows.aggregate(n=Count("visit_id", distinct=True))["n"] or 0

    return counted, visits_in_all
