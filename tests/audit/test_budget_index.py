"""The day's answer budget (people/disclosure.py) is counted from one account's audit rows of
one action since midnight: one composite index serves it, and adding it kept the table's
append-only trigger."""

import pytest
from django.db import DatabaseError, connection, transaction

from lianxin.audit.services import record


def test_it_indexes_the_rows_by_actor_action_and_time(db):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "audit_auditentry")
    assert any(
        c["index"] and c["columns"] == ["actor_id", "action", "at"] for c in constraints.values()
    )


def test_the_append_only_trigger_is_still_there(world):
    with transaction.atomic():
        entry = record(actor=world.village_staff, action="测试", target_label="x")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET action = %s WHERE id = %s", ["改", entry.pk])
