"""Each household's covered days (Household.covered_from / covered_until), kept by the actions
that change what covers it, so that today's coverage of a whole county reads two indexed
columns instead of probing the pairings once per household (231,000 probes at the report's
scale cost 300–600 ms a request; the columns cost one index scan).

What covers a household on a day is the one rule of Pairing.objects.serving: a pairing in
force that day whose cadre is still in office (lianxin.org.models.serving). Each pairing so
covers an unbroken span of days, from its first day to the earlier of its last day and its
cadre's 退出日期. The columns hold, as of the day they were refreshed, the run of such spans
that holds that day or starts next, merged where one span starts the day after another ends.

Why a stored span and not a counter per village: the span stays right across day boundaries
without anyone touching it — a pairing ending tomorrow is still counted today and not the day
after — for every day from its refresh to one day past its end, because two runs that were
not merged are at least one uncovered day apart. Only a household whose run has ended and
that has a later pairing (a gap, then a pairing dated ahead) needs a refresh, which the
nightly task does (lianxin.jobs.periodic.refresh_expired_cover), and until it does, the
coverage query checks such rows against the pairings directly (`covered_today_q`).

Kept by: do_pair, do_end_pairing, do_pair_manually, applying a pairing run (engine
.apply_changes) and do_cadre_leaves, each in its own transaction. `cover_drift` recounts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db.models import Exists, OuterRef, Q

from lianxin.core.models import today
from lianxin.people.models import Household

from .models import Pairing

DAY = dt.timedelta(days=1)
BATCH = 5_000

Span = tuple[dt.date, dt.date | None]


def pairing_span(
    valid_from: dt.date, valid_to: dt.date | None, left_on: dt.date | None
) -> Span | None:
    """The days one pairing covers its household: from its first day to the earlier of its
    last day and its cadre's last day in office (None: open-ended); None when it covers none."""
    ends = [d for d in (valid_to, left_on) if d is not None]
    end = min(ends) if ends else None
    if end is not None and end < valid_from:
        return None
    return valid_from, end


def run_from(spans: Iterable[Span | None], on: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """(first day, last day or None) of the unbroken run of spans holding `on` or starting
    next; (None, None) when no span reaches `on` or later."""
    live = sorted(
        (s for s in spans if s is not None and (s[1] is None or s[1] >= on)), key=lambda s: s[0]
    )
    if not live:
        return None, None
    start, end = live[0]
    for s, e in live[1:]:
        if end is None or s > end + DAY:
            break
        end = None if e is None else max(end, e)
    return start, end


def covered_today_q(on: dt.date, live: Q) -> Q:
    """Households covered on `on` (today) by their stored span. A household whose run ended
    two or more days before is checked against the pairings (`live`, the EXISTS the caller
    would otherwise run on every household): a later pairing may have started since that the
    nightly refresh has not folded in yet. A run that ended yesterday needs no check: an
    unmerged later span starts two days after it at the earliest."""
    return _stored_q(on) | (Q(covered_until__lt=on - DAY) & live)


def _stored_q(on: dt.date) -> Q:
    """The stored run holds the day."""
    return Q(covered_from__lte=on) & (Q(covered_until__isnull=True) | Q(covered_until__gte=on))


def _spans_of(household_ids: Sequence[int], on: dt.date) -> dict[int, list[Span | None]]:
    spans: dict[int, list[Span | None]] = defaultdict(list)
    rows = (
        Pairing.objects.filter(household_id__in=household_ids)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .order_by()
        .values_list("household_id", "valid_from", "valid_to", "cadre__left_on")
    )
    for household_id, valid_from, valid_to, left_on in rows:
        spans[household_id].append(pairing_span(valid_from, valid_to, left_on))
    return spans


def refresh_cover(household_ids: Iterable[int], on: dt.date | None = None) -> int:
    """Recompute the stored span of these households as of `on` (today); returns how many
    rows changed. The caller holds the transaction of the action that changed them. Rows
    are written with one UPDATE per distinct span, so a run applying 200,000 pairings from
    one day writes a handful of statements."""
    on = on or today()
    ids = sorted(set(household_ids))
    changed = 0
    for i in range(0, len(ids), BATCH):
        batch = ids[i : i + BATCH]
        spans = _spans_of(batch, on)
        stored = Household.objects.filter(pk__in=batch).values_list(
            "pk", "covered_from", "covered_until"
        )
        moves: dict[tuple[dt.date | None, dt.date | None], list[int]] = defaultdict(list)
        for pk, old_from, old_until in stored:
            new = run_from(spans.get(pk, ()), on)
            if new != (old_from, old_until):
                moves[new].append(pk)
        for (start, end), pks in moves.items():
            changed += Household.objects.filter(pk__in=pks).update(
                covered_from=start, covered_until=end
            )
    return changed


def refresh_county(county_id: int, on: dt.date | None = None) -> int:
    """Every household of the county (after a bulk change, or to repair drift)."""
    ids = Household.objects.filter(county_id=county_id).order_by("pk").values_list("pk", flat=True)
    return refresh_cover(list(ids), on)


def refresh_expired(on: dt.date | None = None) -> int:
    """Households whose stored run has ended: a later pairing may start after a gap. The
    nightly task; idempotent (a second run finds the rows already right or still ended and
    rewrites nothing)."""
    on = on or today()
    ids = Household.objects.filter(covered_until__lt=on).values_list("pk", flat=True)
    return refresh_cover(list(ids), on)


def refresh_cadre(cadre_id: int, on: dt.date | None = None) -> int:
    """The households a cadre's pairings reach (after their 退出日期 changed)."""
    on = on or today()
    ids = (
        Pairing.objects.filter(cadre_id=cadre_id)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .values_list("household_id", flat=True)
    )
    return refresh_cover(list(ids), on)


def cover_drift(county_id: int, on: dt.date | None = None) -> list[int]:
    """Households whose stored span answers "covered on `on`" differently from the pairings
    themselves (empty when the counters are right): the tests' and operators' recount."""
    on = on or today()
    live = Exists(Pairing.objects.serving(on).filter(household_id=OuterRef("pk")))
    households = Household.objects.filter(county_id=county_id).alias(live=live)
    stored = _stored_q(on)
    wrong = households.filter((stored & Q(live=False)) | (~stored & Q(live=True)))
    return sorted(wrong.values_list("pk", flat=True))
