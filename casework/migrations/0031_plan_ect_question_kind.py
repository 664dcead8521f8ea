"""The kind of question a team asks the ECT (`Plan.ect_question_kind`, required with the ECT
consult from now on); the plans that chose the ECT consult before it was asked get `overig`."""

from django.db import migrations, models


def existing_consults_are_other(apps, schema_editor):
    Plan = apps.get_model("casework", "Plan")
    chose = [pk for pk, routes in Plan.objects.values_list("pk", "routes").iterator(chunk_size=2000)
             if "ect_consult" in (routes or [])]
    for start in range(0, len(chose), 1000):
        Plan.objects.filter(pk__in=chose[start:start + 1000]).update(ect_question_kind="overig")


class Migration(migrations.Migration):

    dependencies = [
        ('casework', '0030_access_log_reconciliation'),
    ]

    operations = [
        migrations.AddField(
            model_name='plan',
            name='ect_question_kind',
            field=models.CharField(blank=True, choices=[('plaatsing', 'Placement (which school or provision)'), ('vrijstelling', 'Exemption (vrijstelling)'), ('handelingsadvies', 'Advice on what to do (handelingsadvies)'), ('thuiswerkplan', 'A plan for working at home (thuiswerkplan)'), ('terugkeer', 'Return to school'), ('overig', 'Other')], max_length=20, verbose_name='kind of question to the ECT'),
        ),
        migrations.RunPython(existing_consults_are_other, migrations.RunPython.noop),
    ]
