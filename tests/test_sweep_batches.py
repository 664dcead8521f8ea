"""The sweeper's batches are set-based: a batch of 48-hour breaches costs the same statements
whether it holds 2 clocks or 10 (the ECT joins the batch's cases in one INSERT, the events and
the breach notices are one INSERT each), and still acts on each clock exactly once: one breach
event, the ECT on the case once, one outbox entry fanned out to the same audience as a breach
swept alone (the case team's coordinator and the region's ECT)."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casework.models import CaseEvent, CaseParticipant, Deadline
from casework.services import sweep_due
from notifications import delivery
from notifications.models import Notification, OutboxEntry
from teams.models import Team
from tests.flowkit import signal
from tests.test_outbox import NoWorker

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 9, 7, 9, 0, tzinfo=dt.UTC)  # a Monday morning


def clocks_due(cases, at) -> None:
    """The cases' 48-hour clocks run out at `at` (their warning already given)."""
    Deadline.objects.filter(case__in=cases, kind="team_action_48h").update(due_at=at, warn_at=None)


def test_a_batch_of_breaches_costs_the_same_statements_for_2_or_10_and_acts_once(api, demo, u):
    with time_machine.travel(START, tick=False) as clock:
        few = [signal(api, u["aoj"], demo["schools"]["vo"], family_name=f"Weinig{n}") for n in range(2)]
        many = [signal(api, u["aoj"], demo["schools"]["vo"], family_name=f"Veel{n}") for n in range(10)]
        Deadline.objects.filter(case__in=few + many, kind="team_action_48h").update(
            due_at=START + dt.timedelta(days=30), warn_at=None)
        Notification.objects.all().delete()
        OutboxEntry.objects.all().delete()
        cost = {}
        for name, cases, hours in (("few", few, 1), ("many", many, 2)):
            clocks_due(cases, START + dt.timedelta(hours=hours))
            clock.move_to(START + dt.timedelta(hours=hours, minutes=1))
            # The fan-out is queued (a worker's work after the batch commits), not run in the sweep.
            with NoWorker(), CaptureQueriesContext(connection) as queries:
                assert sweep_due().breached == len(cases)
            cost[name] = len(queries.captured_queries)
        for entry_id in OutboxEntry.objects.values_list("pk", flat=True):  # the worker
            delivery.fan_out(entry_id)
        assert cost["few"] == cost["many"], cost
        clock.move_to(START + dt.timedelta(hours=3))
        assert sweep_due().total == 0  # nothing twice

    ect = Team.objects.get(region=few[0].region, kind="ect")
    for case in few + many:
        assert CaseEvent.objects.filter(case=case, kind="deadline_breached").count() == 1
        assert CaseParticipant.objects.filter(case=case, team=ect).count() == 1
        entry = OutboxEntry.objects.get(case=case, kind="deadline_breached")
        assert entry.fanned_out_at is not None
        told = sorted(Notification.objects.filter(source=entry).values_list("recipient__username", flat=True))
        assert told == ["aoj", "ect", "ect_2"], told
