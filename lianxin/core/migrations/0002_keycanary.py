# What the keys made of a known text (lianxin.core.keys).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0001_rate_counter'),
    ]

    operations = [
        migrations.CreateModel(
            name='KeyCanary',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('purpose', models.CharField(choices=[('field', '字段加密密钥'), ('lookup', '查找散列密钥'), ('audit', '审计链密钥')], max_length=10, unique=True, verbose_name='用途')),
                ('value', models.TextField(verbose_name='校验值')),
                ('key_id', models.CharField(blank=True, max_length=8, verbose_name='密钥编号')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
            ],
            options={
                'verbose_name': '密钥校验值',
                'verbose_name_plural': '密钥校验值',
            },
        ),
    ]
