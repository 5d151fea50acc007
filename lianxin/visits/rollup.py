"""The rates' roll-up: what `rates.rates_for` reads instead of the records, so that a county's
见面率 by township for a month or a half-year is one index scan of 231,000 short rows, not a
distinct count over 1.2 million visit rows and a visit plan for every pairing (1.3–2.8 s at
the report's scale on SQLite).

What is stored (models ContactMonths, CadreContactMonths, VisitTally, OverdueDay):

- per household and calendar year, four 24-bit masks over that year and the one before (bit 0
  is January of the year before, bit 23 December of the year): the months it was paired (a
  pairing served it on at least one day), met in person, talked to, and confirmed by the
  household itself; and the same per cadre and household for the figures of people. A period
  of whole months ending in year Y — a month, a quarter, a year, 近六个月 across New Year — is
  one AND with a mask on year Y's rows: "paired in the period" is `paired & M != 0`, exactly
  the rule of rates.py (paired on at least one day of it);
- visit records per cadre, month and place touched (village, township, county), so that a yard
  meeting counts once per place and once in all, as rates.py counts it;
- the pairings overdue on today and on each month's last day, with their places.

How it stays equal to the records, in the same transaction as each change (`touch`): the
services that record, correct or withdraw a visit, take a confirmation, pair or unpair, end a
cadre's service, move a household or change its hardships recompute the rows of the households
they changed from the records, for the years and days from the change on. A change too wide to
mend that way (a pairing run, an import, a new cadence) marks the county stale (`invalidate`)
and queues a rebuild; until it is done the rates are computed from the records, as before the
roll-up existed. The hourly task adds each new day's overdue rows and rebuilds stale counties
(`keep_up`). Whatever the roll-up cannot answer — a period not of whole months, a place below a
village, a handler's zone, a cadre's own page — rates.py computes directly; the tests check both
ways give the same figures (tests/visits/test_rollup.py), and `drift` recounts a county.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, Count, F, IntegerField, Max, Min, Q, Sum, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone

from lianxin.core.models import today
from lianxin.geo.choices import Level as RegionLevel
from lianxin.geo.models import Region
from lianxin.org.models import Cadre
from lianxin.pairing.cover import pairing_span
from lianxin.pairing.models import Pairing
from lianxin.people.models import Household
from lianxin.transfer.table_inserter import Inserter

from .choices import PlanStatus
from .models import (
    CadreContactMonths,
    ContactMonths,
    OverdueDay,
    RollupState,
    UnitContactMonths,
    VisitConfirmation,
    VisitHousehold,
    VisitTally,
)
from .periods import Period, month_of

BITS = 24
BATCH = 5_000
# A change to more households than this is not mended in place: the county is rebuilt.
TOUCH_LIMIT = 2_000

# Which households a write covers: ("ids", [pk, …]), ("range", (first pk, last pk + 1)) or
# ("county", None). A rebuild goes by ranges of primary keys, which every table's household
# index serves (a township would join each visit row to its household).
Where = tuple[str, Any]
CHUNK = 20_000
# What is kept: rows for this year and last (their masks reach back to January of the year
# before last), and the overdue pairings of the last twelve months' ends. Older periods are
# counted from the records, as are all when a county is new.
YEARS_KEPT = 2
DAYS_KEPT = 12
CADRE_CHUNK = 500


_MASKS = ("paired", "met", "talked", "confirmed")
_PLACE = ("township_id", "village_id")
PLACE_COLUMNS: tuple[str, ...] = ("county_id", "year", "household_id", *_PLACE, *_MASKS)
PEOPLE_COLUMNS = ("county_id", "year", "cadre_id", "unit_id", "household_id", *_PLACE, *_MASKS)
UNIT_COLUMNS = ("county_id", "year", "unit_id", "household_id", *_PLACE, *_MASKS)
OVERDUE_COLUMNS = ("county_id", "day", "pairing_id", "household_id", "cadre_id", "unit_id", *_PLACE)
TALLY_COLUMNS: tuple[str, ...] = (
    "county_id",
    "month",
    "cadre_id",
    "unit_id",
    "scope",
    "region_id",
    "township_id",
)
TALLY_COLUMNS += ("visits",)
COLUMNS: dict[Any, tuple[str, ...]] = {
    ContactMonths: PLACE_COLUMNS,
    CadreContactMonths: PEOPLE_COLUMNS,
    UnitContactMonths: UNIT_COLUMNS,
    OverdueDay: OVERDUE_COLUMNS,
    VisitTally: TALLY_COLUMNS,
}


def _replace(model: Any, stored: Q, rows: list[tuple]) -> None:
    """Make the model's rows matching `stored` exactly `rows` (tuples of COLUMNS[model]),
    writing only the difference: most of a rebuild or a mend finds its rows unchanged, and
    every row written costs its indexes. Plain tuples go straight into the table (bulk_create
    spent most of a rebuild preparing model instances value by value)."""
    columns = COLUMNS[model]
    kept: dict[tuple, list[int]] = defaultdict(list)
    for pk, *values in model.objects.filter(stored).values_list("pk", *columns).iterator(BATCH):
        kept[tuple(values)].append(pk)
    fresh = set(rows)
    gone = [pk for values, pks in kept.items() for pk in (pks if values not in fresh else pks[1:])]
    for i in range(0, len(gone), BATCH):
        model.objects.filter(pk__in=gone[i : i + BATCH]).delete()
    inserter = Inserter(model, columns)
    new = [r for r in fresh if r not in kept]
    for i in range(0, len(new), BATCH):
        inserter.insert(new[i : i + BATCH])


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _base(year: int) -> int:
    """The month index of bit 0 of a year's masks: January of the year before."""
    return (year - 1) * 12


