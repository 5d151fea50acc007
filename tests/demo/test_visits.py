"""The demo's six months of visits (lianxin.demo.visits): the model's invariants hold for every
row written in bulk, and the figures come out as the simulation intends."""

import datetime as dt

from django.db.models import Count, F
from django.utils import timezone

from lianxin.audit.models import AuditEntry
from lianxin.core.models import today
from lianxin.demo import visits as V
from lianxin.geo.models import County
from lianxin.org.models import Cadre
from lianxin.pairing.models import Pairing
from lianxin.visits.choices import VisitMode
from lianxin.visits.models import Visit, VisitConfirmation, VisitHousehold, VisitNeed
from lianxin.visits.periods import month_of, previous_month
from lianxin.visits.rates import Level, rates_for

from .conftest import run_demo


def _county():
    return County.objects.get(code="510184")


def _last_full_month():
    return previous_month(month_of(today()))


def test_it_dates_every_row_within_its_pairing_and_never_in_the_future(demo):
    rows = VisitHousehold.objects.filter(county=_county())
    assert rows.count() > 1_000
    window = V.window()
    assert not rows.filter(pairing__isnull=True).exists()
    assert not rows.filter(occurred_on__gt=today()).exists()
    assert not rows.filter(occurred_on__lt=window.start).exists()
    assert not rows.filter(occurred_on__lt=F("pairing__valid_from")).exists()
    assert not rows.filter(
        pairing__valid_to__isnull=False, occurred_on__gt=F("pairing__valid_to")
    ).exists()
    assert not rows.filter(
        cadre__left_on__isnull=False, occurred_on__gt=F("cadre__left_on")
    ).exists()
    # The pairing is the cadre's with this household (what do_record_visit resolves).
    assert not rows.exclude(pairing__cadre_id=F("cadre_id")).exists()
    assert not rows.exclude(pairing__household_id=F("household_id")).exists()


def test_it_keeps_each_rows_copies_equal_to_its_visit(demo):
    rows = VisitHousehold.objects.filter(county=_county())
    assert not rows.exclude(cadre_id=F("visit__cadre_id")).exists()
    assert not rows.exclude(occurred_on=F("visit__occurred_on")).exists()
    assert not rows.exclude(mode=F("visit__mode")).exists()
    assert not rows.filter(withdrawn=True).exists()
    assert not Visit.objects.filter(county=_county(), withdrawn_at__isnull=False).exists()
    # Only a yard meeting covers several households; every visit covers at least one.
    counted = Visit.objects.filter(county=_county()).annotate(n=Count("households"))
    assert not counted.filter(n=0).exists()
    assert not counted.filter(n__gt=1).exclude(mode=VisitMode.MEETING).exists()
    assert counted.filter(n__gt=1, mode=VisitMode.MEETING).exists()
    # Needs belong to a household the visit covered.
    needs = VisitNeed.objects.filter(county=_county())
    assert needs.exists()
    assert not needs.exclude(
        household_id__in=VisitHousehold.objects.filter(visit_id=F("visit_id")).values(
            "household_id"
        )
    ).exists()


def test_it_meets_most_households_each_month_and_the_mountains_fewer(demo):
    month = _last_full_month()
    county = rates_for(None, month, Level.COUNTY, county_id=_county().pk).total
    assert county.households > 400
    assert 0.6 <= county.met / county.households <= 0.97
    assert county.talked >= county.met
    by_township = rates_for(None, month, Level.TOWNSHIP, county_id=_county().pk).rows
    hills = [r for r in by_township if r.name and any(r.name in m for m in V.MOUNTAIN_TOWNSHIPS)]
    plain = [r for r in by_township if r not in hills]
    assert hills and plain

    def share(rows):
        return sum(r.met for r in rows) / max(1, sum(r.households for r in rows))

    assert share(hills) < share(plain)


def test_it_visits_mostly_in_person_with_some_calls_and_nobody_home(demo):
    rows = VisitHousehold.objects.filter(county=_county())
    total = rows.count()
    in_person = rows.filter(mode=VisitMode.IN_PERSON).count()
    assert in_person / total > 0.6
    for mode in (VisitMode.PHONE, VisitMode.ONLINE, VisitMode.MEETING, VisitMode.MET_ELSEWHERE):
        assert rows.filter(mode=mode).exists(), mode
    nobody = rows.filter(mode=VisitMode.IN_PERSON, met=False).count()
    assert 0.02 < nobody / in_person < 0.15
    assert Visit.objects.filter(county=_county()).exclude(help_kind="").exists()


def test_it_leaves_a_few_cadres_who_never_visit(demo):
    paired = Pairing.objects.filter(county=_county()).values("cadre_id").distinct()
    visiting = Visit.objects.filter(county=_county()).values("cadre_id").distinct()
    idle = Cadre.objects.filter(pk__in=paired).exclude(pk__in=visiting).count()
    assert 1 <= idle <= 0.08 * paired.count()
    # The story cadre (malin's) is never one of them.
    assert Visit.objects.filter(cadre__name="马林增").exists()


def test_it_writes_the_visits_once_with_their_audit_row(demo):
    before = Visit.objects.count()
    run_demo("--force")
    assert Visit.objects.count() == before
    entry = AuditEntry.objects.get(action=V.VISITS_ACTION)
    assert entry.changes["visits"][1] == before
    assert entry.changes["confirmations"][1] == VisitConfirmation.objects.count() > 0


def test_it_confirms_only_months_the_household_was_met_in_person(demo):
    from lianxin.visits.rates import MEETING

    confirmations = VisitConfirmation.objects.filter(county=_county())
    assert confirmations.exists()
    assert not confirmations.filter(created_at__gt=timezone.now()).exists()
    assert not confirmations.exclude(month__day=1).exists()
    for c in confirmations.order_by("?")[:50]:
        month_end = (c.month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        assert (
            VisitHousehold.objects.filter(
                household_id=c.household_id,
                withdrawn=False,
                occurred_on__gte=c.month,
                occurred_on__lte=month_end,
            )
            .filter(MEETING)
            .exists()
        )
    # About V.CONFIRMING of the households met in person in the last full month tapped.
    month = _last_full_month()
    figures = rates_for(None, month, Level.COUNTY, county_id=_county().pk).total
    assert 0.15 * figures.met <= figures.confirmed <= 0.45 * figures.met


def test_it_plans_the_same_visits_from_the_same_seed():
    served = [
        V.Served(
            i,
            100 + i,
            f"5101840010010{i:03d}",
            1 + i % 2,
            dt.date(2025, 9, 15),
            dt.date(2026, 3, 15),
            i % 3 == 0,
            i == 4,
        )
        for i in range(12)
    ]
    cadre = V.CadreRows(7, "C0010001", True, served)
    month = V.months_of(V.window(dt.date(2026, 3, 15)))[1]
    first = V.plan_month(2014, cadre, month, 31)
    assert first == V.plan_month(2014, cadre, month, 31)
    assert first != V.plan_month(2015, cadre, month, 31)


def test_it_simulates_six_months_up_to_today():
    period = V.window(dt.date(2026, 3, 31))
    assert (period.start, period.end) == (dt.date(2025, 9, 30), dt.date(2026, 3, 31))
    assert V.window(dt.date(2026, 8, 31)).start == dt.date(2026, 2, 28)
    assert [m.label for m in V.months_of(period)][0::6] == ["2025-09", "2026-03"]
