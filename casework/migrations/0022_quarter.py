from django.db import migrations, models

from casework.migrations._frozen_monitor import tallies_for  # the rules as written then, not live code

# The measures whose rule changed: the MPL's doorbraak decisions by their decision (a place, or no
# agreement), and "days absent to placement", which after an exemption runs from the day after it.
REBUILT = ("doorbraak_decided", "offer_started")


def rebuild_changed_measures(apps, schema_editor):
    """Re-derive the rollup rows of the changed measures from the events, each counted by the case's
    region and by its sector and school at the time of the event (the latest `registration_changed`
    that records a school up to it; before the first one that one's; without any the case's own),
    as the events were summarised when they were recorded."""
    CaseEvent = apps.get_model("casework", "CaseEvent")
    MonitorTally = apps.get_model("casework", "MonitorTally")
    stale = (models.Q(measure="doorbraak_decided") | models.Q(measure__startswith="doorbraak:")
             | models.Q(measure__startswith="absent_to_start:"))
    MonitorTally.objects.filter(stale).delete()
    case_ids = sorted(set(CaseEvent.objects.filter(kind__in=REBUILT).values_list("case_id", flat=True)))
    for start in range(0, len(case_ids), 500):
        events = (CaseEvent.objects.select_related("case").filter(case_id__in=case_ids[start:start + 500])
                  .filter(models.Q(kind__in=REBUILT) | models.Q(kind="registration_changed")).order_by("case_id", "at", "pk"))
        by_case: dict[int, list] = {}
        for event in events:
            by_case.setdefault(event.case_id, []).append(event)
        counted = []
        for case_events in by_case.values():
            case = case_events[0].case
            moves = [(e.data["sector"], e.data.get("school")) for e in case_events
                     if e.kind == "registration_changed" and isinstance(e.data, dict) and "sector" in e.data]
            sector, school = moves[0] if moves else (case.sector, case.school_id)
            for event in case_events:
                if event.kind == "registration_changed":
                    if isinstance(event.data, dict) and "sector" in event.data:
                        sector, school = event.data["sector"], event.data.get("school")
                    continue
                event._dims = (case.region_id, sector, school)
                counted.append(event)
        MonitorTally.objects.bulk_create(
            [row for row in tallies_for(counted, MonitorTally)
             if row.measure.startswith("doorbraak:") or row.measure.startswith("absent_to_start:")])


class Migration(migrations.Migration):

    dependencies = [
        ('casework', '0021_monitor_spells'),
    ]

    operations = [
        migrations.AddField(
            model_name='vrijstelling',
            name='recorded_with_signal',
            field=models.BooleanField(default=False, verbose_name='recorded with the signal'),
        ),
        migrations.RunPython(rebuild_changed_measures, migrations.RunPython.noop),
    ]
