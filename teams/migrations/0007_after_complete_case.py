"""After completing a task, users now land on the case page ("Taak afgerond" with the case's next
step) unless they choose the next task of their list. Until now "the next task" was the default and
nothing records who chose it on purpose, so every user on it moves to the new default once; the
choice stays on the inbox's preferences."""

from django.db import migrations, models


def to_the_case(apps, schema_editor):
    apps.get_model("teams", "User").objects.filter(after_complete="next").update(after_complete="case")


class Migration(migrations.Migration):

    dependencies = [
        ('teams', '0006_ladder_roles'),
    ]

    operations = [
        migrations.AlterField(
            model_name='user',
            name='after_complete',
            field=models.CharField(choices=[('case', 'the case'), ('next', 'the next task in the same list')], default='case', max_length=10, verbose_name='after completing a task, go to'),
        ),
        migrations.RunPython(to_the_case, migrations.RunPython.noop),
    ]
