"""Deep pages (core.paging): the keys first, then their rows — the same rows, in the same order,
as a plain slice, in a number of queries that does not grow with the page number. Bounded
counts: a total counted up to a cap, in one query that stops there."""

from __future__ import annotations

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lianxin.core.api import PageParams, page_of
from lianxin.core.paging import DEEP_FROM, BoundedPaginator, DeepPaginator, bounded_count, rows_at
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


# --- bounded counts: a list too long to count on every request --------------------------------


# The world's 3 households and the fixture's 40.
@pytest.mark.parametrize(("cap", "expected"), [(5, (5, True)), (42, (42, True)), (43, (43, False))])
def test_it_counts_up_to_the_cap_in_one_limited_query(households, cap, expected):
    qs = households.order_by("number")
    assert qs.count() == 43
    with CaptureQueriesContext(connection) as captured:
        assert bounded_count(qs, cap) == expected
    assert len(captured) == 1
    # The database stops after cap + 1 rows, unsorted.
    sql = captured[0]["sql"]
    assert f"LIMIT {cap + 1}" in sql and "ORDER BY" not in sql
    assert bounded_count(list(qs), cap) == expected


def test_it_pages_a_capped_list_up_to_the_cap(households):
    qs = households.order_by("number")
    paginator = BoundedPaginator(qs, 7, cap=20)
    assert (paginator.count, paginator.capped, paginator.num_pages) == (20, True, 3)
    last = paginator.page(3)
    assert [h.pk for h in last] == [h.pk for h in qs[14:20]] and not last.has_next()
    under = BoundedPaginator(qs, 7, cap=100)
    assert (under.count, under.capped, under.num_pages) == (43, False, 7)
    assert [h.pk for h in under.page(7)] == [h.pk for h in qs[42:43]]


def test_it_answers_page_of_with_count_capped_only_when_asked(households):
    qs = households.order_by("number")
    params = PageParams(limit=5, offset=30)
    plain = page_of(qs, params)
    assert set(plain) == {"count", "items"} and plain["count"] == 43
    capped = page_of(qs, params, cap=10)
    assert (capped["count"], capped["count_capped"]) == (10, True)
    # The slice is the same, past the cap too.
    assert (
        [h.pk for h in capped["items"]]
        == [h.pk for h in plain["items"]]
        == [h.pk for h in qs[30:35]]
    )
    assert page_of(qs, params, cap=43)["count_capped"] is False
