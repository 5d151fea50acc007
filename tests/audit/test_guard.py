"""record() refuses to write outside the state change's transaction, in tests too: the test
case's own wrapping transaction does not count (issue 7, point 9)."""

from __future__ import annotations

import pytest
from django.db import transaction

from lianxin.audit.models import AuditEntry
from lianxin.audit.services import record


def test_it_refuses_an_audit_row_outside_a_transaction_even_inside_a_test(world):
    before = AuditEntry.objects.count()
    with pytest.raises(RuntimeError, match="inside the state change's transaction"):
        record(actor=world.city_admin, action="测试", county_id=world.county.pk)
    assert AuditEntry.objects.count() == before


def test_it_writes_an_audit_row_inside_the_callers_transaction(world):
    with transaction.atomic():
        entry = record(actor=world.city_admin, action="测试", county_id=world.county.pk)
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_it_refuses_outside_a_transaction_in_a_transactional_test():
    from tests.factories import build_world

    w = build_world()
    with pytest.raises(RuntimeError):
        record(actor=w.city_admin, action="测试", county_id=w.county.pk)
