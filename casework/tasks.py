"""Celery tasks of the case domain (run by Celery beat in production, eagerly without Redis)."""

from celery import shared_task
from django.utils import timezone


@shared_task(name="casework.sweep_deadlines")
def sweep_deadlines() -> dict:
    """The deadline sweeper, on the beat schedule (CELERY_BEAT_SCHEDULE in settings); it also
    announces the tasks whose follow-up date has come."""
    from casework.deadlines import sweep_due
    from workflows.flows import release_finished_escalations
    from workflows.tasks import announce_follow_ups

    now = timezone.now()
    result = sweep_due(now)
    return {"warned": result.warned, "breached": result.breached, "passed": result.passed,
            "released": release_finished_escalations(), "followed_up": announce_follow_ups(now)}


@shared_task(name="casework.apply_retention")
def apply_retention() -> int:
    """The retention run, daily on the beat schedule."""
    from casework.retention import apply_retention as run

    return len(run(timezone.now()))
