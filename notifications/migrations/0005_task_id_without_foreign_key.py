"""A notice names its task by id only: `task` on the outbox entry and the notification is no longer
a foreign key into workflows but a plain integer in the same `task_id` column (the data stays; the
constraint goes, the index stays). notifications learns about tasks through notifications.registry."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0004_channel_per_kind"),
    ]

    operations = [
        migrations.AlterField(
            model_name="notification",
            name="task",
            field=models.PositiveBigIntegerField(blank=True, db_column="task_id", db_index=True, null=True),
        ),
        migrations.AlterField(
            model_name="outboxentry",
            name="task",
            field=models.PositiveBigIntegerField(blank=True, db_column="task_id", db_index=True, null=True),
        ),
    ]
