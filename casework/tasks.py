"""Celery tasks of the case domain (run by Celery beat in production, eagerly without Redis).

The deadline sweep ("casework.sweep_deadlines") is composed with the flows' hand-backs, so it is
a task of workflows (workflows.tasks), under the same name."""

from celery import shared_task
from django.utils import timezone

from casework.services.idempotency import purge_expired
from casework.services.retention import apply_retention as run_retention
from chain.services import expire_unmatched


@shared_task(name="casework.apply_retention")
def apply_retention() -> int:
    """The retention run, daily on the beat schedule: closed cases, the chain's unmatched reports,
    and the API's stored answers to idempotent requests once their 24 hours have passed."""
    now = timezone.now()
    purge_expired(now)
    return len(run_retention(now)) + expire_unmatched(now)
