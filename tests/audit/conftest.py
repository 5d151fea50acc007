import datetime as dt

import pytest
from django.db import transaction

from lianxin.audit.models import AuditEntry
from lianxin.audit.services import record
from lianxin.core.context import acting_from


@pytest.fixture
def entry_at(world):
    """Write an audit row through record() and move its time (tests only: rows are append-only,
    so the time is set by a raw UPDATE that bypasses the model's guard)."""

    def _entry_at(when: dt.datetime, *, action: str = "测试操作", actor=None, **kw) -> AuditEntry:
        with acting_from("10.1.2.3"), transaction.atomic():
            entry = record(actor=actor or world.city_admin, action=action, **kw)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {AuditEntry._meta.db_table} SET at = %s WHERE id = %s", [when, entry.pk]
            )
        return AuditEntry.objects.get(pk=entry.pk)

    return _entry_at
