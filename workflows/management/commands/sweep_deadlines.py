"""Act on the clocks whose warning or due time has passed (once, or in a loop for `make run`, where
it also stands in for Celery beat's re-queue of the notification outbox)."""

import logging
import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from notifications.tasks import push_pending
from workflows.sweep import sweep

log = logging.getLogger("casework.sweeper")


class Command(BaseCommand):
    help = ("Warn and breach the clocks whose time has passed, and announce tasks whose follow-up date has come; "
            "each exactly once, however many run. Then queue the notification outbox's due entries again.")

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep sweeping until stopped.")
        parser.add_argument("--interval", type=int, default=60, help="Seconds between sweeps in --loop mode.")

    def handle(self, *args, **options):
        while True:
            done = sweep(timezone.now())
            summary = (f"swept: {done['warned']} warned, {done['breached']} breached, {done['passed']} LRV marks, "
                       f"{done['climbed']} stalled tasks climbed, {done['released']} escalations handed back, {done['followed_up']} follow-ups announced, "
                       f"{done['compacted']} rollup rows compacted")
            # Without a beat (`make run`) this is where the outbox entries whose fan-out failed or
            # never ran are queued again, and what a failed push left is pushed (the beat's
            # `push-pending-notifications`; idempotent beside it).
            requeued = push_pending()
            if not options["loop"]:
                self.stdout.write(f"{summary}; {requeued} outbox entries queued again")
                return
            if any(done.values()) or requeued:  # beside the server's log (make run): the same format and clock
                log.info("%s; %s outbox entries queued again", summary, requeued)
            time.sleep(max(1, options["interval"]))
