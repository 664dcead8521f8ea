"""The tasks API: lists, claim/unclaim/complete, and the error answers (400/403/404/409)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers

from casework import services
from casework.models import Case, CaseEvent, Plan, RouteRun
from tests.factories import MembershipFactory, UserFactory
from tests.flowkit import complete, open_nodes, open_task, signal
from workflows.models import CaseTask

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(api, demo, u):
    return signal(api, u["aoj"], demo["schools"]["vo"])


def snapshot(case):
    return (
        Case.objects.get(pk=case.pk).status,
        CaseEvent.objects.filter(case=case).count(),
        sorted(CaseTask.objects.filter(case=case).values_list("pk", "status", "owner_id")),
        Plan.objects.filter(case=case).count(),
        RouteRun.objects.filter(case=case).count(),
    )


def test_lists_by_scope(api, case, u):
    task = open_task(case, "team_review")
    queue = api(u["aoj_2"]).get("/api/tasks/?scope=queue").json()
    assert [t["id"] for t in queue["results"]] == [task.pk]
    row = queue["results"][0]
    assert row["flow_task"] == "team_review" and row["case"] == case.pk and row["status"] == "NEW"
    assert row["assigned_to"] is None and row["title"]
    assert row["due_at"] == serializers.DateTimeField().to_representation(case.deadlines.get(kind="team_action_48h").due_at)
    assert set(row) == {"id", "case", "flow_task", "node", "title", "status", "assigned_to", "team", "created",
                        "due_at", "follow_up_on", "payload_schema"}
    assert api(u["aoj_2"]).get("/api/tasks/?scope=mine").json()["count"] == 0

    assert api(u["aoj_2"]).post(f"/api/tasks/{task.pk}/claim/").json()["assigned_to"] == "aoj_2"
    assert api(u["aoj_2"]).get("/api/tasks/?scope=mine").json()["count"] == 1
    assert api(u["aoj_2"]).get("/api/tasks/?scope=queue").json()["count"] == 0
    assert api(u["aoj"]).get("/api/tasks/?scope=queue").json()["count"] == 0  # claimed: out of the queue

    complete(api, u["aoj_2"], case, "team_review", {"plan": "P", "routes": ["jim"]})
    archive = api(u["aoj_2"]).get("/api/tasks/?scope=archive").json()
    assert [t["flow_task"] for t in archive["results"]] == ["team_review"]
    assert archive["results"][0]["status"] == "DONE"
    assert api(u["aoj_2"]).get("/api/tasks/?scope=everything").status_code == 400


def test_filters_by_node_team_and_school(api, demo, case, u):
    other = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Tweede")
    complete(api, u["aoj"], other, "team_review", {"plan": "P", "routes": ["jim"]})
    mine = api(u["aoj_2"])
    assert {t["flow_task"] for t in mine.get("/api/tasks/?scope=queue").json()["results"]} == {
        "team_review", "jim_assignment"}
    assert [t["case"] for t in mine.get("/api/tasks/?scope=queue&node=jim_assignment").json()["results"]] == [
        other.pk]
    team = open_task(case, "team_review").team_id
    assert mine.get(f"/api/tasks/?scope=queue&team={team}").json()["count"] == 2
    assert mine.get(f"/api/tasks/?scope=queue&school={demo['schools']['vo_2']}").json()["count"] == 0


def test_unclaim_returns_task_to_queue(api, case, u):
    task = open_task(case, "team_review")
    api(u["aoj"]).post(f"/api/tasks/{task.pk}/claim/")
    assert api(u["aoj_2"]).post(f"/api/tasks/{task.pk}/unclaim/").status_code == 403
    response = api(u["aoj"]).post(f"/api/tasks/{task.pk}/unclaim/")
    assert response.status_code == 200 and response.json()["assigned_to"] is None
    assert api(u["aoj"]).post(f"/api/tasks/{task.pk}/unclaim/").status_code == 409
    assert api(u["aoj_2"]).get("/api/tasks/?scope=queue").json()["count"] == 1


def test_outsider_gets_404_on_every_task_endpoint(api, case, u):
    task = open_task(case, "team_review")
    outsider = api(u["outsider"])
    before = snapshot(case)
    assert outsider.get("/api/tasks/?scope=queue").json()["count"] == 0
    assert outsider.get(f"/api/tasks/{task.pk}/").status_code == 404
    for verb in ("claim", "unclaim", "complete"):
        assert outsider.post(f"/api/tasks/{task.pk}/{verb}/", {"plan": "x", "outcome": "anders"},
                             format="json").status_code == 404
    assert outsider.post("/api/tasks/999999/claim/").status_code == 404
    assert snapshot(case) == before


def test_claimed_by_someone_else_is_409(api, case, u):
    task = open_task(case, "team_review")
    api(u["aoj"]).post(f"/api/tasks/{task.pk}/claim/")
    before = snapshot(case)
    assert api(u["aoj_2"]).post(f"/api/tasks/{task.pk}/claim/").status_code == 409
    response = api(u["aoj_2"]).post(f"/api/tasks/{task.pk}/complete/", {"plan": "P", "routes": ["jim"]},
                                    format="json")
    assert response.status_code == 409
    assert snapshot(case) == before


def test_completed_task_is_409(api, case, u):
    task = open_task(case, "team_review")
    complete(api, u["aoj"], case, "team_review", {"plan": "P", "routes": ["jim"]})
    before = snapshot(case)
    response = api(u["aoj"]).post(f"/api/tasks/{task.pk}/complete/", {"plan": "P", "routes": ["jim"]},
                                  format="json")
    assert response.status_code == 409
    assert api(u["aoj"]).post(f"/api/tasks/{task.pk}/claim/").status_code == 409
    assert snapshot(case) == before


def test_visible_case_but_other_teams_task_is_403(api, case, u):
    complete(api, u["aoj"], case, "team_review", {"plan": "P", "routes": ["doorbraak"]})
    task = open_task(case, "doorbraak_decision")
    before = snapshot(case)
    # the AOJ member sees the case, but the doorbraak is the MPL chair's
    payload = {"school_board": 1, "start_date": "2030-01-01", "preference_followed": True}
    for verb in ("claim", "complete"):
        response = api(u["aoj"]).post(f"/api/tasks/{task.pk}/{verb}/", payload, format="json")
        assert response.status_code == 403
        assert response.json()["detail"]
    # a plain member of the MPL commission is not its chair
    member = UserFactory()
    MembershipFactory(user=member, team=task.team, role="member")
    assert api(member).post(f"/api/tasks/{task.pk}/claim/").status_code == 403
    assert api(member).get("/api/tasks/?scope=queue").json()["count"] == 0
    assert api(u["mpl_chair"]).get("/api/tasks/?scope=queue").json()["count"] == 1
    assert snapshot(case) == before


def test_four_eyes_in_queue_and_claim(api, case, u):
    complete(api, u["aoj"], case, "team_review", {"plan": "P", "ect_question_kind": "handelingsadvies", "routes": ["ect_consult"]})
    complete(api, u["ect"], case, "ect_draft", {"question": "Q", "advice": "A"})
    task = open_task(case, "ect_approve")
    assert api(u["ect"]).get("/api/tasks/?scope=queue").json()["count"] == 0
    assert [t["id"] for t in api(u["ect_2"]).get("/api/tasks/?scope=queue").json()["results"]] == [task.pk]
    response = api(u["ect"]).post(f"/api/tasks/{task.pk}/claim/")
    assert response.status_code == 403 and "ECT" in response.json()["detail"]


BAD_REVIEWS = [
    ({"routes": ["jim"]}, "plan"),
    ({"plan": "P", "routes": ["unknown_route"]}, "routes"),
    ({"plan": "P", "routes": ["jim"], "outcome": "terug_naar_school"}, "outcome"),
    ({"plan": "P", "routes": []}, "outcome"),
    ({"plan": "P", "outcome": "weggelopen"}, "outcome"),
    ({"plan": "   ", "routes": ["jim"]}, "plan"),
]


@pytest.mark.parametrize(("payload", "field"), BAD_REVIEWS)
def test_bad_team_review_payload_is_400_and_changes_nothing(api, case, u, payload, field):
    before = snapshot(case)
    response = complete(api, u["aoj"], case, "team_review", payload, expect=400)
    assert field in response.json(), response.json()
    assert snapshot(case) == before


@pytest.mark.parametrize(("payload", "field"), [
    ({"school_board": 999999, "start_date": "2030-01-01", "preference_followed": True}, "school_board"),
    ({"start_date": "2030-01-01", "preference_followed": True}, "school_board"),
    ({"school_board": "BOARD", "start_date": "niet-een-datum", "preference_followed": True}, "start_date"),
    ({"school_board": "BOARD", "start_date": "2030-01-01"}, "preference_followed"),
    ({"school_board": "BOARD", "start_date": "2030-01-01", "preference_followed": False}, "motivation"),
    ({"school_board": "BOARD", "school": "OTHER_SCHOOL", "start_date": "2030-01-01",
      "preference_followed": True}, "school"),
])
def test_bad_doorbraak_payload_is_400_and_changes_nothing(api, demo, case, u, payload, field):
    from tests.flowkit import board_and_school

    complete(api, u["aoj"], case, "team_review", {"plan": "P", "routes": ["doorbraak"]})
    board, _school = board_and_school(demo, "vo_2")
    payload = {k: (board if v == "BOARD" else demo["schools"]["vo"] if v == "OTHER_SCHOOL" else v)
               for k, v in payload.items()}
    before = snapshot(case)
    response = complete(api, u["mpl_chair"], case, "doorbraak_decision", payload, expect=400)
    assert field in response.json(), response.json()
    assert snapshot(case) == before
    assert open_nodes(case) == ["doorbraak_decision"]


def test_non_object_payload_is_400(api, case, u):
    task = open_task(case, "team_review")
    response = api(u["aoj"]).post(f"/api/tasks/{task.pk}/complete/", ["plan"], format="json")
    assert response.status_code == 400


def test_case_with_running_route_cannot_be_closed(api, case, u):
    complete(api, u["aoj"], case, "team_review", {"plan": "P", "routes": ["jim"]})
    # Only the service can be asked this directly: the flow offers no review while a route runs.
    with pytest.raises(ValidationError) as error:
        services.record_team_review(case=case, actor=u["aoj"], plan="Sluiten", routes=[], outcome="anders")
    assert "outcome" in error.value.message_dict
    assert Case.objects.get(pk=case.pk).status == "active"


def test_inbox_query_count_does_not_grow_with_tasks(api, client, demo, u):
    """Both the API list and the HTML inbox cost the same number of queries for 1 or 16 tasks."""
    client.force_login(u["aoj_2"])
    api_client = api(u["aoj_2"])
    pages = {
        "api": lambda: api_client.get("/api/tasks/?scope=queue"),
        "html": lambda: client.get("/tasks/queue/"),
    }
    signal(api, u["aoj"], demo["schools"]["vo"], given_name="Kind0")
    counts = {}
    for name, fetch in pages.items():
        fetch()
        with CaptureQueriesContext(connection) as ctx:
            assert fetch().status_code == 200
        counts[name] = len(ctx.captured_queries)
    for n in range(1, 16):
        signal(api, u["aoj"], demo["schools"]["vo"], given_name=f"Kind{n}")
    for name, fetch in pages.items():
        with CaptureQueriesContext(connection) as ctx:
            response = fetch()
        assert len(ctx.captured_queries) == counts[name], name
    assert api_client.get("/api/tasks/?scope=queue").json()["count"] == 16
    assert response.context["page"].paginator.count == 16
