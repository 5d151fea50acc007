"""The visit plan, computed at query time and never stored (as DHIS2 computes overdue events):
for a pairing on a day, how many visits the county's cadence owes the household this calendar
month, how many its cadre has made, the next due date and the status.

The rules, in one place:

- **Period**: the calendar month of the day.
- **Required**: the county's visits per month (VisitCadence, default 1 — the report's
  每一个月左右), or, when the household has hardships with an override open on any day of the
  month, the strictest (largest) of those overrides (特困/独居: 2).
- **Qualifying visit**: a visit served by *this pairing* (its row's pairing, resolved when the
  visit was saved) that met someone in person (上门走访, 院坝会, 偶遇/其他当面 with 见到人), or, where
  the county says so (remote_counts), a phone or online conversation that reached someone.
  Several visits on one day count once: two visits owed means two days.
  Because the count is per pairing, a household handed to a new cadre mid-month is due for the
  new cadre: the old cadre's visits served the old pairing.
- **Due dates**: the k-th of n visits in a month of L days is due on day ⌈k·L/n⌉ (once a month:
  the last day; twice: the 15th or 16th and the last day).
- **Status** on day D: *done* when the month's visits are made; *overdue* when a due date before
  D passed without its visit, or when the same pairing served in the previous month and fell
  short there (a household not visited in March is overdue from 1 April until visited);
  otherwise *due*. A pairing that began this month carries nothing from before it.

`annotate_plan` adds all of this to a Pairing queryset as SQL (correlated counts on the
visits' (pairing, day) index), so a cadre's whole list, or a county's overdue count grouped by
township, is one query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from lianxin.core.models import today
from lianxin.org.models import Cadre
from lianxin.pairing.models import Pairing
from lianxin.people.models import HouseholdHardship

from .choices import IN_PERSON_MODES, REMOTE_MODES, PlanStatus
from .models import VisitCadence, VisitHousehold
from .periods import Period, month_of, previous_month

DEFAULT_PER_MONTH = 1

DEFINITION = (
    "每户每个自然月应走访的次数按本县走访频次（困难群众户按其困难类型中最高的频次）；"
    "当面见到人（上门走访、院坝会/集中见面、偶遇/其他当面）才算一次走访，同一天多次算一次；"
    "只计本结对干部的走访（换了干部的户，由新干部走访）；"
    "到期未走访即为逾期，上月未完成的，本月走访前一直算逾期"
)


@dataclass(frozen=True)
class Cadence:
    """A county's cadence as the plan reads it (one row and its overrides)."""

    per_month: int = DEFAULT_PER_MONTH
    overrides: dict[str, int] = field(default_factory=dict)
    remote_counts: bool = False


def cadence_for(county_id: int) -> Cadence:
    """The county's cadence; the default (once a month) when none has been set. Reads only."""
    row = VisitCadence.objects.filter(county_id=county_id).prefetch_related("overrides").first()
    if row is None:
        return Cadence()
    return Cadence(
        per_month=row.visits_per_month,
        overrides={o.kind: o.visits_per_month for o in row.overrides.all()},
        remote_counts=row.remote_counts,
    )


def qualifying(cadence: Cadence, prefix: str = "") -> Q:
    """Visit rows that fulfil the plan (see the module's rules)."""
    modes = set(IN_PERSON_MODES) | (set(REMOTE_MODES) if cadence.remote_counts else set())
    return Q(
        **{f"{prefix}met": True, f"{prefix}withdrawn": False, f"{prefix}mode__in": sorted(modes)}
    )


def required(cadence: Cadence, period: Period, household: str = "household_id"):
    """Visits owed in the period: the strictest override among the household's hardships open
    on any day of it, else the county's number. `household` names the outer household column."""
    if not cadence.overrides:
        return Value(cadence.per_month, output_field=IntegerField())
    strictest = (
        HouseholdHardship.objects.filter(
            household_id=OuterRef(household),
            kind__in=sorted(cadence.overrides),
            valid_from__lte=period.end,
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=period.start))
        .annotate(
            owed=Case(
                *(When(kind=k, then=Value(n)) for k, n in cadence.overrides.items()),
                output_field=IntegerField(),
            )
        )
        .order_by("-owed")
        .values("owed")[:1]
    )
    return Coalesce(
        Subquery(strictest, output_field=IntegerField()),
        Value(cadence.per_month),
        output_field=IntegerField(),
    )


