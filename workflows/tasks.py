"""Celery tasks of the flows (run by Celery beat in production, eagerly without Redis)."""

from celery import shared_task

from workflows.sweep import sweep


# The name is the one CELERY_BEAT_SCHEDULE (settings) has always used.
@shared_task(name="casework.sweep_deadlines")
def sweep_deadlines() -> dict:
    """The deadline sweeper, on the beat schedule (CELERY_BEAT_SCHEDULE in settings); it also
    hands back finished escalations and announces the tasks whose follow-up date has come."""
    return sweep()
