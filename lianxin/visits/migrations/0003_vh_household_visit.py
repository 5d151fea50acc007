"""The visits of a set of households read from one index (issue 10: the visit history at
county scale): (household, visit) on the visit rows, so that a region's staff's scope and the
history's household filter take the visit ids from the index alone. Adding an index does not
rebuild the table, on SQLite either."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("visits", "0002_confirmation"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="visithousehold",
            index=models.Index(fields=["household", "visit"], name="visits_vh_household_visit"),
        ),
    ]
