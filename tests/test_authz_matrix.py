"""The authorisation matrix: every role of seed_demo × every case state × every case-related
endpoint (web and API, exports included) → the expected answer. 404 when the case is not
visible to the role, 403 when it is visible but the action is not theirs, 401/302 anonymous."""

import pytest
from rest_framework.test import APIClient

from tests.flowkit import board_and_school, complete, in_days, open_task, signal, users
from workflows.models import CaseTask

pytestmark = pytest.mark.django_db

ROLES = ["aoj", "aoj_2", "kindteam", "ect", "ect_2", "leerplicht", "mpl_chair", "doe_chair", "swv_director",
         "privacy_officer", "outsider", "anonymous"]
STATES = ["signalled", "active", "escalated", "placed", "closed"]

# Who sees the VO case (school `vo`) in each state: its AOJ-team, and the MPL commission once
# the case is on the escalation ladder.
VISIBLE = {
    "signalled": {"aoj", "aoj_2"},
    "active": {"aoj", "aoj_2"},
    "escalated": {"aoj", "aoj_2", "mpl_chair"},
    "placed": {"aoj", "aoj_2", "mpl_chair"},
    "closed": {"aoj", "aoj_2"},
}
# The case's open task in each state and who may take it (closed: its last, completed task).
TASK = {
    "signalled": ("team_review", {"aoj", "aoj_2"}),
    "active": ("jim_assignment", {"aoj", "aoj_2"}),
    "escalated": ("doorbraak_decision", {"mpl_chair"}),
    "placed": ("start_confirmation", {"aoj", "aoj_2"}),  # the place starts today: the team confirms
    "closed": ("team_review", set()),
}
COORDINATORS = {"aoj"}
CASE_TEAM = {"aoj", "aoj_2"}  # the school's AOJ-team: sends personal links  # coordinators of a team on the case: who-looked-at-this-file
PRIVACY = {"privacy_officer"}


def seen(role, state, yes=200):
    if role == "anonymous":
        return None  # filled per channel: 302 web, 401 API
    return yes if role in VISIBLE[state] else 404


def claim_answer(role, state):
    if role not in VISIBLE[state]:
        return 404
    if state == "closed":
        return 409
    return 200 if role in TASK[state][1] else 403


# endpoint: (channel, method, url(case, task), expected(role, state))
ENDPOINTS = {
    "case page": ("web", "get", lambda c, t: f"/cases/{c.pk}/", seen),
    "case API": ("api", "get", lambda c, t: f"/api/cases/{c.pk}/", seen),
    "who looked (web)": ("web", "get", lambda c, t: f"/cases/{c.pk}/access-log/",
                         lambda r, s: seen(r, s) if r not in VISIBLE[s] else (200 if r in COORDINATORS else 403)),
    "personal link form (web)": ("web", "get", lambda c, t: f"/cases/{c.pk}/links/new/",
                                 lambda r, s: seen(r, s) if r not in VISIBLE[s] else (200 if r in CASE_TEAM else 403)),
    "JIM mentor page": ("web", "get", lambda c, t: f"/cases/{c.pk}/mentor/",
                        lambda r, s: None if r == "anonymous" else 404),
    "task page": ("web", "get", lambda c, t: f"/task/{t.pk}/", seen),
    "task API": ("api", "get", lambda c, t: f"/api/tasks/{t.pk}/", seen),
    "access log export (CSV)": ("web", "get", lambda c, t: f"/privacy/access-log.csv?case={c.pk}",
                                lambda r, s: None if r == "anonymous" else (200 if r in PRIVACY else 404)),
    "subject access export (JSON)": ("web", "get", lambda c, t: f"/privacy/subject-access/{c.child_id}/?format=json",
                                     lambda r, s: None if r == "anonymous" else (200 if r in PRIVACY else 404)),
    # last, because it changes the task
    "task claim API": ("api", "post", lambda c, t: f"/api/tasks/{t.pk}/claim/",
                       lambda r, s: None if r == "anonymous" else claim_answer(r, s)),
}


def build(api, demo, u, state):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    if state in ("active", "closed"):
        complete(api, u["aoj"], case, "team_review",
                 {"plan": "P", "routes": ["jim"]} if state == "active" else {"plan": "P", "outcome": "anders"})
    if state in ("escalated", "placed"):
        complete(api, u["aoj"], case, "team_review", {"plan": "P", "routes": ["doorbraak"]})
    if state == "placed":
        board, school = board_and_school(demo)
        complete(api, u["mpl_chair"], case, "doorbraak_decision", {
            "school_board": board, "school": school, "start_date": in_days(0), "preference_followed": True})
    case.refresh_from_db()
    assert case.status == state
    node = TASK[state][0]
    task = (open_task(case, node) if state != "closed"
            else CaseTask.objects.filter(case=case, flow_task_type="HUMAN").order_by("-pk").first())
    return case, task


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_matrix(client, api, demo, role, state):
    u = users(demo)
    case, task = build(api, demo, u, state)
    user = u.get(role)
    web, rest = client, APIClient()
    if user is not None:
        web.force_login(user)
        rest.force_authenticate(user)
    answers, expected = {}, {}
    for name, (channel, method, url, rule) in ENDPOINTS.items():
        want = rule(role, state)
        if want is None:  # anonymous
            want = 302 if channel == "web" else 401
        response = getattr(web if channel == "web" else rest, method)(url(case, task))
        answers[name], expected[name] = response.status_code, want
    assert answers == expected
