"""Fill Household.covered_from / covered_until from the pairings as of today (the spans
lianxin.pairing.cover keeps from now on), one county at a time, one UPDATE per distinct span."""

from collections import defaultdict

from django.db import migrations
from django.db.models import Q


def fill(apps, schema_editor):
    from lianxin.core.models import today
    from lianxin.pairing.cover import pairing_span, run_from

    Household = apps.get_model("people", "Household")
    Pairing = apps.get_model("pairing", "Pairing")
    on = today()
    spans = defaultdict(list)
    rows = (
        Pairing.objects.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .order_by()
        .values_list("household_id", "valid_from", "valid_to", "cadre__left_on")
        .iterator(chunk_size=10_000)
    )
    for household_id, valid_from, valid_to, left_on in rows:
        spans[household_id].append(pairing_span(valid_from, valid_to, left_on))
    moves = defaultdict(list)
    for household_id, household_spans in spans.items():
        start, end = run_from(household_spans, on)
        if start is not None:
            moves[(start, end)].append(household_id)
    for (start, end), ids in moves.items():
        for i in range(0, len(ids), 5_000):
            Household.objects.filter(pk__in=ids[i : i + 5_000]).update(
                covered_from=start, covered_until=end
            )


class Migration(migrations.Migration):
    dependencies = [
        ("pairing", "0004_policy_run_budget"),
        ("people", "0010_household_cover"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
