"""The search's GIN index on the words of a child, declared in `Child.Meta` on the expression
`casework.search` queries with (`casework.models.fulltext.CHILD_DOCUMENT`); PostgreSQL only (the
index class makes nothing on SQLite). The hand-written index of the same name (workflows 0005, on
existing databases) is dropped first."""

import casework.models.fulltext
import django.contrib.postgres.search
from django.db import migrations, models


def drop_hand_written(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS child_search_document")


class Migration(migrations.Migration):

    dependencies = [
        ('casework', '0025_accesslog_pgtrigger'),
    ]

    operations = [
        migrations.RunPython(drop_hand_written, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='child',
            index=casework.models.fulltext.PostgresGinIndex(django.contrib.postgres.search.SearchVector('family_name', 'given_name', models.Func(models.F('pupil_number'), models.Value('[^[:alnum:]]+'), models.Value(' '), models.Value('g'), function='regexp_replace', output_field=models.TextField()), config='simple'), name='child_search_document'),
        ),
    ]
