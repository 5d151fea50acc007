"""Deep pages (core.paging): the keys first, then their rows — the same rows, in the same order,
as a plain slice, in a number of queries that does not grow with the page number."""

from __future__ import annotations

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lianxin.core.paging import DEEP_FROM, DeepPaginator, rows_at
from lianxin.people.models import Household
from lianxin.people.services import do_create_household


@pytest.fixture
def households(world):
    regions = [world.group, world.village, world.other_village]
    for i in range(40):
        do_create_household(
            county=world.county,
            # Numbers out of step with the regions, so the orderings below differ.
            number=f"5101841200{(i * 7919) % 100:02d}{i:05d}",
            region=regions[i % 3],
            acting_user=None,
        )
    return Household.objects.filter(county=world.county).select_related("village")


ORDERINGS = [("number",), ("village__sort_key", "-number"), ("-region_id", "pk")]


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_it_slices_deep_pages_as_a_plain_slice_would(households, ordering):
    qs = households.order_by(*ordering)
    total = qs.count()
    assert total >= 40
    for start, stop in [(0, 5), (3, 13), (17, 30), (total - 4, total), (total, total + 10)]:
        deep = rows_at(qs, start, stop, deep_from=0)
        assert [h.pk for h in deep] == [h.pk for h in qs[start:stop]], (ordering, start)
        # The related rows came with them (select_related kept).
        with CaptureQueriesContext(connection) as captured:
            [h.village.name for h in deep]
        assert len(captured) == 0


def test_it_asks_the_same_two_queries_on_any_deep_page(households):
    qs = households.order_by("number")
    counts = []
    for start in (2, 20, 35):
        with CaptureQueriesContext(connection) as captured:
            rows_at(qs, start, start + 5, deep_from=0)
        counts.append(len(captured))
        # The first query takes only the keys: no join, no row built.
        assert 'SELECT "people_household"."id"' in captured[0]["sql"].replace("`", '"')
    assert counts == [2, 2, 2]


def test_it_slices_shallow_pages_in_one_query(households):
    qs = households.order_by("number")
    with CaptureQueriesContext(connection) as captured:
        rows = rows_at(qs, 0, 10)
    assert len(captured) == 1 and len(rows) == 10
    assert DEEP_FROM >= 100


class _AlwaysDeep(DeepPaginator):
    deep_from = 0


@pytest.mark.parametrize("paginator", [DeepPaginator, _AlwaysDeep])
def test_it_pages_as_django_does(households, paginator):
    qs = households.order_by("number")
    plain, deep = Paginator(qs, 7, orphans=2), paginator(qs, 7, orphans=2)
    assert deep.num_pages == plain.num_pages
    for number in range(1, plain.num_pages + 1):
        assert [h.pk for h in deep.page(number)] == [h.pk for h in plain.page(number)]
