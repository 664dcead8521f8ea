"""Big queues (docs/performance.md): partial indexes for a team's open unclaimed tasks and its open tasks in
due-date order. This migration also made, by hand, the search's GIN index on the words of a child; that
index is now declared in `Child.Meta` (casework migration 0026 drops this one and makes the declared
one), so its step does nothing any more."""

from django.db import migrations, models


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
        migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop),  # was the search index
    ]
