"""Races on PostgreSQL with real, separate connections (one per thread)."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from casework.models import CaseEvent, Plan
from tests.flowkit import open_nodes, open_task, signal, users

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def run_at_once(calls):
    """Run the callables in threads released together; return their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_clients_complete_the_same_task_at_once(api, demo):
    u = users(demo)
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    task = open_task(case, "team_review")

    def complete_as(user):
        def call():
            client = APIClient()
            client.force_authenticate(user)
            response = client.post(f"/api/tasks/{task.pk}/complete/", {"plan": "Plan", "routes": ["jim"]},
                                    format="json")
            return response.status_code

        return call

    statuses = run_at_once([complete_as(u["aoj"]), complete_as(u["aoj_2"])])
    assert sorted(statuses) == [200, 409]
    assert CaseEvent.objects.filter(case=case, kind="team_review").count() == 1
    assert Plan.objects.filter(case=case).count() == 1
    assert open_nodes(case) == ["jim_assignment"]


def test_two_clients_claim_the_same_task_at_once(api, demo):
    u = users(demo)
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    task = open_task(case, "team_review")

    def claim_as(user):
        def call():
            client = APIClient()
            client.force_authenticate(user)
            return client.post(f"/api/tasks/{task.pk}/claim/").status_code

        return call

    statuses = run_at_once([claim_as(u["aoj"]), claim_as(u["aoj_2"])])
    assert sorted(statuses) == [200, 409]
    task.refresh_from_db()
    assert task.owner in (u["aoj"], u["aoj_2"]) and task.status == "ASSIGNED"


def test_four_sweepers_breach_each_of_200_clocks_exactly_once(db):
    import datetime as dt

    from django.db.models import Count
    from django.utils import timezone

    from casework.models import Deadline
    from casework.services import sweep_due
    from tests.factories import CaseFactory, SchoolFactory

    school = SchoolFactory()
    past = timezone.now() - dt.timedelta(hours=1)
    cases = [CaseFactory(school=school) for _ in range(200)]
    Deadline.objects.bulk_create([Deadline(case=case, kind="team_action_48h", due_at=past) for case in cases])
    now = timezone.now()

    results = run_at_once([lambda: sweep_due(now) for _ in range(4)])
    assert sum(result.breached for result in results) == 200
    events = CaseEvent.objects.filter(kind="deadline_breached")
    assert events.count() == 200
    per_clock = events.values("data__deadline_id").annotate(n=Count("id")).values_list("n", flat=True)
    assert set(per_clock) == {1}
    assert Deadline.objects.filter(breached_at__isnull=True).count() == 0
