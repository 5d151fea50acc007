"""Tampering with the audit table behind the application's back: the database refuses what it
can, and audit-verify names the first broken link of the chain for the rest."""

import hashlib
import importlib
import io
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from lianxin.audit.chain import BreakKind
from lianxin.audit.models import AuditEntry
from lianxin.audit.verify import verify
from lianxin.geo.services import do_create_county
from lianxin.people.services import do_update_household

TABLE = AuditEntry._meta.db_table
triggers = importlib.import_module("lianxin.audit.migrations.0004_append_only_triggers")


def sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@contextmanager
def trigger_off():
    """What an attacker who owns the database can do: lift the append-only trigger (on
    PostgreSQL as a superuser would, by turning off triggers for the session)."""
    if connection.vendor == "postgresql":
        sql("SET LOCAL session_replication_role = replica")
        yield
        sql("SET LOCAL session_replication_role = DEFAULT")
    else:
        sql(triggers.SQLITE_DOWN)
        yield
        sql(triggers.SQLITE_UP)


@pytest.fixture
def chain(world):
    """The county's chain after a few more real state changes, in seq order."""
    for address in ("大坪村6组13号", "大坪村6组14号", "大坪村6组15号"):
        do_update_household(world.household, address=address, acting_user=world.township_staff)
    return list(AuditEntry.objects.filter(county=world.county).order_by("seq"))


def only_break(world):
    results = verify()
    assert [r.county_id for r in results] == [world.county.pk]
    return results[0].broken


def run_verify() -> tuple[str, CommandError | None]:
    out = io.StringIO()
    try:
        call_command("audit_verify", "--no-progress", stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def test_it_verifies_an_untouched_chain(world, chain):
    assert [e.seq for e in chain] == list(range(1, len(chain) + 1))
    assert only_break(world) is None
    out, error = run_verify()
    assert error is None
    assert f"县 510184：{len(chain)} 条记录，审计链完整（链尾哈希 {chain[-1].row_hash}）" in out


def test_it_refuses_a_raw_update_in_the_database(world, chain):
    target = chain[3]
    with pytest.raises(DatabaseError, match="审计记录只能追加"), transaction.atomic():
        sql(f"UPDATE {TABLE} SET reason = %s WHERE id = %s", ["改写", target.pk])
    assert AuditEntry.objects.get(pk=target.pk).reason == target.reason
    assert only_break(world) is None


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's test flush deletes rows: no DELETE trigger"
)
def test_it_refuses_a_raw_delete_on_postgresql(world, chain):
    with pytest.raises(DatabaseError, match="审计记录只能追加"), transaction.atomic():
        sql(f"DELETE FROM {TABLE} WHERE id = %s", [chain[3].pk])
    assert AuditEntry.objects.filter(pk=chain[3].pk).exists()


def test_it_reports_a_changed_row(world, chain):
    target = chain[5]
    with trigger_off():
        sql(f"UPDATE {TABLE} SET reason = %s WHERE id = %s", ["事后补写的事由", target.pk])
    broken = only_break(world)
    assert (broken.kind, broken.entry_id, broken.seq) == (BreakKind.CONTENT, target.pk, target.seq)
    assert broken.at == target.at
    out, error = run_verify()
    assert error is not None and error.returncode != 0
    assert f"审计链断裂（内容被改动）于记录 #{target.pk}（第{target.seq}号" in out


def test_it_reports_a_changed_row_even_when_rehashed_without_the_key(world, chain):
    # The attacker changes a time and recomputes a plain SHA-256 in the row's hash column and in
    # the next row's link: without the server's key the row still does not match its hash.
    target, after = chain[5], chain[6]
    forged = hashlib.sha256(b"forged").hexdigest()
    with trigger_off():
        sql(
            f"UPDATE {TABLE} SET target_label = %s, row_hash = %s WHERE id = %s",
            ["别人家", forged, target.pk],
        )
        sql(f"UPDATE {TABLE} SET prev_hash = %s WHERE id = %s", [forged, after.pk])
    broken = only_break(world)
    assert (broken.kind, broken.entry_id) == (BreakKind.CONTENT, target.pk)


def test_it_reports_a_deleted_row(world, chain):
    target, after = chain[4], chain[5]
    with trigger_off():
        sql(f"DELETE FROM {TABLE} WHERE id = %s", [target.pk])
    broken = only_break(world)
    assert (broken.kind, broken.entry_id) == (BreakKind.MISSING, after.pk)
    assert f"第{target.seq}号记录缺失" in broken.detail
    out, error = run_verify()
    assert error is not None
    assert f"审计链断裂（记录缺失）于记录 #{after.pk}" in out


def test_it_reports_a_deleted_row_when_the_numbers_are_closed_up(world, chain):
    target, after = chain[4], chain[5]
    with trigger_off():
        sql(f"DELETE FROM {TABLE} WHERE id = %s", [target.pk])
        for entry in chain[5:]:
            sql(f"UPDATE {TABLE} SET seq = seq - 1 WHERE id = %s", [entry.pk])
    broken = only_break(world)
    assert (broken.kind, broken.entry_id) == (BreakKind.MISSING, after.pk)


def test_it_reports_rows_cut_from_the_end(world, chain):
    with trigger_off():
        sql(f"DELETE FROM {TABLE} WHERE id IN (%s, %s)", [chain[-1].pk, chain[-2].pk])
    broken = only_break(world)
    assert (broken.kind, broken.entry_id) == (BreakKind.MISSING, chain[-3].pk)
    assert f"链尾第{chain[-2].seq}至{chain[-1].seq}号记录缺失" in broken.detail


def test_it_reports_two_swapped_rows(world, chain):
    first, second = chain[4], chain[5]
    with trigger_off():
        # Through a free number, as the (county, seq) pair is unique.
        sql(f"UPDATE {TABLE} SET seq = 0 WHERE id = %s", [first.pk])
        sql(f"UPDATE {TABLE} SET seq = %s WHERE id = %s", [first.seq, second.pk])
        sql(f"UPDATE {TABLE} SET seq = %s WHERE id = %s", [second.seq, first.pk])
    broken = only_break(world)
    assert (broken.kind, broken.entry_id, broken.seq) == (BreakKind.ORDER, second.pk, first.seq)
    out, error = run_verify()
    assert error is not None
    assert f"审计链断裂（顺序被打乱）于记录 #{second.pk}（第{first.seq}号" in out


def test_it_reports_only_the_first_of_two_changed_rows(world, chain):
    with trigger_off():
        for entry in (chain[7], chain[2]):
            sql(f"UPDATE {TABLE} SET action = %s WHERE id = %s", ["查看", entry.pk])
    broken = only_break(world)
    assert (broken.kind, broken.entry_id) == (BreakKind.CONTENT, chain[2].pk)


def test_it_checks_each_county_on_its_own(world, chain):
    other = do_create_county(code="510129", name="大邑县")
    with trigger_off():
        sql(f"UPDATE {TABLE} SET reason = %s WHERE id = %s", ["改写", chain[1].pk])
    results = {r.county_id: r for r in verify()}
    assert results[world.county.pk].broken.entry_id == chain[1].pk
    assert results[other.pk].broken is None and results[other.pk].rows >= 1
    out, error = run_verify()
    assert "县 510129：" in out and "审计链完整" in out
    assert error is not None and "1 个县" in str(error)
