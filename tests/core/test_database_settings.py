"""How the app's connections are set up on each database."""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.mark.django_db
def test_it_turns_postgresql_jit_off():
    """PostgreSQL's JIT spent some 200 ms compiling the county's coverage tally (80 ms to run):
    the app's connections ask for it off (settings.py)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


@pytest.mark.django_db
def test_it_keeps_the_household_list_keys_in_one_postgresql_index():
    """A deep page's keys (core.paging) come from (county, number) INCLUDE (id) alone."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'people_hh_number_keys'")
        (definition,) = cursor.fetchone()
    assert "(county_id, number) INCLUDE (id)" in definition