def span_mask(year: int, first: int, last: int) -> int:
    """The bits of months `first`..`last` (month indexes, inclusive) on a year's rows."""
    lo, hi = max(first, _base(year)), min(last, _base(year) + BITS - 1)
    if hi < lo:
        return 0
    return ((1 << (hi - lo + 1)) - 1) << (lo - _base(year))


def period_mask(period: Period) -> tuple[int, int] | None:
    """(year, mask) of a period of whole months within a year's window; None for any other."""
    if period.start.day != 1 or period.end != month_of(period.end).end:
        return None
    year = period.end.year
    first, last = month_index(period.start), month_index(period.end)
    if first < _base(year):
        return None
    return year, span_mask(year, first, last)


def _month_end(index: int) -> dt.date:
    y, m = divmod(index, 12)
    return dt.date(y, m + 1, calendar.monthrange(y, m + 1)[1])


def _of(where: Where, rel: str = "") -> Q:
    """The households of `where`, on a model with a household column (`rel` "household") or
    on Household itself."""
    kind, value = where
    if kind == "ids":
        return Q(**{f"{rel}_id__in" if rel else "pk__in": value})
    if kind == "range":
        column = f"{rel}_id" if rel else "pk"
        return Q(**{f"{column}__gte": value[0], f"{column}__lt": value[1]})
    return Q()


# ---------------------------------------------------------------------------------------------
# Reading: is the roll-up there for this county, period and day?


def readable(county_id: int, period: Period, on: dt.date) -> tuple[int, int] | None:
    """(year, mask) when the county's roll-up answers the period with overdue taken on `on`."""
    found = period_mask(period)
    if found is None and period.start.day == 1 and period.end == on == today():
        # Up to today (近六个月): the same as up to the month's end — no visit or confirmation
        # is dated ahead — unless a pairing begins later this month, which the masks count.
        month_end = month_of(on).end
        ahead = Pairing.objects.filter(
            county_id=county_id, valid_from__gt=on, valid_from__lte=month_end
        )
        if not ahead.exists():
            found = period_mask(Period(period.start, month_end, period.label))
    if found is None:
        return None
    state = RollupState.objects.filter(county_id=county_id, fresh=True).first()
    if state is None or state.first_year is None or state.last_year is None:
        return None
    if not state.first_year <= found[0] <= state.last_year or on.isoformat() not in state.days:
        return None
    return found


