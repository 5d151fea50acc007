"""One index for the day's answer budget (people/disclosure.py): an account's rows of one
action since midnight. Adding an index does not rebuild the table, on SQLite either, so the
append-only trigger of 0004 stays in place."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_append_only_triggers"),
        ("geo", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(fields=["actor", "action", "at"], name="audit_actor_action_at"),
        ),
    ]
