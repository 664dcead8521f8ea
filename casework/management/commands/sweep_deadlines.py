"""Act on the clocks whose warning or due time has passed (once, or in a loop for `make run`)."""

import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from casework.deadlines import sweep_due
from workflows.flows import release_finished_escalations


class Command(BaseCommand):
    help = "Warn and breach the clocks whose time has passed; each exactly once, however many run."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep sweeping until stopped.")
        parser.add_argument("--interval", type=int, default=60, help="Seconds between sweeps in --loop mode.")

    def handle(self, *args, **options):
        while True:
            result = sweep_due(timezone.now())
            released = release_finished_escalations()
            if result.total or released or not options["loop"]:
                self.stdout.write(
                    f"{timezone.now():%Y-%m-%d %H:%M:%S} swept: {result.warned} warned, {result.breached} breached, "
                    f"{result.passed} LRV marks, {released} escalations handed back"
                )
            if not options["loop"]:
                return
            time.sleep(max(1, options["interval"]))