def done(cadence: Cadence, period: Period, pairing: str = "pk"):
    """Days in the period with a qualifying visit serving the pairing."""
    days = (
        VisitHousehold.objects.filter(
            qualifying(cadence),
            pairing_id=OuterRef(pairing),
            occurred_on__gte=period.start,
            occurred_on__lte=period.end,
        )
        .order_by()
        .values("pairing_id")
        .annotate(n=Count("occurred_on", distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(days, output_field=IntegerField()), Value(0))


def annotate_plan(qs: QuerySet[Pairing], on: dt.date, cadence: Cadence) -> QuerySet[Pairing]:
    """Pairings with plan_required, plan_done, plan_required_prev, plan_done_prev,
    plan_last_on (the pairing's last qualifying visit), plan_last_contact_on and
    plan_last_contact_mode (its last visit of any kind) and plan_status, all computed by the
    database; the queryset should hold pairings serving on `on`."""
    period = month_of(on)
    prev = previous_month(period)
    last = VisitHousehold.objects.filter(pairing_id=OuterRef("pk"), withdrawn=False).order_by(
        "-occurred_on", "-visit_id"
    )
    passed = ExpressionWrapper(
        Value(on.day - 1) * F("plan_required") / Value(period.days), output_field=IntegerField()
    )
    return qs.annotate(
        plan_required=required(cadence, period),
        plan_done=done(cadence, period),
        plan_required_prev=required(cadence, prev),
        plan_done_prev=done(cadence, prev),
        plan_last_on=Subquery(last.filter(qualifying(cadence)).values("occurred_on")[:1]),
        plan_last_contact_on=Subquery(last.values("occurred_on")[:1]),
        plan_last_contact_mode=Subquery(last.values("mode")[:1]),
    ).annotate(
        plan_status=Case(
            When(plan_done__gte=F("plan_required"), then=Value(PlanStatus.DONE.value)),
            # A due date of this month passed without its visit.
            When(plan_done__lt=passed, then=Value(PlanStatus.OVERDUE.value)),
            # The same pairing served last month and fell short there.
            When(
                Q(valid_from__lte=prev.end, plan_done_prev__lt=F("plan_required_prev")),
                then=Value(PlanStatus.OVERDUE.value),
            ),
            default=Value(PlanStatus.DUE.value),
        )
    )


def due_day(period: Period, k: int, n: int) -> dt.date:
    """The day the k-th of n visits of the period is due: day ⌈k·L/n⌉."""
    return period.start + dt.timedelta(days=-(-k * period.days // n) - 1)


@dataclass(frozen=True)
class Plan:
    """One pairing's plan on a day."""

    pairing: Pairing
    on: dt.date
    period: Period
    required: int
    done: int
    status: PlanStatus
    due_on: dt.date | None  # the next visit's due date; None once the month is done
    overdue_since: dt.date | None  # the first due date missed, when overdue
    last_on: dt.date | None  # the last qualifying visit of this pairing
    last_contact_on: dt.date | None
    last_contact_mode: str | None

    @classmethod
    def of(cls, p: Pairing, on: dt.date) -> Plan:
        """The plan of a pairing annotated by annotate_plan."""
        period = month_of(on)
        status = PlanStatus(p.plan_status)  # type: ignore[attr-defined]
        req, made = p.plan_required, p.plan_done  # type: ignore[attr-defined]
        due_on = None if made >= req else due_day(period, made + 1, req)
        since = None
        if status == PlanStatus.OVERDUE:
            if due_on is not None and due_on < on:
                since = due_on
            else:
                prev = previous_month(period)
                prev_req, prev_done = p.plan_required_prev, p.plan_done_prev  # type: ignore[attr-defined]
                since = due_day(prev, prev_done + 1, prev_req)
        return cls(
            pairing=p,
            on=on,
            period=period,
            required=req,
            done=made,
            status=status,
            due_on=due_on,
            overdue_since=since,
            last_on=p.plan_last_on,  # type: ignore[attr-defined]
            last_contact_on=p.plan_last_contact_on,  # type: ignore[attr-defined]
            last_contact_mode=p.plan_last_contact_mode,  # type: ignore[attr-defined]
        )


def plan_for(pairing: Pairing, on: dt.date | None = None) -> Plan:
    """One pairing's plan on the day (today by default)."""
    on = on or today()
    qs = annotate_plan(Pairing.objects.filter(pk=pairing.pk), on, cadence_for(pairing.county_id))
    return Plan.of(qs.get(), on)


STATUS_ORDER = Case(
    When(plan_status=PlanStatus.OVERDUE.value, then=Value(0)),
    When(plan_status=PlanStatus.DUE.value, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def plans_for_cadre(cadre: Cadre, on: dt.date | None = None) -> list[Plan]:
    """Every household the cadre serves on the day with its plan, overdue first, then due, then
    done (each by household number), with the household and its hardships open that day: four
    queries however many households (cadence, its overrides, pairings, hardships)."""
    on = on or today()
    cadence = cadence_for(cadre.county_id)
    qs = (
        Pairing.objects.serving(on)
        .filter(cadre=cadre)
        .select_related("household")
        .prefetch_related(
            Prefetch(
                "household__hardships",
                queryset=HouseholdHardship.objects.current(on).order_by("kind"),
            )
        )
    )
    qs = annotate_plan(qs, on, cadence).order_by(STATUS_ORDER, "household__number", "id")
    return [Plan.of(p, on) for p in qs]
