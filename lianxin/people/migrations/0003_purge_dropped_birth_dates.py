"""Overwrite what dropping people_resident.birth_date left on disk.

A dropped column is not gone from the file: SQLite leaves the old table's pages on its free
list (and in the WAL), PostgreSQL keeps the values in every tuple until the row is rewritten,
and the backfill UPDATE left dead tuples holding them. VACUUM rebuilds the SQLite file;
VACUUM FULL rewrites the PostgreSQL table with dropped columns nulled. Neither can run inside
a transaction, hence a migration of its own that is not atomic.
"""

from django.db import migrations


def purge(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("VACUUM")
            # VACUUM goes through the WAL: fold it back and empty it.
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        elif connection.vendor == "postgresql":
            # Holds an exclusive lock on the table for the rewrite (seconds at 670,000 rows).
            cursor.execute("VACUUM FULL people_resident")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("people", "0002_resident_birth_year")]

    operations = [migrations.RunPython(purge, migrations.RunPython.noop)]
