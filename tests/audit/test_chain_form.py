"""The chain's canonical form: what record() hashes is what the database gives back."""

import datetime as dt

from django.db import transaction

from lianxin.audit.models import AuditEntry
from lianxin.audit.services import record
from lianxin.audit.verify import verify


def test_it_hashes_values_as_both_databases_give_them_back(world, entry_at):
    # Whole seconds (no fractional part in the stored text), a zone other than UTC, whole and
    # huge floats (jsonb turns 1e+20 into digits), keys out of order, Chinese text.
    when = dt.datetime(2025, 3, 1, 8, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    entry_at(
        when,
        target=world.household,
        changes={"z金额": [1e20, 2.0], "a比例": [0.1, 1.5e-7], "备注": ["“引号”\n换行", None]},
        reason="核对：引号与换行",
    )
    with transaction.atomic():
        record(
            actor=None, action="系统操作", county_id=world.county.pk, changes={"count": [True, 3]}
        )
    assert [r.broken for r in verify()] == [None]


def test_it_numbers_each_county_from_one(world):
    seqs = AuditEntry.objects.filter(county=world.county).order_by("seq")
    first = seqs.first()
    assert (first.seq, first.prev_hash) == (1, "")
    assert list(seqs.values_list("seq", flat=True)) == list(range(1, seqs.count() + 1))
