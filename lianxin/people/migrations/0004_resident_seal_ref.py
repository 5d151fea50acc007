# Each sealed row gets a seal reference (core.models.SealedRow); 0005 gives each its own.

import lianxin.core.models
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0003_purge_dropped_birth_dates'),
    ]

    operations = [
        migrations.AddField(
            model_name='resident',
            name='seal_ref',
            field=models.CharField(default=lianxin.core.models.new_seal_ref, editable=False, max_length=24, verbose_name='加密绑定号'),
        ),
    ]
