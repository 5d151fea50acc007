"""Chain the rows written before the chain existed: per county, in insertion (id) order."""

from django.db import migrations

from lianxin.audit import chain

BATCH = 5000


def backfill(apps, schema_editor):
    AuditEntry = apps.get_model("audit", "AuditEntry")
    AuditChain = apps.get_model("audit", "AuditChain")
    table = AuditEntry._meta.db_table
    connection = schema_editor.connection
    key = chain.chain_key()
    heads: dict[int, tuple[int, str]] = {}
    last_id = 0
    # Keyset batches over the whole table (one pass, every county at once) and one executemany
    # per batch: fast for millions of rows on both databases, unlike bulk_update's CASE chains.
    while True:
        rows = list(
            AuditEntry.objects.filter(id__gt=last_id)
            .order_by("id")
            .values_list("id", *chain.CONTENT_FIELDS)[:BATCH]
        )
        if not rows:
            break
        updates = []
        for entry_id, *content in rows:
            fields = dict(zip(chain.CONTENT_FIELDS, content, strict=True))
            seq, prev = heads.get(fields["county_id"], (0, chain.GENESIS))
            seq += 1
            digest = chain.row_hash(key, seq=seq, prev_hash=prev, **fields)
            heads[fields["county_id"]] = (seq, digest)
            updates.append((seq, prev, digest, entry_id))
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET seq = %s, prev_hash = %s, row_hash = %s WHERE id = %s",
                updates,
            )
        last_id = rows[-1][0]
    AuditChain.objects.bulk_create(
        [AuditChain(county_id=c, seq=s, last_hash=h) for c, (s, h) in heads.items()]
    )


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_chain_fields")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False)]
