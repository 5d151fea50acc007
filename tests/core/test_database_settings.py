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
