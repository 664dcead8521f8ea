"""Celery tasks of the case domain (run by Celery beat in production, eagerly without Redis)."""

from celery import shared_task
from django.utils import timezone


@shared_task(name="casework.sweep_deadlines")
def sweep_deadlines() -> dict:
    """The deadline sweeper, on the beat schedule (CELERY_BEAT_SCHEDULE in settings)."""
    from casework.deadlines import sweep_due
    from workflows.flows import release_finished_escalations

    result = sweep_due(timezone.now())
    return {"warned": result.warned, "breached": result.breached, "passed": result.passed,
            "released": release_finished_escalations()}


@shared_task(name="casework.apply_retention")
def apply_retention() -> int:
    """The retention run, daily on the beat schedule."""
    from casework.retention import apply_retention as run

    return len(run(timezone.now()))