# ---------------------------------------------------------------------------------------------
# Writing: the rows of some households, recomputed from the records


def _contacts(
    county_id: int, where: Where, years: range
) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """The rows of `where`'s households for `years` (PLACE_COLUMNS, PEOPLE_COLUMNS,
    UNIT_COLUMNS), computed from pairings, visits and confirmations."""
    if not years:
        return [], [], []
    first_day, last_day = dt.date(years[0] - 1, 1, 1), dt.date(years[-1], 12, 31)
    last_month = month_index(last_day)
    places = dict(
        (pk, (township, village))
        for pk, township, village in Household.objects.filter(_of(where), county_id=county_id)
        .values_list("pk", "township_id", "village_id")
        .iterator(chunk_size=BATCH)
    )
    # [paired, met, talked] per (household, year) and per (cadre, household, year).
    place: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    people: dict[tuple[int, int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    units: dict[int, int] = {}
    pairings = (
        Pairing.objects.filter(_of(where, "household"), county_id=county_id)
        .filter(valid_from__lte=last_day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=first_day))
        .values_list(
            "household_id", "cadre_id", "valid_from", "valid_to", "cadre__left_on", "cadre__unit_id"
        )
    )
    for household, cadre, valid_from, valid_to, left_on, unit in pairings.iterator(BATCH):
        span = pairing_span(valid_from, valid_to, left_on)
        if span is None:
            continue
        units[cadre] = unit
        first = month_index(span[0])
        last = month_index(span[1]) if span[1] is not None else last_month
        for year in years:
            bits = span_mask(year, first, last)
            if bits:
                place[household, year][0] |= bits
                people[cadre, household, year][0] |= bits
    from .rates import DIALOGUE, MEETING

    contacts = (
        VisitHousehold.objects.filter(_of(where, "household"), county_id=county_id)
        .filter(pairing__isnull=False, withdrawn=False)
        .filter(occurred_on__gte=first_day, occurred_on__lte=last_day)
        .order_by()
        .values("household_id", "cadre_id", "cadre__unit_id", month=TruncMonth("occurred_on"))
        .annotate(met_=Max(_one(MEETING)), talked_=Max(_one(DIALOGUE)))
        .values_list("household_id", "cadre_id", "cadre__unit_id", "month", "met_", "talked_")
    )
    for household, cadre, unit, month, met, talked in contacts.iterator(BATCH):
        units[cadre] = unit
        index = month_index(month)
        for year in years:
            offset = index - _base(year)
            if 0 <= offset < BITS:
                bit = 1 << offset
                for slot, on in ((1, met), (2, talked)):
                    if on:
                        place[household, year][slot] |= bit
                        people[cadre, household, year][slot] |= bit
    confirmed: dict[tuple[int, int], int] = defaultdict(int)
    confirmations = (
        VisitConfirmation.objects.filter(_of(where, "household"), county_id=county_id)
        .filter(month__gte=first_day, month__lte=last_day)
        .values_list("household_id", "month")
    )
    for household, month in confirmations.iterator(BATCH):
        for year in years:
            offset = month_index(month) - _base(year)
            if 0 <= offset < BITS:
                confirmed[household, year] |= 1 << offset
    place_rows = [
        (
            county_id,
            year,
            household,
            *places[household],
            *masks,
            confirmed.get((household, year), 0),
        )
        for (household, year), masks in place.items()
        if household in places
    ]
    people_rows = [
        (
            *(county_id, year, cadre, units[cadre], household, *places[household], *masks),
            confirmed.get((household, year), 0),
        )
        for (cadre, household, year), masks in people.items()
        if household in places
    ]
    by_unit: dict[tuple[int, int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for (cadre, household, year), masks in people.items():
        merged = by_unit[units[cadre], household, year]
        for i, bits in enumerate(masks):
            merged[i] |= bits
    unit_rows = [
        (
            county_id,
            year,
            unit,
            household,
            *places[household],
            *masks,
            confirmed.get((household, year), 0),
        )
        for (unit, household, year), masks in by_unit.items()
        if household in places
    ]
    return place_rows, people_rows, unit_rows


def _write_contacts(county_id: int, where: Where, years: range) -> None:
    place_rows, people_rows, unit_rows = _contacts(county_id, where, years)
    written = ((ContactMonths, place_rows), (CadreContactMonths, people_rows))
    for model, rows in (*written, (UnitContactMonths, unit_rows)):
        _replace(model, _of(where, "household") & Q(county_id=county_id, year__in=years), rows)


def _overdue(county_id: int, where: Where, day: dt.date) -> list[tuple]:
    from .plan import annotate_plan, cadence_for

    serving = Pairing.objects.serving(day).filter(_of(where, "household"), county_id=county_id)
    late = (
        annotate_plan(serving, day, cadence_for(county_id))
        .filter(plan_status=PlanStatus.OVERDUE.value)  # type: ignore[misc]
        .values_list(
            "pk",
            "household_id",
            "cadre_id",
            "cadre__unit_id",
            "household__township_id",
            "household__village_id",
        )
    )
    return [(county_id, day, *row) for row in late.iterator(BATCH)]


def _write_overdue(county_id: int, where: Where, days: Iterable[dt.date]) -> None:
    for day in days:
        mine = _of(where, "household") & Q(county_id=county_id, day=day)
        _replace(OverdueDay, mine, _overdue(county_id, where, day))


def _tallies(county_id: int, rows_q: Q) -> list[tuple]:
    """Visit records of the visit rows matching `rows_q`, by cadre, month and place
    (TALLY_COLUMNS)."""
    rows = (
        VisitHousehold.objects.filter(rows_q, county_id=county_id)
        .filter(pairing__isnull=False, withdrawn=False)
        .order_by()
    )
    tallies = []
    places: list[tuple[str, str | None, str | None]] = [
        (VisitTally.Scope.VILLAGE, "household__village_id", "household__township_id"),
        (VisitTally.Scope.TOWNSHIP, "household__township_id", "household__township_id"),
        (VisitTally.Scope.COUNTY, None, None),
    ]
    for scope, region, township in places:
        keys: dict[str, Any] = {"month_": TruncMonth("occurred_on")}
        if region is not None and township is not None:
            keys |= {"region_": F(region), "township_": F(township)}
        counted: Any = rows.values("cadre_id", "cadre__unit_id", **keys).annotate(
            n=Count("visit_id", distinct=True)
        )
        tallies += [
            (
                county_id,
                row["month_"],
                row["cadre_id"],
                row["cadre__unit_id"],
                str(scope),
                row.get("region_"),
                row.get("township_"),
                row["n"],
            )
            for row in counted.iterator(BATCH)
        ]
    return tallies


def _cadre_months_q(cadre_months: Iterable[tuple[int, dt.date]]) -> tuple[Q, Q]:
    """(visit rows, tally rows) of these cadres' months; both empty Q-less when none."""
    rows, tallies = Q(pk__in=[]), Q(pk__in=[])
    for cadre, month in sorted(set(cadre_months)):
        start = month.replace(day=1)
        rows |= Q(cadre_id=cadre, occurred_on__gte=start, occurred_on__lte=month_of(start).end)
        tallies |= Q(cadre_id=cadre, month=start)
    return rows, tallies


def _write_tallies(county_id: int, cadre_months: Iterable[tuple[int, dt.date]]) -> None:
    rows_q, tallies_q = _cadre_months_q(cadre_months)
    _replace(VisitTally, tallies_q & Q(county_id=county_id), _tallies(county_id, rows_q))


# ---------------------------------------------------------------------------------------------
# Keeping it: in place after a change, stale and rebuilt after a wide one


def _lock(county_id: int, *, shared: bool) -> None:
    """The county's roll-up lock (PostgreSQL; SQLite has one writer at a time anyway): changes
    mending rows in place share it, a rebuild's step holds it alone, so a step never writes
    rows recounted from a snapshot older than a change that committed meanwhile."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM visits_rollupstate WHERE county_id = %s "
            + ("FOR SHARE" if shared else "FOR UPDATE"),
            [county_id],
        )


def touch(
    county_id: int,
    *,
    households: Iterable[int] = (),
    since: dt.date | None = None,
    cadre_months: Iterable[tuple[int, dt.date]] = (),
) -> None:
    """Mend the roll-up after a change to these households' records dated `since` or later
    (None: any date) and to these cadres' visits of these months. Call it inside the change's
    transaction, after its rows are written. Does nothing while the county has never been
    built (the rates then read the records)."""
    state = RollupState.objects.filter(county_id=county_id).first()
    if state is None or state.first_year is None or state.last_year is None:
        return
    ids = sorted(set(households))
    cadre_months = sorted(set(cadre_months))
    if len(ids) > TOUCH_LIMIT or len(cadre_months) > TOUCH_LIMIT:
        invalidate(county_id, f"{len(ids)}户的记录变更")
        return
    _lock(county_id, shared=True)
    # Two changes to one household racing (PostgreSQL, read committed): each recount must run
    # after the other has committed, or the later write would drop the earlier's visit.
    list(Household.objects.select_for_update().filter(pk__in=ids).values_list("pk", flat=True))
    cadres = sorted({c for c, _ in cadre_months})
    list(Cadre.objects.select_for_update().filter(pk__in=cadres).values_list("pk", flat=True))
    if ids:
        first = state.first_year if since is None else max(state.first_year, since.year)
        _write_contacts(county_id, ("ids", ids), range(first, state.last_year + 1))
        days = [dt.date.fromisoformat(d) for d in state.days]
        _write_overdue(county_id, ("ids", ids), [d for d in days if since is None or d >= since])
    if cadre_months:
        _write_tallies(county_id, cadre_months)


def touch_visit_rows(county_id: int, household_ids: Iterable[int], since: dt.date | None) -> None:
    """After a household's place changed: its rows and the tallies of every cadre's month in
    which one of its visits was counted."""
    ids = sorted(set(household_ids))
    if not ids or not RollupState.objects.filter(county_id=county_id).exists():
        return
    months = (
        VisitHousehold.objects.filter(household_id__in=ids, pairing__isnull=False)
        .order_by()
        .values_list("cadre_id", TruncMonth("occurred_on"))
        .distinct()
    )
    touch(county_id, households=ids, since=since, cadre_months=list(months))


def cadre_moved(cadre: Cadre) -> None:
    """After a cadre's unit changed: the unit copies on their rows (the rates group a cadre by
    their current unit), and the unit rows of their households, recounted."""
    for model in (CadreContactMonths, VisitTally, OverdueDay):
        model.objects.filter(cadre_id=cadre.pk).exclude(unit_id=cadre.unit_id).update(
            unit_id=cadre.unit_id
        )
    served = CadreContactMonths.objects.filter(cadre_id=cadre.pk).values_list("household_id")
    touch(cadre.county_id, households=[h for (h,) in served])


def invalidate(county_id: int, reason: str) -> None:
    """Stop reading the county's roll-up until it is rebuilt, and queue the rebuild."""
    changed = RollupState.objects.filter(county_id=county_id).update(
        fresh=False,
        generation=F("generation") + 1,
        stale_since=timezone.now(),
        stale_reason=reason[:200],
    )
    if changed:
        transaction.on_commit(lambda: _queue_rebuild(county_id))


def _queue_rebuild(county_id: int) -> None:
    from lianxin.jobs.tasks import rebuild_rollup

    rebuild_rollup(county_id)


def _days(first_year: int, on: dt.date) -> list[dt.date]:
    """The days OverdueDay keeps: the last day of each of the DAYS_KEPT months before `on`'s
    (from January of the year before the first year kept, if later), and `on`."""
    start = max(month_index(dt.date(first_year - 1, 1, 1)), month_index(on) - DAYS_KEPT)
    return [_month_end(i) for i in range(start, month_index(on))] + [on]


def _chunks(county_id: int) -> list[Where]:
    """The county's households in ranges of about CHUNK primary keys."""
    ids = Household.objects.filter(county_id=county_id).order_by("pk").values_list("pk", flat=True)
    keys = list(ids.iterator(BATCH * 4))
    if not keys:
        return []
    starts = keys[::CHUNK]
    ends = [*starts[1:], keys[-1] + 1]
    return [("range", (a, b)) for a, b in zip(starts, ends, strict=True)]


def rebuild(
    county_id: int, *, on: dt.date | None = None, progress: Callable[[int, int], Any] | None = None
) -> RollupState:
    """Build the county's roll-up from the records, a range of households at a time (each its own short
    transaction: SQLite's one write lock is not held for the whole county), then mark it fresh
    unless a wide change came in meanwhile. Idempotent: a second run writes the same rows."""
    on = on or today()
    state, _ = RollupState.objects.get_or_create(county_id=county_id)
    generation = state.generation
    earliest = Pairing.objects.filter(county_id=county_id).aggregate(d=Min("valid_from"))["d"]
    first_year = max(min(earliest.year, on.year) if earliest else on.year, on.year - YEARS_KEPT + 1)
    years = range(first_year, on.year + 1)
    days = _days(first_year, on)
    chunks = _chunks(county_id)
    steps = len(chunks) * 2 + 1
    with transaction.atomic():
        # Rows of years and days no longer kept.
        for model in (ContactMonths, CadreContactMonths, UnitContactMonths):
            model.objects.filter(county_id=county_id).exclude(year__in=years).delete()
        OverdueDay.objects.filter(county_id=county_id).exclude(day__in=days).delete()
    done = 0
    for step in (_write_contacts, _write_overdue):
        for where in chunks:
            with transaction.atomic():
                _lock(county_id, shared=False)
                if step is _write_contacts:
                    _write_contacts(county_id, where, years)
                else:
                    _write_overdue(county_id, where, days)
            done += 1
            if progress:
                progress(done, steps)
    # The tallies by ranges of cadres (the visit rows' cadre index), a step each.
    cadres = list(
        Cadre.objects.filter(county_id=county_id).order_by("pk").values_list("pk", flat=True)
    )
    since = dt.date(first_year - 1, 1, 1)
    for i in range(0, len(cadres), CADRE_CHUNK):
        first, last = cadres[i], cadres[min(i + CADRE_CHUNK, len(cadres)) - 1]
        mine = Q(cadre_id__gte=first, cadre_id__lte=last)
        with transaction.atomic():
            _lock(county_id, shared=False)
            fresh = _tallies(county_id, mine & Q(occurred_on__gte=since))
            _replace(VisitTally, mine & Q(county_id=county_id), fresh)
    VisitTally.objects.filter(county_id=county_id).exclude(month__gte=since).delete()
    if progress:
        progress(steps, steps)
    with transaction.atomic():
        state = RollupState.objects.select_for_update().get(county_id=county_id)
        state.first_year, state.last_year = first_year, on.year
        state.days = [d.isoformat() for d in days]
        state.built_at = timezone.now()
        if state.generation == generation:
            state.fresh, state.stale_since, state.stale_reason = True, None, ""
        state.save()
    return state


def add_day(county_id: int, on: dt.date) -> bool:
    """A new day's overdue rows (and the end of those of days no longer kept); False when the
    county needs a rebuild instead (stale, or a new year)."""
    state = RollupState.objects.filter(county_id=county_id).first()
    if state is None or not state.fresh or state.first_year is None or state.last_year != on.year:
        return False
    days = _days(state.first_year, on)
    missing = [d for d in days if d.isoformat() not in state.days]
    for where in _chunks(county_id):
        with transaction.atomic():
            _lock(county_id, shared=False)
            _write_overdue(county_id, where, missing)
    with transaction.atomic():
        state = RollupState.objects.select_for_update().get(county_id=county_id)
        kept = {d.isoformat() for d in days}
        state.days = sorted(kept)
        state.save(update_fields=["days"])
        OverdueDay.objects.filter(county_id=county_id).exclude(day__in=days).delete()
    return True


def keep_up(on: dt.date | None = None) -> dict[str, int]:
    """The hourly task: today's overdue rows for every fresh county, a rebuild for every stale
    or new one. Idempotent: a run with nothing new reads one row per county."""
    from lianxin.geo.models import County

    on = on or today()
    counts = {"days": 0, "rebuilt": 0}
    states = {s.county_id: s for s in RollupState.objects.all()}
    for county_id in County.objects.values_list("pk", flat=True):
        state = states.get(county_id)
        if state is not None and state.fresh and on.isoformat() in state.days:
            continue
        if state is not None and add_day(county_id, on):
            counts["days"] += 1
            continue
        if state is None and not Pairing.objects.filter(county_id=county_id).exists():
            continue
        rebuild(county_id, on=on)
        counts["rebuilt"] += 1
    return counts


def drift(county_id: int) -> dict[str, int]:
    """Rows the stored roll-up holds differently from a recount of the records (all zero when
    it is right): the tests' and operators' check."""
    state = RollupState.objects.get(county_id=county_id)
    assert state.first_year is not None and state.last_year is not None
    years = range(state.first_year, state.last_year + 1)
    place_rows, people_rows, unit_rows = _contacts(county_id, ("county", None), years)
    since = dt.date(state.first_year - 1, 1, 1)
    days = [dt.date.fromisoformat(d) for d in state.days]
    recounted: dict[str, tuple[Any, list[tuple]]] = {
        "places": (ContactMonths, place_rows),
        "people": (CadreContactMonths, people_rows),
        "units": (UnitContactMonths, unit_rows),
        "visits": (VisitTally, _tallies(county_id, Q(occurred_on__gte=since))),
        "overdue": (
            OverdueDay,
            [r for d in days for r in _overdue(county_id, ("county", None), d)],
        ),
    }
    found = {}
    for name, (model, rows) in recounted.items():
        stored = model.objects.filter(county_id=county_id).values_list(*COLUMNS[model])
        found[name] = len(set(stored) ^ set(rows))
    return found


# ---------------------------------------------------------------------------------------------
# The figures, in the shape rates.rates_for counts them


def _one(q: Q) -> Case:
    return Case(When(q, then=Value(1)), default=Value(0), output_field=IntegerField())


def _region_q(region: Region | None) -> Q:
    if region is None:
        return Q()
    if region.level == RegionLevel.TOWNSHIP:
        return Q(township_id=region.pk)
    return Q(village_id=region.pk)


def answers(region: Region | None) -> bool:
    """Whether the roll-up holds the places of this region (a township or a village)."""
    return region is None or region.level in (RegionLevel.TOWNSHIP, RegionLevel.VILLAGE)


PLACE_KEYS = {
    "household": "household_id",
    "village": "village_id",
    "township": "township_id",
    "county": "county_id",
}
PEOPLE_KEYS = PLACE_KEYS | {"cadre": "cadre_id", "unit": "unit_id"}


def grouped(qs: Any, key: str | None, **aggregates: Any) -> dict[Any, dict[str, int]]:
    """The aggregates by the `key` column's groups, or over all when `key` is None."""
    if key is None:
        return {None: qs.aggregate(**aggregates)}
    return {row.pop("key"): row for row in qs.order_by().values(key=F(key)).annotate(**aggregates)}


def counted(
    county_id: int,
    period: Period,
    year: int,
    mask: int,
    on: dt.date,
    level: str | None,
    region: Region | None,
    unit_id: int | None,
) -> tuple[dict, dict, dict]:
    """(paired, met, late) as rates.rates_for's `counted` returns them, from the roll-up:
    by the level's groups, or the whole scope when `level` is None."""
    masks = {
        "pm": F("paired").bitand(mask),
        "mm": F("met").bitand(mask),
        "tm": F("talked").bitand(mask),
        "cm": F("confirmed").bitand(mask),
    }
    # A cadre's own figures; a unit's (or any, narrowed to a unit) count each household once
    # for the unit; a place's once for all.
    if level == "cadre":
        rows: Any = CadreContactMonths.objects.filter(county_id=county_id, year=year)
        if unit_id is not None:
            rows = rows.filter(unit_id=unit_id)
        keys = PEOPLE_KEYS
    elif level == "unit" or unit_id is not None:
        rows = UnitContactMonths.objects.filter(county_id=county_id, year=year)
        if unit_id is not None:
            rows = rows.filter(unit_id=unit_id)
        keys = PEOPLE_KEYS
    else:
        rows = ContactMonths.objects.filter(county_id=county_id, year=year)
        keys = PLACE_KEYS
    rows = rows.filter(_region_q(region)).alias(**masks)
    key = keys[level] if level is not None else None
    figures = {
        "n_households": Q(pm__gt=0),
        "n_confirmed": Q(pm__gt=0, cm__gt=0),
        "n_met": Q(mm__gt=0),
        "n_talked": Q(tm__gt=0),
    }
    both = grouped(rows, key, **{name: Sum(_one(q)) for name, q in figures.items()})
    paired = {
        g: {"n_households": r["n_households"], "n_confirmed": r["n_confirmed"]}
        for g, r in both.items()
        if r["n_households"]
    }
    met = {g: {"n_met": r["n_met"], "n_talked": r["n_talked"]} for g, r in both.items()}
    for g, v in visits(county_id, period, level, region, unit_id).items():
        met.setdefault(g, {"n_met": 0, "n_talked": 0})["n_visits"] = v
    overdue = OverdueDay.objects.filter(_region_q(region), county_id=county_id, day=on)
    if unit_id is not None:
        overdue = overdue.filter(unit_id=unit_id)
    late = grouped(overdue, PEOPLE_KEYS[level] if level else None, n_overdue=Count("id"))
    return paired, met, late


def visits(
    county_id: int, period: Period, level: str | None, region: Region | None, unit_id: int | None
) -> dict[Any, int]:
    """走访次数 by the level's groups (or in all, level None), from the tallies; a household's
    own from its visit rows (the tallies stop at villages)."""
    if level == "household":
        rows = VisitHousehold.objects.filter(
            county_id=county_id,
            pairing__isnull=False,
            withdrawn=False,
            occurred_on__gte=period.start,
            occurred_on__lte=period.end,
        )
        if region is not None:
            level_column = "township_id" if region.level == RegionLevel.TOWNSHIP else "village_id"
            rows = rows.filter(**{f"household__{level_column}": region.pk})
        if unit_id is not None:
            rows = rows.filter(cadre__unit_id=unit_id)
        return {
            r["key"]: r["n"]
            for r in rows.order_by()
            .values(key=F("household_id"))
            .annotate(n=Count("visit_id", distinct=True))
        }
    tallies = VisitTally.objects.filter(
        county_id=county_id, month__gte=period.start, month__lte=period.end
    )
    if unit_id is not None:
        tallies = tallies.filter(unit_id=unit_id)
    Scope = VisitTally.Scope
    if region is not None and region.level == RegionLevel.VILLAGE:
        tallies = tallies.filter(scope=Scope.VILLAGE, region_id=region.pk)
        key = {"village": "region_id", "township": "township_id"}.get(level or "")
    elif level == "village":
        tallies = tallies.filter(scope=Scope.VILLAGE)
        if region is not None:
            tallies = tallies.filter(township_id=region.pk)
        key = "region_id"
    elif region is not None:
        tallies = tallies.filter(scope=Scope.TOWNSHIP, region_id=region.pk)
        key = "region_id" if level == "township" else None
    elif level == "township":
        tallies = tallies.filter(scope=Scope.TOWNSHIP)
        key = "region_id"
    else:
        tallies = tallies.filter(scope=Scope.COUNTY)
        key = None
    if level in ("cadre", "unit"):
        key = PEOPLE_KEYS[level]
    elif level == "county":
        key = "county_id"
    found = grouped(tallies, key, n=Sum("visits"))
    return {g: r["n"] or 0 for g, r in found.items()}
