"""The access log's append-only guard on PostgreSQL becomes django-pgtrigger's (`AccessLog.Meta.
triggers`): the hand-made triggers and their function (0003) are dropped, then pgtrigger installs
its own. On SQLite nothing changes: pgtrigger installs nothing there and 0003's UPDATE trigger
stays (0008, 0011, 0017 and 0020 put it back after each table rebuild)."""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations

HAND_MADE = """
DROP TRIGGER IF EXISTS casework_accesslog_no_update ON casework_accesslog;
DROP TRIGGER IF EXISTS casework_accesslog_no_delete ON casework_accesslog;
DROP FUNCTION IF EXISTS casework_accesslog_append_only();
"""
# 0003's, for the way back.
HAND_MADE_BACK = """
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


def drop_hand_made(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(HAND_MADE)


def restore_hand_made(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(HAND_MADE_BACK)


class Migration(migrations.Migration):

    dependencies = [
        ('casework', '0024_name_keys'),
    ]

    operations = [
        migrations.RunPython(drop_hand_made, restore_hand_made),
        pgtrigger.migrations.AddTrigger(
            model_name='accesslog',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='b9e039e0b7fec3e4bd78bd35502950fd500155f9', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_48b07', table='casework_accesslog', when='BEFORE')),
        ),
    ]
