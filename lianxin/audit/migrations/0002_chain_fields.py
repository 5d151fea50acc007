import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    """The chain columns and the per-county chain head; seq stays nullable until 0003 fills it."""

    dependencies = [
        ("audit", "0001_initial"),
        ("geo", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditentry",
            name="at",
            field=models.DateTimeField(
                db_index=True,
                default=django.utils.timezone.now,
                editable=False,
                verbose_name="时间",
            ),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="seq",
            field=models.PositiveBigIntegerField(editable=False, null=True, verbose_name="链序号"),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="prev_hash",
            field=models.CharField(
                blank=True, default="", editable=False, max_length=64, verbose_name="上一条哈希"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditentry",
            name="row_hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="哈希"),
            preserve_default=False,
        ),
        migrations.CreateModel(
            name="AuditChain",
            fields=[
                (
                    "county",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="geo.county",
                        verbose_name="县（市、区）",
                    ),
                ),
                ("seq", models.PositiveBigIntegerField(default=0, verbose_name="最后序号")),
                ("last_hash", models.CharField(blank=True, max_length=64, verbose_name="最后哈希")),
            ],
            options={"verbose_name": "审计链头", "verbose_name_plural": "审计链头"},
        ),
    ]
