"""Big queues (docs/performance.md): partial indexes for a team's open unclaimed tasks and its open tasks in
due-date order, and (PostgreSQL only) a GIN index on the words of a child that the search looks up
(casework.search.CHILD_DOCUMENT; the same expression, or PostgreSQL does not use it)."""

from django.db import migrations, models

CHILD_DOCUMENT = ("to_tsvector('simple'::regconfig, coalesce(family_name, '') || ' ' || coalesce(given_name, '') "
                  "|| ' ' || regexp_replace(coalesce(pupil_number, ''), '[^[:alnum:]]+', ' ', 'g'))")


def add_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS child_search_document ON casework_child "
                              f"USING gin (({CHILD_DOCUMENT}))")


def drop_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS child_search_document")


class Migration(migrations.Migration):

    dependencies = [
        ("casework", "0017_accesslog_list_views"),
        ("workflows", "0004_worklists_follow_up"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="casetask",
            index=models.Index(condition=models.Q(("flow_task_type", "HUMAN"), ("owner__isnull", True),
                                                  ("status", "NEW")),
                               fields=["team", "due_at", "created", "id"], name="casetask_open_queue"),
        ),
        migrations.AddIndex(
            model_name="casetask",
            index=models.Index(condition=models.Q(("flow_task_type", "HUMAN"),
                                                  ("status__in", ["NEW", "ASSIGNED", "STARTED"])),
                               fields=["team", "due_at", "created", "id"], name="casetask_open_team"),
        ),
        migrations.RunPython(add_search_index, drop_search_index),
    ]
