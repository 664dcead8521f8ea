"""Races and faults on PostgreSQL with real connections: many clients at once, and a worker
killed in the middle of a service call."""

import os
import signal as os_signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.test import APIClient

from casework.models import Case, CaseEvent, Plan
from teams.models import School
from tests.factories import signal_payload
from tests.flowkit import open_nodes, open_task, signal, users
from tests.test_concurrency import run_at_once

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parent.parent


def as_client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_fifty_clients_complete_the_same_task(api, demo):
    u = users(demo)
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    task = open_task(case, "team_review")
    members = [u["aoj"], u["aoj_2"]]

    def complete(n):
        return lambda: as_client(members[n % 2]).post(
            f"/api/tasks/{task.pk}/complete/", {"plan": f"Plan {n}", "routes": ["jim"]}, format="json").status_code

    statuses = run_at_once([complete(n) for n in range(50)])
    assert sorted(statuses) == [200] + [409] * 49
    assert CaseEvent.objects.filter(case=case, kind="team_review").count() == 1
    assert Plan.objects.filter(case=case).count() == 1
    assert open_nodes(case) == ["jim_assignment"]


def test_fifty_clients_signal_the_same_child(demo):
    u = users(demo)
    school = School.objects.get(pk=demo["schools"]["vo"])
    signallers = [u["aoj"], u["aoj_2"], u["leerplicht"]]

    def signal_once(n):
        return lambda: (signallers[n % 3].username, as_client(signallers[n % 3]).post(
            "/api/cases/", signal_payload(school), format="json").status_code)

    answers = run_at_once([signal_once(n) for n in range(50)])
    assert [status for _who, status in answers].count(201) == 1
    assert Case.objects.count() == 1
    case = Case.objects.get()
    # The AOJ-team is on the case (409 with its id); Leerplicht only when it opened the case (then a
    # participant), else its signals are forwarded (202).
    leerplicht_on_case = case.signalled_by == u["leerplicht"]
    for who, status in answers:
        if status != 201:
            assert status == (202 if who == "leerplicht" and not leerplicht_on_case else 409), (who, status)
    assert CaseEvent.objects.filter(case=case, kind="signalled").count() == 1
    assert CaseEvent.objects.filter(case=case, kind="signal_received").count() == 49
    assert open_nodes(case) == ["team_review"]


KILLED_WORKER = textwrap.dedent("""
    import os, sys, time
    import django
    django.setup()
    from django.db import transaction
    from workflows.flows import CaseFlow
    from workflows.services import complete_task
    from teams.models import User

    original = CaseFlow.team_review.service.__wrapped__  # the node holds its step's service

    def stalled(**kwargs):
        plan = original(**kwargs)              # the writes are done, the transaction is still open
        print("IN-TRANSACTION", plan.pk, flush=True)
        time.sleep(120)                        # killed here
        return plan

    CaseFlow.team_review.service = transaction.atomic(stalled)
    complete_task(user=User.objects.get(username="aoj"), task_id=int(sys.argv[1]),
                  data={"plan": "Halverwege gestopt", "routes": ["jim"]})
""")


def test_worker_killed_mid_service_leaves_nothing_half_written(api, demo):
    u = users(demo)
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    task = open_task(case, "team_review")
    settings_db = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "casework.settings",
           "DATABASE_URL": f"postgres://{settings_db['USER']}@{settings_db['HOST']}:{settings_db['PORT']}/"
                           f"{settings_db['NAME']}"}
    worker = subprocess.Popen([sys.executable, "-c", KILLED_WORKER, str(task.pk)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = worker.stdout.readline()
        assert line.startswith("IN-TRANSACTION"), worker.stderr.read()
        worker.send_signal(os_signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    # the transaction rolled back: no plan, no event, the task still open and the status unchanged
    assert not Plan.objects.filter(case=case).exists()
    assert not CaseEvent.objects.filter(case=case, kind="team_review").exists()
    assert Case.objects.get(pk=case.pk).status == "signalled"
    assert open_nodes(case) == ["team_review"]
    # and the task can be redone
    done = as_client(u["aoj"]).post(f"/api/tasks/{task.pk}/complete/", {"plan": "Opnieuw", "routes": ["jim"]},
                                    format="json")
    assert done.status_code == 200
    assert Plan.objects.get(case=case).text == "Opnieuw"
