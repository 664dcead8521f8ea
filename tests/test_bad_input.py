"""No input answers 500: deep JSON, a non-ASCII calendar token, out-of-range dates and ids on the
access log, and meeting actions with ids that are not numbers are each a 400 or 404."""

import pytest
from django.utils import timezone

from casework.access import MAX_ID
from teams.models import School, Team
from tests.flowkit import signal
from workflows.models import Meeting

pytestmark = pytest.mark.django_db
TOO_BIG = "9" * 20


def test_deeply_nested_json_is_a_400_without_signing_in(client):
    body = "[" * 5000 + "]" * 5000
    response = client.post("/api/cases/", body, content_type="application/json")
    assert response.status_code in (400, 401, 403)  # never a RecursionError
    signed_in = client.post("/api/auth/token/", body, content_type="application/json")
    assert signed_in.status_code == 400 and "nest" in signed_in.json()["detail"]


def test_deep_json_is_refused_with_a_clear_message(api, u):
    body = '{"a":' * 100 + "1" + "}" * 100
    response = api(u["aoj"]).post("/api/cases/", body, content_type="application/json")
    assert response.status_code == 400 and "32" in response.json()["detail"]
    ok = '{"given_name": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}'  # brackets in a string do not count
    assert api(u["aoj"]).post("/api/cases/", ok, content_type="application/json").status_code == 400
    assert "nest" not in str(api(u["aoj"]).post("/api/cases/", ok, content_type="application/json").json())


def test_non_ascii_calendar_token_is_a_404(client, demo):
    team = Team.objects.get(school_id=demo["schools"]["vo"], kind="aoj")
    assert client.get(f"/teams/{team.pk}/calendar/%C3%A9.ics").status_code == 404
    assert client.get(f"/teams/{team.pk}/calendar/{'é' * 40}.ics").status_code == 404


@pytest.mark.parametrize("query", [{"since": "0001-01-01"}, {"until": "9999-12-31"}, {"case": TOO_BIG},
                                   {"team": TOO_BIG}, {"case": str(MAX_ID + 1)}])
def test_access_log_out_of_range_is_a_400(client, u, query):
    client.force_login(u["privacy_officer"])
    assert client.get("/privacy/access-log/", query).status_code == 400
    assert client.get("/privacy/access-log.csv", query).status_code == 400


def test_breach_with_an_out_of_range_case_number_is_a_400(client, u, demo):
    client.force_login(u["privacy_officer"])
    region = School.objects.get(pk=demo["schools"]["vo"]).region_id
    response = client.post("/privacy/breaches/", {"region": region, "what": "x", "cases": TOO_BIG,
                                                  "discovered_at": "2026-01-01T10:00", "risk": "low"})
    assert response.status_code == 400


@pytest.fixture
def meeting(client, api, demo, u):
    team = Team.objects.get(school_id=demo["schools"]["vo"], kind="aoj")
    signal(api, u["aoj"], demo["schools"]["vo"])
    client.force_login(u["aoj"])
    Meeting.objects.filter(team=team).delete()
    client.post(f"/teams/{team.pk}/meetings/")
    meeting = Meeting.objects.filter(team=team).first() or Meeting.objects.create(
        team=team, starts_at=timezone.now(), chair=u["aoj"])
    return meeting


@pytest.mark.parametrize("data", [
    {"action": "add", "task": "abc"}, {"action": "add", "task": TOO_BIG}, {"action": "add"},
    {"action": "up", "item": "abc"}, {"action": "down", "item": TOO_BIG}, {"action": "up"},
    {"action": "minutes", "item": "abc", "minutes": "x"}, {"action": "minutes", "item": TOO_BIG},
    {"action": "attendance", "present": ["abc"]}, {"action": "attendance", "present": [TOO_BIG]},
    {"action": "action", "item": "abc", "action_text": "x", "owner": "1", "due_on": "2030-01-01"},
    {"action": "action", "item": "1", "action_text": "x", "owner": TOO_BIG, "due_on": "2030-01-01"},
    {"action": "action", "item": "1", "action_text": "x", "owner": "1", "due_on": "2030-13-45"},
    {"action": "nonsense"},
])
def test_meeting_actions_with_bad_ids_are_a_400(client, meeting, data):
    response = client.post(f"/meetings/{meeting.pk}/", data)
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/meetings/{big}/", "/meetings/{big}/print/", "/teams/{big}/meetings/",
                                  "/teams/{big}/calendar/abc.ics", "/cases/{big}/access-log/",
                                  "/privacy/breaches/{big}/", "/api/cases/{big}/", "/api/tasks/{big}/"])
def test_ids_out_of_range_in_paths_are_a_404(client, u, path):
    client.force_login(u["aoj"])
    assert client.get(path.format(big=TOO_BIG)).status_code == 404
