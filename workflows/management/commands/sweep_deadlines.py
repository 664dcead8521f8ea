"""Act on the clocks whose warning or due time has passed (once, or in a loop for `make run`)."""

import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from workflows.sweep import sweep


class Command(BaseCommand):
    help = ("Warn and breach the clocks whose time has passed, and announce tasks whose follow-up date has come; "
            "each exactly once, however many run.")

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep sweeping until stopped.")
        parser.add_argument("--interval", type=int, default=60, help="Seconds between sweeps in --loop mode.")

    def handle(self, *args, **options):
        while True:
            done = sweep(timezone.now())
            if any(done.values()) or not options["loop"]:
                self.stdout.write(
                    f"{timezone.now():%Y-%m-%d %H:%M:%S} swept: {done['warned']} warned, {done['breached']} breached, "
                    f"{done['passed']} LRV marks, {done['released']} escalations handed back, "
                    f"{done['followed_up']} follow-ups announced"
                )
            if not options["loop"]:
                return
            time.sleep(max(1, options["interval"]))
