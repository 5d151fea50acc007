"""The database itself refuses to change audit rows.

PostgreSQL: a row-level BEFORE UPDATE OR DELETE trigger. It does not fire on TRUNCATE, which the
test flush uses; production runs the application as a role that is not the table owner and has
no TRUNCATE privilege (docs/operations.md), so only the owner can drop the trigger or truncate.

SQLite: a BEFORE UPDATE trigger only. Django's test flush empties tables with DELETE FROM, so a
DELETE trigger would break every transactional test; a deleted row is still caught by the chain
(audit-verify reports the gap, or the chain head when rows are cut from the end)."""

from django.db import migrations, models

MESSAGE = "审计记录只能追加，不可修改或删除"

POSTGRES_UP = f"""
CREATE OR REPLACE FUNCTION audit_auditentry_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}（%）', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_auditentry_append_only
    BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_auditentry_refuse_change();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS audit_auditentry_append_only ON audit_auditentry;
DROP FUNCTION IF EXISTS audit_auditentry_refuse_change();
"""
SQLITE_UP = f"""
CREATE TRIGGER audit_auditentry_no_update BEFORE UPDATE ON audit_auditentry
BEGIN SELECT RAISE(ABORT, '{MESSAGE}（UPDATE）'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS audit_auditentry_no_update;"


def _run(schema_editor, sql: dict[str, str]) -> None:
    statement = sql.get(schema_editor.connection.vendor)
    if statement:
        schema_editor.execute(statement, params=None)


def add_triggers(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRES_UP, "sqlite": SQLITE_UP})


def drop_triggers(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRES_DOWN, "sqlite": SQLITE_DOWN})


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_backfill_chain")]

    operations = [
        migrations.AlterField(
            model_name="auditentry",
            name="seq",
            field=models.PositiveBigIntegerField(editable=False, verbose_name="链序号"),
        ),
        migrations.AddConstraint(
            model_name="auditentry",
            constraint=models.UniqueConstraint(
                fields=("county", "seq"),
                name="audit_auditentry_unique_county_seq",
                violation_error_message="同一县的审计链序号不能重复",
            ),
        ),
        migrations.RunPython(add_triggers, drop_triggers, elidable=False),
    ]
