"""Every cadre gets a seal reference of its own, and its phone is sealed again bound to it
(lianxin.core.reseal_v1)."""

from django.db import migrations


def reseal(apps, schema_editor):
    from lianxin.core.reseal_v1 import reseal_model

    reseal_model(apps.get_model("org", "Cadre"), "org.cadre", ("phone",))


def unbind(apps, schema_editor):
    from lianxin.core.reseal_v1 import unbind_model

    unbind_model(apps.get_model("org", "Cadre"), "org.cadre", ("phone",))


class Migration(migrations.Migration):
    dependencies = [("org", "0002_cadre_seal_ref")]

    operations = [migrations.RunPython(reseal, unbind, elidable=False)]
