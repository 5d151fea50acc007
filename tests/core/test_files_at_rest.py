"""The files the application creates are its owner's alone: the process umask, and the SQLite
database with its -wal and -shm files even when they were created before."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from django.db import connection


def test_it_sets_an_owner_only_umask_when_the_app_loads():
    current = os.umask(0o077)
    os.umask(current)
    assert current == 0o077


@pytest.mark.django_db(transaction=True)
def test_it_makes_the_sqlite_database_and_its_wal_owner_only():
    if connection.vendor != "sqlite":
        pytest.skip("the database is a file only on SQLite")
    name = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS t_mode (x int)")
        cursor.execute("INSERT INTO t_mode VALUES (1)")  # a write, so the -wal exists
    files = [Path(name + suffix) for suffix in ("", "-wal", "-shm")]
    assert all(f.exists() for f in files)
    for f in files:  # as a database made by an older version, or restored from a back-up
        f.chmod(0o644)
    connection.close()
    connection.ensure_connection()
    assert {str(f): stat.S_IMODE(f.stat().st_mode) for f in files} == {str(f): 0o600 for f in files}
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE t_mode")
