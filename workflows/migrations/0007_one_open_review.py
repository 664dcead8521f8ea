"""At most one open periodic review per case and reason: the `case_review` tasks that piled up
before the rule (one every six weeks for a pupil reported sick, whether or not the last was done)
are cancelled, keeping the oldest open one per case and reason, each with a `review_merged` event
on its case."""

from django.db import migrations
from django.utils import timezone

OPEN = ("NEW", "ASSIGNED", "STARTED")


def merge_open_reviews(apps, schema_editor=None) -> int:
    """Cancel every open review task but the oldest per case and reason; returns how many."""
    CaseTask = apps.get_model("workflows", "CaseTask")
    Process = apps.get_model("viewflow", "Process")
    CaseEvent = apps.get_model("casework", "CaseEvent")
    now = timezone.now()
    kept: dict[tuple[int, str], int] = {}
    cancelled = 0
    tasks = (CaseTask.objects.filter(status__in=OPEN, flow_task_type="HUMAN", case__isnull=False,
                                     process__data__has_key="reason")
             .order_by("created", "pk").values_list("pk", "case_id", "process_id", "process__data"))
    for pk, case_id, process_id, data in tasks:
        key = (case_id, (data or {}).get("reason", ""))
        if key not in kept:
            kept[key] = pk
            continue
        CaseTask.objects.filter(pk=pk).update(status="CANCELED", finished=now)
        Process.objects.filter(pk=process_id).update(status="CANCELED", finished=now)
        CaseEvent.objects.create(case_id=case_id, actor=None, kind="review_merged", at=now,
                                 data={"task_id": pk, "kept_task_id": kept[key], "trigger": key[1]})
        cancelled += 1
    return cancelled


class Migration(migrations.Migration):

    dependencies = [
        ("workflows", "0006_ladder_roles"),
        ("casework", "0023_ladder"),
        ("viewflow", "__latest__"),
    ]

    operations = [
        migrations.RunPython(merge_open_reviews, migrations.RunPython.noop),
    ]
