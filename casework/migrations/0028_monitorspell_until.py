"""The peildatum count's index on the monitor's spells, in place of 0027's GiST: a btree on the
day after each spell (`casework.models.rollup.spell_until`, infinity while it runs), which
`counts_on` filters with `until > day`, including every column the count reads (an index-only
scan). PostgreSQL only: the index class makes (and drops) nothing on SQLite."""

import casework.models.rollup
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('casework', '0027_monitorspell_span'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='monitorspell',
            name='monitorspell_span',
        ),
        migrations.AddIndex(
            model_name='monitorspell',
            index=casework.models.rollup.PostgresIndex(models.Func(models.F('valid_to'), output_field=models.DateField(), template="COALESCE(%(expressions)s, 'infinity'::date)"), include=('valid_to', 'valid_from', 'region_id', 'sector', 'school_id', 'registration', 'level', 'setting', 'category', 'absent_since', 'birth_date', 'startkwalificatie_on', 'exemption_ground', 'without_offer', 'is_open'), name='monitorspell_until'),
        ),
    ]
