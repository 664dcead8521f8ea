"""The peildatum count's GiST index on the monitor's spells: the date range `[valid_from,
valid_to)` (the expression `casework.models.rollup.spell_span`, which `counts_on` filters with `@>`)
with the columns a scope filters on (region, sector, school; btree_gist for those). PostgreSQL only:
the extension operation and the index class do nothing on SQLite."""

import casework.models.rollup
import django.contrib.postgres.fields.ranges
from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('casework', '0026_child_search_index'),
    ]

    operations = [
        BtreeGistExtension(),
        migrations.AddIndex(
            model_name='monitorspell',
            index=casework.models.rollup.PostgresGistIndex(models.Func(models.F('valid_from'), models.F('valid_to'), models.Value('[)'), function='daterange', output_field=django.contrib.postgres.fields.ranges.DateRangeField()), models.F('region_id'), models.F('sector'), models.F('school_id'), name='monitorspell_span'),
        ),
    ]
