import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from lianxin.audit.models import AuditEntry
from lianxin.audit.services import record
from lianxin.core.context import acting_from


@pytest.fixture
def entry_at(world, monkeypatch):
    """Write an audit row through record() at a given time (the clock is set, not the row:
    rows are append-only and the time is part of the row's hash)."""

    def _entry_at(when: dt.datetime, *, action: str = "测试操作", actor=None, **kw) -> AuditEntry:
        with monkeypatch.context() as patched:
            patched.setattr(timezone, "now", lambda: when)
            with acting_from("10.1.2.3"), transaction.atomic():
                entry = record(actor=actor or world.city_admin, action=action, **kw)
        return AuditEntry.objects.get(pk=entry.pk)

    return _entry_at
