"""Helpers for the registry and drill-down tests: more rows, query counting."""

from __future__ import annotations

import itertools

from django.db import connection
from django.test.utils import CaptureQueriesContext

from lianxin.people.choices import HardshipKind, Trade
from lianxin.people.services import do_add_hardship, do_create_enterprise
from tests import factories

_numbers = itertools.count(1)


def add_households(world, n: int, region=None) -> list:
    """n more households in 大坪村 (alternating 6组/7组), each with a head and a child, every
    other one with a hardship and a cadre, so list pages have every kind of row to show."""
    from lianxin.pairing.services import do_pair

    made = []
    for i in range(n):
        target = region or (world.group if i % 2 else world.group2)
        seq = next(_numbers)
        h = factories.household(
            world.county,
            target,
            f"510184270000{seq:05d}",
            head="王小明",
            members=2,
            address=f"{seq}号",
        )
        if i % 2:
            do_add_hardship(h, kind=HardshipKind.SUBSISTENCE, acting_user=None)
            do_pair(cadre=world.cadre, household=h, acting_user=None)
        made.append(h)
    return made


def pair(world, household=None):
    """Pair the cadre_user's cadre with a household (world.household by default)."""
    from lianxin.pairing.services import do_pair

    return do_pair(
        cadre=world.cadre, household=household or world.household, acting_user=world.city_admin
    )


def add_enterprises(world, n: int, region=None) -> list:
    return [
        do_create_enterprise(
            county=world.county,
            name=f"崇州测试{next(_numbers)}号有限公司",
            credit_code=factories.credit_code(9000 + next(_numbers)),
            trade=Trade.C,
            region=region or world.group,
            acting_user=None,
        )
        for _ in range(n)
    ]


def count_queries(client, url: str) -> int:
    """Queries one GET of url runs (after a warm-up request), asserting it answers 200."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(ctx.captured_queries)
