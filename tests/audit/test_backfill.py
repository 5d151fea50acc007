"""Rows written before the chain existed are chained by migration audit 0003, in order."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from lianxin.audit.models import AuditEntry
from lianxin.audit.verify import verify

BEFORE = [("audit", "0001_initial")]


def test_it_chains_the_rows_written_before_the_chain(transactional_db):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    County, Entry = old.get_model("geo", "County"), old.get_model("audit", "AuditEntry")
    a = County.objects.create(code="510184", name="崇州市", short_name="崇州")
    b = County.objects.create(code="510129", name="大邑县", short_name="大邑")
    for i in range(7):
        Entry.objects.create(
            county=a if i % 3 else b,
            actor_label="系统",
            source="命令行",
            action=f"旧操作{i}",
            target_type="people.household",
            target_id=str(i),
            changes={"address": [None, f"{i}号"], "金额": [2.0, 1e20]},
        )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    rows = list(AuditEntry.objects.filter(county_id=a.pk).order_by("seq"))
    assert [(e.seq, e.action) for e in rows] == [
        (1, "旧操作1"),
        (2, "旧操作2"),
        (3, "旧操作4"),
        (4, "旧操作5"),
    ]
    assert rows[1].prev_hash == rows[0].row_hash
    assert {r.county_id: (r.rows, r.broken) for r in verify()} == {
        a.pk: (4, None),
        b.pk: (3, None),
    }
