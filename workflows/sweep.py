"""The sweep, composed once: act on the clocks whose time has passed, climb the ladder where a
task stalled (`workflows.climb`), hand back finished escalations and due start dates to the flows
waiting for them, announce the tasks whose follow-up date has come, and compact the monitor's
rollup. The `sweep_deadlines` command and the Celery beat task both run it; each part acts
exactly once however many sweepers run.
"""

from django.utils import timezone

from casework.services import compact_tallies, sweep_due
from workflows.climb import climb_stalled
from workflows.services import announce_follow_ups
from workflows.waits import release_finished_escalations


def sweep(now=None) -> dict[str, int]:
    """One sweep at `now` (default: the current time); returns what it did, by kind."""
    now = now or timezone.now()
    result = sweep_due(now)
    return {"warned": result.warned, "breached": result.breached, "passed": result.passed,
            "climbed": climb_stalled(now),
            "released": release_finished_escalations(), "followed_up": announce_follow_ups(now),
            "compacted": compact_tallies()}
