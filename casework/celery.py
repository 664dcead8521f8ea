"""Celery application: Redis broker in production, eager (in-process) without REDIS_URL."""

import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casework.settings")

app = Celery("casework")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def keep_djangos_logging(**kwargs) -> None:
    """The worker and beat log through Django's LOGGING (the personal-data filter, one time zone
    with its name in every line) instead of setting up Celery's own handlers and format."""
