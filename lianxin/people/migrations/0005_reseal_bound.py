"""Every resident gets a seal reference of its own, and its ID number and phone are sealed again
bound to it (lianxin.core.reseal_v1): about a minute per 670,000 residents."""

from django.db import migrations


def reseal(apps, schema_editor):
    from lianxin.core.reseal_v1 import reseal_model

    reseal_model(apps.get_model("people", "Resident"), "people.resident", ("id_number", "phone"))


def unbind(apps, schema_editor):
    from lianxin.core.reseal_v1 import unbind_model

    unbind_model(apps.get_model("people", "Resident"), "people.resident", ("id_number", "phone"))


class Migration(migrations.Migration):
    dependencies = [("people", "0004_resident_seal_ref")]

    operations = [migrations.RunPython(reseal, unbind, elidable=False)]
