"""Slices of a list's rows, cheap however deep the page.

`qs[200000:200050]` makes the database build 200,050 whole rows, joins and all, and throw away
all but the last 50: on PostgreSQL 240 ms for page 4,000 of the county's households. Past
DEEP_FROM rows, the slice first takes only the primary keys in the list's order (the ordering
index alone, no joins beyond what the ordering needs), then the rows for those keys (a deferred
join): one query more, the same whatever the page number, and the rows come back in order.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

# Below this offset a plain slice costs less than the extra query.
DEEP_FROM = 1000


def rows_at(qs: Any, start: int, stop: int, *, deep_from: int | None = None) -> list[Any]:
    """The rows of `qs` from `start` to `stop` (0-based, `stop` excluded), in its order."""
    if (
        start < (DEEP_FROM if deep_from is None else deep_from)
        or not isinstance(qs, QuerySet)
        or qs.query.distinct
        or qs.query.combinator
        # A values() list: its rows have no pk to look up by.
        or getattr(qs, "_fields", None) is not None
    ):
        return list(qs[start:stop])
    keys = list(qs.values_list("pk", flat=True)[start:stop])
    if not keys:
        return []
    found = {row.pk: row for row in qs.order_by().filter(pk__in=keys)}
    return [found[key] for key in keys if key in found]


class DeepPaginator(Paginator):
    """Django's Paginator, its pages sliced by rows_at."""

    deep_from: int | None = None  # DEEP_FROM

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        rows = rows_at(self.object_list, bottom, top, deep_from=self.deep_from)
        return self._get_page(rows, number, self)  # type: ignore[attr-defined]
