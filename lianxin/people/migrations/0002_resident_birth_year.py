"""Keep only the birth year of a resident in clear; the birth date was the eight digits the
masked ID number hides, so masked number + birth date rebuilt every ID number (issue 6)."""

import datetime as dt

from django.db import migrations, models
from django.db.models.functions import ExtractYear, Least

BATCH = 5000


def fill_birth_year(apps, schema_editor):
    # One UPDATE over the table: seconds at 670,000 rows on either database. No later than
    # the year before registration, as lianxin.core.sensitive.clear_birth_year files it.
    Resident = apps.get_model("people", "Resident")
    Resident.objects.using(schema_editor.connection.alias).update(
        birth_year=Least(ExtractYear("birth_date"), ExtractYear("created_at") - 1)
    )


def fill_birth_date(apps, schema_editor):
    """Going back: the birth date from the sealed ID number (needs the field key; the tokens
    are version 1 at this point of the schema, see people 0005)."""
    from django.conf import settings

    from lianxin.lib.crypto import decrypt_v1

    Resident = apps.get_model("people", "Resident")
    rows = Resident.objects.using(schema_editor.connection.alias).only("pk", "id_number_enc")
    batch = []
    for r in rows.order_by("pk").iterator(chunk_size=BATCH):
        number = decrypt_v1(settings.FIELD_KEY, r.id_number_enc)
        r.birth_date = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        batch.append(r)
        if len(batch) == BATCH:
            Resident.objects.bulk_update(batch, ["birth_date"])
            batch = []
    Resident.objects.bulk_update(batch, ["birth_date"])


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="resident",
            name="birth_year",
            field=models.PositiveSmallIntegerField(editable=False, null=True, verbose_name="出生年份"),
        ),
        # Nullable first, so that going back can re-add the column before filling it.
        migrations.AlterField(
            model_name="resident",
            name="birth_date",
            field=models.DateField(editable=False, null=True, verbose_name="出生日期"),
        ),
        migrations.RunPython(fill_birth_year, fill_birth_date, elidable=True),
        migrations.AlterField(
            model_name="resident",
            name="birth_year",
            field=models.PositiveSmallIntegerField(editable=False, verbose_name="出生年份"),
        ),
        migrations.RemoveField(model_name="resident", name="birth_date"),
        migrations.AddIndex(
            model_name="resident",
            index=models.Index(fields=["county", "birth_year"], name="people_resi_county__65d9c0_idx"),
        ),
    ]
