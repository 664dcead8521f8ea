"""Helpers to walk cases through the flow in tests (and benchmarks)."""

from datetime import timedelta

from django.utils import timezone
from rest_framework.test import APIClient
from viewflow.workflow.status import STATUS

from casework.models import Case
from teams.models import School, SchoolBoard, Team, User
from tests.factories import signal_payload
from workflows.inbox import nodes_named
from workflows.models import CaseTask

OPEN = [STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED]


def api_client(user=None) -> APIClient:
    """A DRF test client signed in as `user` (or anonymous with None): the `api` fixture's, and
    what a module-scoped fixture builds its data with."""
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def users(demo) -> dict[str, User]:
    return {role: User.objects.get(username=name) for role, name in demo["users"].items()}


def signal(api, user, school_id, **overrides) -> Case:
    school = School.objects.get(pk=school_id) if school_id else None
    response = api(user).post("/api/cases/", signal_payload(school, **overrides), format="json")
    assert response.status_code == 201, response.content
    return Case.objects.get(pk=response.json()["id"])


def open_nodes(case) -> list[str]:
    tasks = CaseTask.objects.filter(case=case, status__in=OPEN, flow_task_type="HUMAN")
    return sorted(task.node_name for task in tasks)


def open_task(case, node: str) -> CaseTask:
    return CaseTask.objects.get(case=case, status__in=OPEN, flow_task__in=nodes_named(node))


def complete(api, user, case, node: str, payload: dict, expect: int = 200):
    task = open_task(case, node)
    response = api(user).post(f"/api/tasks/{task.pk}/complete/", payload, format="json")
    assert response.status_code == expect, response.content
    return response


def event_kinds(case, *, clocks: bool = False) -> list[str]:
    """The case's event kinds in order; the clocks' deadline_* events only when asked."""
    kinds = case.events.order_by("at", "pk").values_list("kind", flat=True)
    return [kind for kind in kinds if clocks or not kind.startswith("deadline_")]


def status_of(case) -> str:
    return Case.objects.get(pk=case.pk).status


def in_days(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def board_and_school(demo, key: str = "vo_2") -> tuple[int, int]:
    school = School.objects.get(pk=demo["schools"][key])
    return SchoolBoard.objects.get(pk=school.board_id).pk, school.pk


def mbo_institution(demo) -> tuple[School, Team, User]:
    """The demo's MBO institution, its own team (kind mbo) and that team's coordinator (`mbo`)."""
    school = School.objects.get(pk=demo["schools"]["mbo"])
    return school, Team.objects.get(school=school, kind=Team.Kind.MBO), User.objects.get(username=demo["users"]["mbo"])
