"""Slices of a list's rows, cheap however deep the page.

`qs[200000:200050]` makes the database build 200,050 whole rows, joins and all, and throw away
all but the last 50: on PostgreSQL 240 ms for page 4,000 of the county's households. Past
DEEP_FROM rows, the slice first takes only the primary keys in the list's order (the ordering
index alone, no joins beyond what the ordering needs), then the rows for those keys (a deferred
join): one query more, the same whatever the page number, and the rows come back in order.

The total is the other cost: counting the county's 1.14 million visits takes SQLite a second on
every page view. A list that opts in (BoundedPaginator, core.api.page_of with `cap`) counts at
most `cap` rows and then says only that there are more (see bounded_count).
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

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


def bounded_count(qs: Any, cap: int) -> tuple[int, bool]:
    """(rows, capped): the rows of `qs` counted up to `cap`, and whether there are more.

    One query, `SELECT COUNT(*) FROM (SELECT ... LIMIT cap + 1)`: the database stops after
    cap + 1 rows however many match. Capped, the count is `cap` (there are more than that)."""
    if not isinstance(qs, QuerySet):
        n = len(qs)
        return (cap, True) if n > cap else (n, False)
    # Any cap + 1 rows will do: without the order the database need not sort them first.
    n = qs.order_by()[: cap + 1].count()
    return (cap, True) if n > cap else (n, False)


class BoundedPaginator(DeepPaginator):
    """DeepPaginator counting at most `cap` rows (bounded_count). Capped, `count` is the cap,
    `capped` is true and the pages stop at the cap: the pager says there are more than `cap`
    and asks to narrow the list (templates/core/pager.html)."""

    def __init__(self, object_list: Any, per_page: Any, *, cap: int, **kw: Any) -> None:
        super().__init__(object_list, per_page, **kw)
        self.cap = cap

    @cached_property
    def _bounded(self) -> tuple[int, bool]:
        return bounded_count(self.object_list, self.cap)

    @cached_property
    def count(self) -> int:  # type: ignore[override]
        return self._bounded[0]

    @property
    def capped(self) -> bool:
        return self._bounded[1]
