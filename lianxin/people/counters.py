"""Household.member_count, the one counter of the registry: recounted, never incremented.

Every action that registers residents calls recount_members() for the households it touched,
in its own transaction, so the counter is a recount of those rows at commit and cannot drift
by a lost increment or a retried batch. member_count_drift() compares it with a full recount
(the tests do after every action that registers residents; docs/operations.md shows how to
check and repair a database changed by hand).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce

from .models import Household, Resident

BATCH = 500


def _recounted():
    return Coalesce(
        Subquery(
            Resident.objects.filter(household_id=OuterRef("pk"))
            .order_by()
            .values("household_id")
            .annotate(n=Count("id"))
            .values("n")
        ),
        0,
    )


def recount_members(household_ids: Iterable[int]) -> None:
    """Set member_count of these households to their residents' number (one UPDATE a batch)."""
    ids = sorted(set(household_ids))
    for start in range(0, len(ids), BATCH):
        Household.objects.filter(pk__in=ids[start : start + BATCH]).update(
            member_count=_recounted()
        )


def member_count_drift(county_id: int | None = None) -> list[tuple[int, int, int]]:
    """(household id, counter, recount) of every household whose counter is wrong."""
    qs = (
        Household.objects.all()
        if county_id is None
        else Household.objects.filter(county_id=county_id)
    )
    rows = qs.annotate(actual=_recounted()).exclude(member_count=F("actual"))
    return list(rows.values_list("pk", "member_count", "actual"))
