"""我联系的户: what a cadre's phone shows — their households today, overdue first, each with
its last contact, hardships, needs raised and the head's phone, and the month at a glance
(visited / due / overdue, 见面率 and 对话率 with their definitions). A fixed number of queries
however many households the cadre has (tests/core/test_list_queries_flat.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch
from django.utils import timezone

from lianxin.core.models import today
from lianxin.core.sensitive import unseal_field
from lianxin.org.models import Cadre
from lianxin.pairing.models import Pairing
from lianxin.people.choices import Relation
from lianxin.people.models import HouseholdHardship, Resident

from .choices import PlanStatus, VisitMode
from .models import EDIT_WINDOW, Visit, VisitHousehold, VisitNeed
from .periods import month_of
from .plan import DEFINITION as PLAN_DEFINITION
from .plan import STATUS_ORDER, Plan, annotate_plan, cadence_for
from .rates import Figure, Level, rates_for


@dataclass(frozen=True)
class Row:
    """One household on the cadre's page."""

    plan: Plan
    head: Resident | None
    phone: str  # the head's number in full ("" when none is registered)
    hardships: list[str]
    needs: int  # needs raised on its visits (issue 11 turns them into demands with a status)

    @property
    def household(self):
        return self.plan.pairing.household

    @property
    def name(self) -> str:
        return f"{self.head.name}户" if self.head else f"户 {self.household.number}"

    @property
    def place(self) -> str:
        h = self.household
        names = [h.village.short_name]
        if h.region_id != h.village_id:
            names.append(h.region.short_name)
        return "".join(names)

    @property
    def last_mode_label(self) -> str:
        mode = self.plan.last_contact_mode
        return VisitMode(mode).label if mode else ""


@dataclass(frozen=True)
class Month:
    """The month at a glance."""

    label: str
    done: int
    due: int
    overdue: int
    meeting: Figure
    dialogue: Figure
    plan_definition: str = PLAN_DEFINITION


def _heads(household_ids: list[int]) -> dict[int, Resident]:
    heads = Resident.objects.filter(household_id__in=household_ids, relation=Relation.HEAD)
    return {
        r.household_id: r for r in heads.only("id", "household_id", "name", "phone_enc", "seal_ref")
    }


def _needs(household_ids: list[int], cadre: Cadre) -> dict[int, int]:
    # Needs the cadre's own live visits recorded for each household; until the demand workflow
    # (issue 11) gives them a status, every one counts as open.
    rows = (
        VisitNeed.objects.filter(
            household_id__in=household_ids, visit__cadre=cadre, visit__withdrawn_at__isnull=True
        )
        .order_by()
        .values("household_id")
        .annotate(n=Count("id"))
    )
    return {r["household_id"]: r["n"] for r in rows}


def my_households(cadre: Cadre, on: dt.date | None = None) -> list[Row]:
    """The households the cadre serves on the day, overdue first, then due, then done."""
    on = on or today()
    qs = (
        Pairing.objects.serving(on)
        .filter(cadre=cadre)
        .select_related("household__village", "household__region")
        .prefetch_related(
            Prefetch(
                "household__hardships",
                queryset=HouseholdHardship.objects.current(on).order_by("kind"),
            )
        )
    )
    qs = annotate_plan(qs, on, cadence_for(cadre.county_id))
    pairings = list(qs.order_by(STATUS_ORDER, "household__number", "id"))
    ids = [p.household_id for p in pairings]
    heads, needs = _heads(ids), _needs(ids, cadre)
    rows = []
    for p in pairings:
        head = heads.get(p.household_id)
        rows.append(
            Row(
                plan=Plan.of(p, on),
                head=head,
                phone=unseal_field(head, "phone") if head is not None else "",
                hardships=[h.get_kind_display() for h in p.household.hardships.all()],
                needs=needs.get(p.household_id, 0),
            )
        )
    return rows


def month_summary(user: Any, cadre: Cadre, on: dt.date | None = None) -> Month:
    """This month for the cadre: pairings by plan status (one GROUP BY) and the two rates as
    visits.rates defines them."""
    on = on or today()
    period = month_of(on)
    planned: Any = annotate_plan(
        Pairing.objects.serving(on).filter(cadre=cadre), on, cadence_for(cadre.county_id)
    )
    by_status = {
        r["plan_status"]: r["n"]
        for r in planned.order_by().values("plan_status").annotate(n=Count("id"))
    }
    total = rates_for(user, period, Level.CADRE).total
    return Month(
        label=period.label,
        done=by_status.get(PlanStatus.DONE.value, 0),
        due=by_status.get(PlanStatus.DUE.value, 0),
        overdue=by_status.get(PlanStatus.OVERDUE.value, 0),
        meeting=total.meeting_rate,
        dialogue=total.dialogue_rate,
    )


def recent_visits(user: Any, cadre: Cadre) -> list[Visit]:
    """The cadre's visits recorded in the last 7 days that they may still correct, newest first."""
    since = timezone.now() - EDIT_WINDOW
    rows = VisitHousehold.objects.select_related("household").order_by("id")
    qs = (
        Visit.objects.visible_to(user)
        .filter(cadre=cadre, author=user, withdrawn_at__isnull=True, created_at__gte=since)
        .prefetch_related(Prefetch("households", queryset=rows))
        .order_by("-created_at", "-id")
    )
    return list(qs[:20])
