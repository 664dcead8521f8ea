"""Every answer of version 1 is documented: each operation called with a bad id, without a token,
on another team's object, on a stale (completed) task and under a tight throttle answers a status
that its operation lists in /api/v1/openapi.json, as an application/problem+json problem."""

import datetime as dt

import pyotp
import pytest
from openapi_schema_validator import OAS30Validator
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from signin.tokens import issue_token
from tests.apiclient import v1_document
from tests.flowkit import complete, open_task, signal, users

pytestmark = pytest.mark.django_db
BAD_ID = 987654


def operations():
    document = v1_document()
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            # The anonymous token endpoints: tests/test_api_tokens.py and tests/test_machine_clients.py.
            if op["operationId"] not in ("getOpenApiDocument", "obtainToken", "obtainClientToken"):
                yield path, method, op


def call(client, method, path, ids):
    url = "/api/v1" + path.format(**ids)
    if method == "post" and path.endswith("/documents"):
        return client.post(url, {}, format="multipart")
    if method in ("post", "patch"):
        return getattr(client, method)(url, {}, format="json")
    return getattr(client, method)(url)


def check(answer, op, what):
    documented = set(op["responses"])
    assert str(answer.status_code) in documented, (
        f"{op['operationId']} ({what}): {answer.status_code} is not documented ({sorted(documented)}): "
        f"{answer.content[:300]}")
    if answer.status_code >= 400:
        assert answer["Content-Type"] == "application/problem+json", (op["operationId"], what)
        assert answer.json()["status"] == answer.status_code
    assert answer["API-Version"] == "1.0.0"


def client_for(user):
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user)[1]}")
    return client


def test_every_answer_is_documented(demo, api, monkeypatch):
    u = users(demo)
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    done = open_task(case, "team_review")
    complete(api, u["aoj"], case, "team_review", {"plan": "P", "routes": ["jim"]})
    open_ = open_task(case, "jim_assignment")
    mine = client_for(u["aoj"])
    note = mine.post(f"/api/v1/cases/{case.pk}/notes", {"text": "N"}, format="json").json()["id"]
    worklist = mine.post("/api/v1/worklists", {"name": "W", "scope": "queue"}, format="json").json()["id"]
    real = {"caseId": case.pk, "taskId": open_.pk, "noteId": note, "documentId": BAD_ID, "linkId": BAD_ID,
            "notificationId": BAD_ID, "worklistId": worklist, "subscriptionId": BAD_ID, "deliveryId": BAD_ID}
    bad = dict.fromkeys(real, BAD_ID)
    stale = {**real, "taskId": done.pk}
    outsider = client_for(u["outsider"])
    anonymous = client_for(None)
    for path, method, op in operations():
        check(call(anonymous, method, path, real), op, "no token")
        if "{" in path:
            check(call(mine, method, path, bad), op, "bad id")
            check(call(outsider, method, path, real), op, "another team's object")
        if "{taskId}" in path:
            check(call(mine, method, path, stale), op, "stale task")
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "1/min")
    for path, method, op in operations():
        # A token per call: a logout that got through ends its token (the throttle counts per user).
        call(client_for(u["aoj_2"]), method, path, bad)
        answer = call(client_for(u["aoj_2"]), method, path, bad)
        assert answer.status_code == 429 and int(answer["Retry-After"]) > 0, (op["operationId"], answer.status_code)
        check(answer, op, "tight throttle")


def test_problems_are_dutch_with_dotted_names_and_cover_unknown_routes(demo, api):
    u = users(demo)
    mine = client_for(u["aoj"])
    refused = mine.post("/api/v1/cases", {"child": {"given_name": "A"}, "registration": "lrv"}, format="json")
    body = refused.json()
    assert refused.status_code == 400 and refused["Content-Type"] == "application/problem+json"
    assert body["type"] == "urn:casework:problem:400" and body["title"] == "Ongeldige invoer"
    names = {entry["name"] for entry in body["invalidParams"]}
    assert {"child.family_name", "child.birth_date", "absent_since"} <= names
    for url, status in [("/api/v1/no-such-thing", 404), ("/api/v1/cases/abc", 404)]:
        answer = mine.get(url)
        assert (answer.status_code, answer["Content-Type"]) == (status, "application/problem+json"), url
        assert answer.json()["status"] == status and answer["API-Version"] == "1.0.0"
    wrong_method = mine.put("/api/v1/cases", {}, format="json")
    assert wrong_method.status_code == 405 and wrong_method.json()["title"] == "Methode niet toegestaan"
    stale_token = APIClient()
    stale_token.credentials(HTTP_AUTHORIZATION="Token stale")
    login = stale_token.post("/api/v1/auth/token", {
        "username": demo["users"]["aoj"], "password": demo["password"],
        "otp": pyotp.TOTP(demo["totp_secret"][demo["users"]["aoj"]]).now()}, format="json")
    assert login.status_code == 200 and set(login.json()) == {"token", "expiresAt"}  # a token header is ignored
    old = mine.get("/api/cases/")
    assert old.status_code == 200 and old["Deprecation"].startswith("@") and "successor-version" in old["Link"]


def inline(node, document):
    """A schema with its $refs replaced by what they name (the v1 document has no recursive ones)."""
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            return inline(document["components"]["schemas"][name], document)
        return {key: inline(value, document) for key, value in node.items()}
    if isinstance(node, list):
        return [inline(item, document) for item in node]
    return node


def test_real_answers_match_their_schemas(demo, api):
    document = v1_document()
    u = users(demo)
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    complete(api, u["aoj"], case, "team_review", {"plan": "P", "routes": ["jim"]})
    task = open_task(case, "jim_assignment")
    mine = client_for(u["aoj"])
    today = dt.date.today()
    calls = [
        ("/cases", "/cases", {}), ("/cases/{caseId}", f"/cases/{case.pk}", {}),
        ("/tasks", "/tasks", {"scope": "team"}), ("/tasks/{taskId}", f"/tasks/{task.pk}", {}),
        ("/schools", "/schools", {"pageSize": 2}), ("/regions", "/regions", {}), ("/teams", "/teams", {}),
        ("/colleagues", "/colleagues", {}), ("/notifications", "/notifications", {}),
        ("/search", "/search", {"q": "Sanne"}), ("/monitor", "/monitor", {"peildatum": today.isoformat()}),
        ("/monitor/quarter", "/monitor/quarter", {"year": today.year, "quarter": 1}),
        ("/monitor/quarter", "/monitor/quarter", {"year": today.year, "quarter": 1, "audience": "public"}),
    ]
    for template, url, params in calls:
        answer = mine.get("/api/v1" + url, params)
        assert answer.status_code == 200, (url, answer.content[:300])
        schema = document["paths"][template]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        # The components stay at the root: a discriminator's mapping names them (CaseEvent's kinds).
        rooted = {**inline(schema, document), "components": document["components"]}
        errors = list(OAS30Validator(rooted).iter_errors(answer.json()))
        assert not errors, (url, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]])
    moments = [event["at"] for event in mine.get(f"/api/v1/cases/{case.pk}").json()["events"]]
    assert moments and all(moment[-6:] in ("+01:00", "+02:00") for moment in moments)  # Europe/Amsterdam
