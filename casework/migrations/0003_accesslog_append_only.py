"""Defence in depth: the database itself refuses to change access-log rows.

UPDATE is refused on every backend. DELETE is refused on PostgreSQL with a row trigger
(TRUNCATE, used only by test tear-down, is a statement of its own and unaffected); on
SQLite a DELETE trigger would also block the test runner's flush, so there the model and
queryset guards carry it.
"""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION casework_accesslog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'casework_accesslog is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER casework_accesslog_no_update BEFORE UPDATE ON casework_accesslog
    FOR EACH ROW EXECUTE FUNCTION casework_accesslog_append_only();
CREATE TRIGGER casework_accesslog_no_delete BEFORE DELETE ON casework_accesslog
    FOR EACH ROW EXECUTE FUNCTION casework_accesslog_append_only();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS casework_accesslog_no_update ON casework_accesslog;
DROP TRIGGER IF EXISTS casework_accesslog_no_delete ON casework_accesslog;
DROP FUNCTION IF EXISTS casework_accesslog_append_only();
"""
SQLITE_FORWARD = """
CREATE TRIGGER casework_accesslog_no_update BEFORE UPDATE ON casework_accesslog
BEGIN SELECT RAISE(ABORT, 'casework_accesslog is append-only'); END;
"""
SQLITE_BACKWARD = "DROP TRIGGER IF EXISTS casework_accesslog_no_update;"


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("casework", "0002_initial")]

    operations = [migrations.RunPython(forward, backward)]
