# Each sealed row gets a seal reference (core.models.SealedRow); 0003 gives each its own.

import lianxin.core.models
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('org', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='cadre',
            name='seal_ref',
            field=models.CharField(default=lianxin.core.models.new_seal_ref, editable=False, max_length=24, verbose_name='加密绑定号'),
        ),
    ]
