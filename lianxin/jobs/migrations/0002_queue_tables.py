"""The job queue's tables (huey_*) when the queue lives in the PostgreSQL database."""

from django.conf import settings
from django.db import migrations


def create_queue_tables(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql" or settings.LIANXIN_JOB_QUEUE != "postgres":
        return
    from huey.contrib.djhuey import HUEY

    HUEY.storage.initialize_schema()


class Migration(migrations.Migration):
    dependencies = [("jobs", "0001_initial")]

    operations = [migrations.RunPython(create_queue_tables, migrations.RunPython.noop)]
