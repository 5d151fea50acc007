"""people 0002/0003: birth dates become birth years, and the dropped dates leave no trace."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from lianxin.lib.idcard import compose
from lianxin.transfer.importers import import_people
from tests import factories
from tests.transfer.files import RESIDENT_HEADER, resident, source

# Enough rows that the pages of the dropped copies are not all reused by chance (as they are
# with a handful), and dates before any other date the tests write.
BIRTHS = [dt.date(1930, 1, 1) + dt.timedelta(days=9 * i) for i in range(1500)]


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate(target or executor.loader.graph.leaf_nodes())


def _columns() -> set[str]:
    with connection.cursor() as cursor:
        described = connection.introspection.get_table_description(cursor, "people_resident")
    return {c.name for c in described}


def _rows(columns: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT name, {columns} FROM people_resident ORDER BY id")
        return [r for r in cursor.fetchall() if r[0].startswith("迁移")]


def _import(world) -> None:
    rows = [
        resident(f"5101842800000{i:04d}", f"迁移{i}", compose("510184", birth, i % 1000), "户主")
        for i, birth in enumerate(BIRTHS)
    ]
    result = import_people(
        source(RESIDENT_HEADER, rows),
        county=world.county,
        kind="residents",
        mode="all",
        acting_user=None,
    )
    assert result.residents_created == len(BIRTHS), result.errors[:3]


@pytest.mark.django_db(transaction=True)
def test_it_turns_birth_dates_into_years_and_leaves_no_date_on_disk():
    _import(factories.build_world())
    try:
        # Back to the old schema: the dates come back from the sealed ID numbers.
        _migrate([("people", "0001_initial")])
        assert "birth_date" in _columns() and "birth_year" not in _columns()
        dates = [r[1] for r in _rows("birth_date")]
        assert [d if isinstance(d, dt.date) else dt.date.fromisoformat(d) for d in dates] == BIRTHS
    finally:
        _migrate(None)
    assert "birth_date" not in _columns()
    assert [r[1] for r in _rows("birth_year")] == [b.year for b in BIRTHS]
    if connection.vendor == "sqlite":
        path = connection.settings_dict["NAME"]
        data = Path(f"{path}-wal").read_bytes()
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        data += Path(path).read_bytes()
        for birth in BIRTHS:
            assert birth.isoformat().encode() not in data, birth
            # Eight bare digits inside a hex hash are chance (16^-8 per place, over thousands of
            # hashes), not a stored date: only a run standing on its own counts.
            alone = re.compile(
                rb"(?<![0-9A-Za-z])" + f"{birth:%Y%m%d}".encode() + rb"(?![0-9A-Za-z])"
            )
            assert not alone.search(data), birth
