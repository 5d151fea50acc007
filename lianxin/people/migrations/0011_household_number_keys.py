"""PostgreSQL only: an index of (county, 户号) carrying the row id (INCLUDE), so that a deep
page of the household list reads its keys from the index alone (core.paging) instead of
visiting 230,000 rows of the table for their ids (195 ms at page 4,621 at scale 1).

It is not in the model's state on purpose: Django cannot declare a covering index for one
database only, and a covering constraint in the state would make SQLite drop the constraint
the next time it rebuilds the table (models.W039). SQLite needs nothing: the index of the
unique (county, number) constraint carries the rowid already."""

from django.db import migrations

NAME = "people_hh_number_keys"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {NAME} ON people_household (county_id, number)"
            " INCLUDE (id)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("people", "0010_household_cover")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
