from django.db import migrations

from lianxin.lib.names import region_sort_key


def refill_keys(apps, schema_editor):
    """Keys written before positional numerals were read (七一村 sorted as 1, not 71)."""
    Region = apps.get_model("geo", "Region")
    batch = []
    for region in Region.objects.only("pk", "code", "name", "sort_key").iterator():
        key = region_sort_key(region.code, region.name)
        if key != region.sort_key:
            region.sort_key = key
            batch.append(region)
        if len(batch) >= 1000:
            Region.objects.bulk_update(batch, ["sort_key"])
            batch = []
    Region.objects.bulk_update(batch, ["sort_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("geo", "0002_region_sort_key"),
    ]

    operations = [migrations.RunPython(refill_keys, migrations.RunPython.noop)]
