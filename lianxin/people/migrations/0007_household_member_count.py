"""Household.member_count, filled from the residents registered so far (one UPDATE)."""

from django.db import migrations, models

FILL = """
UPDATE people_household SET member_count = (
    SELECT COUNT(*) FROM people_resident WHERE people_resident.household_id = people_household.id
)
"""


class Migration(migrations.Migration):

    dependencies = [
        ('geo', '0002_region_sort_key'),
        ('people', '0006_household_number_rule'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='household',
            name='people_hous_county__bb322c_idx',
        ),
        migrations.AddField(
            model_name='household',
            name='member_count',
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name='人口'),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name='household',
            index=models.Index(fields=['county', 'township', 'village', 'region', 'member_count'], name='people_hh_tally'),
        ),
    ]
