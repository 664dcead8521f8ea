"""Version 1's HTTP conventions (docs/api.md, "HTTP conventions"), over real HTTP requests with
real tokens, on the real database: the filters and `pageSize`, unknown query parameters and body
keys refused, `Cache-Control`, CORS on the document, `Idempotency-Key`, `ETag` and `If-Match`,
`Location`, `Sunset` on the deprecated paths, the `RateLimit-*` headers, and each of them in the
OpenAPI document."""

import datetime as dt
import threading
import uuid

import pytest
import time_machine
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from casework.api import casefile as casefile_api
from casework.models import AccessLog, Case, CaseEvent, IdempotentRequest, Note
from casework.services import idempotency
from casework.tasks import apply_retention
from signin.tokens import issue_token
from teams.models import School
from tests.apiclient import v1_document
from tests.factories import signal_payload
from tests.flowkit import api_client as api_client_of
from tests.flowkit import complete, open_task, signal, users

pytestmark = pytest.mark.django_db
V1 = "/api/v1"


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user)[1]}")
    return client


@pytest.fixture
def aoj(demo):
    return client_for(users(demo)["aoj"])


@pytest.fixture
def case(demo, api):
    return signal(api, users(demo)["aoj"], demo["schools"]["vo"])


def ids(answer) -> list[int]:
    assert answer.status_code == 200, answer.content
    return [row["id"] for row in answer.json()["results"]]


def refused(answer) -> list[str]:
    assert answer.status_code == 400, answer.content
    assert answer["Content-Type"] == "application/problem+json" and answer["API-Version"] == "1.0.0"
    return [entry["name"] for entry in answer.json()["invalidParams"]]


# --- filters and pages ------------------------------------------------------------------------

def test_list_cases_filters_by_status_school_region_and_update(demo, api, aoj, case):
    u = users(demo)
    other = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Bram", family_name="Ander",
                   pupil_number="L-2002")
    Case.objects.filter(pk=other.pk).update(status=Case.Status.ACTIVE)
    assert ids(aoj.get(f"{V1}/cases", {"status": "active"})) == [other.pk]
    assert case.pk in ids(aoj.get(f"{V1}/cases", {"status": case.status}))
    school, region = case.school_id, case.region_id
    assert set(ids(aoj.get(f"{V1}/cases", {"school": school}))) >= {case.pk, other.pk}
    assert ids(aoj.get(f"{V1}/cases", {"region": region + 1000})) == []
    assert case.pk in ids(aoj.get(f"{V1}/cases", {"region": region}))
    later = timezone.now() + dt.timedelta(seconds=1)
    assert ids(aoj.get(f"{V1}/cases", {"updatedSince": later.isoformat()})) == []
    CaseEvent.objects.filter(case=other).update(at=later + dt.timedelta(minutes=1))
    assert ids(aoj.get(f"{V1}/cases", {"updatedSince": later.isoformat()})) == [other.pk]
    assert refused(aoj.get(f"{V1}/cases", {"status": "lost"})) == ["status"]
    assert refused(aoj.get(f"{V1}/cases", {"updatedSince": "yesterday"})) == ["updatedSince"]
    assert refused(aoj.get(f"{V1}/cases", {"school": "x"})) == ["school"]


def test_page_size_on_every_list(demo, api, aoj, case):
    u = users(demo)
    for number in range(2):
        signal(api, u["aoj"], demo["schools"]["vo"], given_name=f"Kind{number}", pupil_number=f"P-{number}")
    for number in range(3):
        aoj.post(f"{V1}/cases/{case.pk}/notes", {"text": f"Noot {number}"}, format="json")
    for url, params in (("/cases", {}), (f"/cases/{case.pk}/notes", {}), ("/tasks", {"scope": "team"}),
                        ("/schools", {})):
        answer = aoj.get(f"{V1}{url}", {**params, "pageSize": 2})
        assert answer.status_code == 200, (url, answer.content)
        assert len(answer.json()["results"]) == 2 and answer.json()["next"], url
        assert refused(aoj.get(f"{V1}{url}", {**params, "pageSize": 0})) == ["pageSize"]


def test_list_tasks_filters_by_case(demo, api, aoj, case):
    other = signal(api, users(demo)["aoj"], demo["schools"]["vo"], given_name="Bram", pupil_number="L-3003")
    tasks = aoj.get(f"{V1}/tasks", {"scope": "team", "case": case.pk}).json()["results"]
    assert tasks and {task["case"] for task in tasks} == {case.pk}
    assert other.pk in {task["case"] for task in aoj.get(f"{V1}/tasks", {"scope": "team"}).json()["results"]}
    assert refused(aoj.get(f"{V1}/tasks", {"case": "0"})) == ["case"]


# --- unknown input ----------------------------------------------------------------------------

def test_unknown_query_parameters_are_refused_by_name(aoj, case):
    assert refused(aoj.get(f"{V1}/cases", {"pagesize": 2, "stat": "x"})) == ["pagesize", "stat"]
    assert refused(aoj.get(f"{V1}/cases/{case.pk}", {"expand": "all"})) == ["expand"]
    assert refused(aoj.post(f"{V1}/cases/{case.pk}/notes?draft=1", {"text": "x"}, format="json")) == ["draft"]
    assert not Note.objects.filter(case=case).exists()


def test_unknown_body_keys_are_refused_by_name_and_nothing_is_stored(demo, aoj, case):
    school = School.objects.get(pk=demo["schools"]["vo"])
    body = signal_payload(school, given_name="Nieuw", pupil_number="N-1", urgent=True)
    body["child"]["nickname"] = "N"
    before = Case.objects.count()
    assert refused(aoj.post(f"{V1}/cases", body, format="json")) == ["urgent", "child.nickname"]
    assert Case.objects.count() == before
    assert refused(aoj.post(f"{V1}/cases/{case.pk}/notes", {"text": "x", "txt": "y"}, format="json")) == ["txt"]
    assert refused(aoj.post(f"{V1}/tasks/{open_task(case, 'team_review').pk}/claim", {"force": True},
                            format="json")) == ["force"]
    upload = aoj.post(f"{V1}/cases/{case.pk}/documents", {"kind": "other", "title": "x"}, format="multipart")
    assert refused(upload) == ["title"]
    assert not Note.objects.filter(case=case).exists()


def test_the_deprecated_paths_keep_ignoring_unknown_input(demo, api, case):
    old = client_for(users(demo)["aoj"])
    assert old.get("/api/cases/", {"stat": "x"}).status_code == 200
    answer = old.post(f"/api/cases/{case.pk}/notes/", {"text": "x", "txt": "y"}, format="json")
    assert answer.status_code == 201 and "Location" in answer


# --- headers ------------------------------------------------------------------------------------

def test_no_store_on_every_api_answer_but_the_documents(aoj, case):
    for answer in (aoj.get(f"{V1}/cases/{case.pk}"), aoj.get(f"{V1}/cases/987654"), Client().get(f"{V1}/cases"),
                   aoj.get("/api/cases/")):
        assert answer["Cache-Control"] == "no-store", answer.status_code
    assert "no-store" not in Client().get(f"{V1}/openapi.json").get("Cache-Control", "")


def test_the_document_may_be_read_from_any_origin_and_its_preflight_is_answered():
    origin = {"HTTP_ORIGIN": "https://viewer.example.org"}
    assert Client().get(f"{V1}/openapi.json", **origin)["Access-Control-Allow-Origin"] == "*"
    preflight = Client().options(f"{V1}/openapi.json", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET", **origin)
    assert preflight.status_code == 204 and preflight["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight["Access-Control-Allow-Methods"] and preflight["API-Version"] == "1.0.0"
    # the data: a preflight is answered (never a 401), but no other origin is allowed
    data = Client().options(f"{V1}/cases", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET", **origin)
    assert data.status_code == 204 and "Access-Control-Allow-Origin" not in data


@override_settings(CASEWORK_API_SUNSET=dt.date(2027, 6, 1))
def test_the_deprecated_paths_name_their_sunset(aoj):
    answer = aoj.get("/api/cases/")
    assert answer["Sunset"] == "Tue, 01 Jun 2027 00:00:00 GMT" and answer["Deprecation"].startswith("@")
    assert "Sunset" not in aoj.get(f"{V1}/cases")


def test_rate_limit_headers_count_down(aoj, settings):
    first, second = aoj.get(f"{V1}/cases"), aoj.get(f"{V1}/cases")
    limit = int(first["RateLimit-Limit"])
    assert limit == int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["user"].split("/")[0])
    assert int(second["RateLimit-Remaining"]) == int(first["RateLimit-Remaining"]) - 1 < limit
    assert 0 < int(second["RateLimit-Reset"]) <= 60


def test_a_new_resource_is_named_in_location(demo, aoj, case):
    school = School.objects.get(pk=demo["schools"]["vo"])
    signalled = aoj.post(f"{V1}/cases", signal_payload(school, given_name="Loc", pupil_number="L-9"), format="json")
    assert signalled.status_code == 201 and signalled["Location"] == f"{V1}/cases/{signalled.json()['id']}"
    note = aoj.post(f"{V1}/cases/{case.pk}/notes", {"text": "x"}, format="json")
    assert note["Location"] == f"{V1}/cases/{case.pk}/notes/{note.json()['id']}"
    assert aoj.get(note["Location"]).json() == note.json()
    worklist = aoj.post(f"{V1}/worklists", {"name": "W", "scope": "queue"}, format="json")
    assert worklist["Location"] == f"{V1}/worklists/{worklist.json()['id']}"


# --- ETag and If-Match -------------------------------------------------------------------------

def test_etag_changes_with_the_case(demo, api, aoj, case):
    first = aoj.get(f"{V1}/cases/{case.pk}")
    assert first["ETag"].startswith('"') and aoj.get(f"{V1}/cases/{case.pk}")["ETag"] == first["ETag"]
    complete(api, users(demo)["aoj"], case, "team_review", {"plan": "P", "routes": ["jim"]})
    assert aoj.get(f"{V1}/cases/{case.pk}")["ETag"] != first["ETag"]


def test_if_match_guards_a_note_edit(aoj, case):
    created = aoj.post(f"{V1}/cases/{case.pk}/notes", {"text": "Eerste"}, format="json")
    url = created["Location"]
    read = aoj.get(url)
    assert read["ETag"] == created["ETag"]
    edited = aoj.patch(url, {"text": "Tweede"}, format="json", HTTP_IF_MATCH=read["ETag"])
    assert edited.status_code == 200 and edited["ETag"] != read["ETag"]
    stale = aoj.patch(url, {"text": "Derde"}, format="json", HTTP_IF_MATCH=read["ETag"])
    assert stale.status_code == 412 and stale["Content-Type"] == "application/problem+json"
    assert stale.json()["status"] == 412 and stale["API-Version"] == "1.0.0"
    assert Note.objects.get(pk=created.json()["id"]).text == "Tweede"
    weak = aoj.patch(url, {"text": "Zwak"}, format="json", HTTP_IF_MATCH=f"W/{edited['ETag']}")
    assert weak.status_code == 412  # If-Match compares strongly
    listed = aoj.patch(url, {"text": "Lijst"}, format="json", HTTP_IF_MATCH=f'"other", {edited["ETag"]}')
    assert listed.status_code == 200
    assert aoj.patch(url, {"text": "Vierde"}, format="json", HTTP_IF_MATCH="*").status_code == 200
    assert aoj.patch(url, {"text": "Vijfde"}, format="json").status_code == 200  # If-Match is optional


# --- Idempotency-Key --------------------------------------------------------------------------

def test_the_same_key_gives_the_same_answer_once(aoj, case):
    key = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}
    first = aoj.post(f"{V1}/cases/{case.pk}/notes", {"text": "Eenmaal"}, format="json", **key)
    reads = AccessLog.objects.filter(case=case, action=AccessLog.Action.API_VIEW).count()
    again = aoj.post(f"{V1}/cases/{case.pk}/notes", {"text": "Eenmaal"}, format="json", **key)
    # the stored answer shows the case again: its read is logged again, as the first time
    assert AccessLog.objects.filter(case=case, action=AccessLog.Action.API_VIEW).count() == reads + 1
    assert first.status_code == again.status_code == 201
    assert again.content == first.content and again["Location"] == first["Location"]
    assert again["ETag"] == first["ETag"] and again["API-Version"] == "1.0.0"
    assert Note.objects.filter(case=case).count() == 1
    other = aoj.post(f"{V1}/cases/{case.pk}/notes", {"text": "Anders"}, format="json", **key)
    assert other.status_code == 422 and other["Content-Type"] == "application/problem+json"
    assert Note.objects.filter(case=case).count() == 1
    fresh = aoj.post(f"{V1}/cases/{case.pk}/notes", {"text": "Eenmaal"}, format="json",
                     HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert fresh.status_code == 201 and Note.objects.filter(case=case).count() == 2


def test_a_replayed_signal_logs_the_new_case_read_again(demo, aoj):
    school = School.objects.get(pk=demo["schools"]["vo"])
    body = signal_payload(school, given_name="Herhaald", pupil_number="H-1")
    first = aoj.post(f"{V1}/cases", body, format="json", HTTP_IDEMPOTENCY_KEY="signal-1")
    case_id = first.json()["id"]
    logged = list(AccessLog.objects.filter(case_id=case_id).values_list("action", flat=True))
    again = aoj.post(f"{V1}/cases", body, format="json", HTTP_IDEMPOTENCY_KEY="signal-1")
    assert again.status_code == 201 and again.json()["id"] == case_id and Case.objects.filter(
        child__given_name="Herhaald").count() == 1
    assert list(AccessLog.objects.filter(case_id=case_id).values_list("action", flat=True)) == logged * 2


def test_a_key_is_the_clients_own(demo, aoj, case):
    key = {"HTTP_IDEMPOTENCY_KEY": "shared-key"}
    aoj.post(f"{V1}/cases/{case.pk}/notes", {"text": "A"}, format="json", **key)
    colleague = client_for(users(demo)["aoj_2"])
    answer = colleague.post(f"{V1}/cases/{case.pk}/notes", {"text": "A"}, format="json", **key)
    assert answer.status_code in (201, 404) and IdempotentRequest.objects.filter(key="shared-key").count() == 2


def test_a_second_request_with_the_key_does_not_run_while_the_first_does(aoj, case, monkeypatch):
    key = {"HTTP_IDEMPOTENCY_KEY": "in-flight"}
    body = {"text": "Gelijktijdig"}
    during = []
    add_note = casefile_api.casefile.add_note

    def slow_add_note(**kwargs):
        during.append(aoj.post(f"{V1}/cases/{case.pk}/notes", body, format="json", **key))
        return add_note(**kwargs)

    monkeypatch.setattr(casefile_api.casefile, "add_note", slow_add_note)
    first = aoj.post(f"{V1}/cases/{case.pk}/notes", body, format="json", **key)
    assert first.status_code == 201 and [answer.status_code for answer in during] == [409]
    assert during[0]["Content-Type"] == "application/problem+json"
    assert Note.objects.filter(case=case).count() == 1


def test_a_key_lasts_24_hours_and_is_purged(aoj, case):
    key = {"HTTP_IDEMPOTENCY_KEY": "a-day"}
    aoj.post(f"{V1}/cases/{case.pk}/notes", {"text": "Dag"}, format="json", **key)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=5), tick=False):
        again = aoj.post(f"{V1}/cases/{case.pk}/notes", {"text": "Dag"}, format="json", **key)
        assert again.status_code == 201 and Note.objects.filter(case=case).count() == 1
    row = IdempotentRequest.objects.get()
    assert row.expires_at == row.created_at + dt.timedelta(hours=24)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=25), tick=False):
        claim = idempotency.claim(client=row.client, key="a-day", method="POST", path=row.path, fingerprint="x")
        assert claim.new and claim.row.pk != row.pk  # the expired row no longer holds the key
    with time_machine.travel(timezone.now() + dt.timedelta(hours=50), tick=False):
        apply_retention()  # the daily run purges what has expired
        assert not IdempotentRequest.objects.exists()


def test_an_ended_token_gets_no_stored_answer(demo, case):
    token = issue_token(users(demo)["aoj"])[1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    key = {"HTTP_IDEMPOTENCY_KEY": "before-logout"}
    assert client.post(f"{V1}/cases/{case.pk}/notes", {"text": "x"}, format="json", **key).status_code == 201
    assert client.post(f"{V1}/auth/logout").status_code == 204
    answer = client.post(f"{V1}/cases/{case.pk}/notes", {"text": "x"}, format="json", **key)
    assert answer.status_code == 401 and b"x" not in answer.content


def test_refused_credentials_and_server_errors_free_the_key(aoj, case):
    key = {"HTTP_IDEMPOTENCY_KEY": "retry-me"}
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Token wrong")
    assert wrong.post(f"{V1}/cases/{case.pk}/notes", {"text": "x"}, format="json", **key).status_code == 401
    assert not IdempotentRequest.objects.exists()


def test_a_bad_key_is_refused_and_the_token_endpoint_ignores_keys(demo, aoj, case):
    assert refused(aoj.post(f"{V1}/cases/{case.pk}/notes", {"text": "x"}, format="json",
                            HTTP_IDEMPOTENCY_KEY="with space")) == ["Idempotency-Key"]
    assert refused(aoj.post(f"{V1}/cases/{case.pk}/notes", {"text": "x"}, format="json",
                            HTTP_IDEMPOTENCY_KEY="k" * 256)) == ["Idempotency-Key"]
    assert not Note.objects.exists()
    body = {"username": "aoj", "password": "wrong"}
    for _ in range(2):
        answer = APIClient().post(f"{V1}/auth/token", body, format="json", HTTP_IDEMPOTENCY_KEY="sign-in")
        assert answer.status_code == 400
    assert not IdempotentRequest.objects.exists()


# --- the document -------------------------------------------------------------------------------

def test_every_convention_is_in_the_document():
    document = v1_document()
    paths = document["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            responses = operation["responses"]
            names = {p.get("name") or p["$ref"].rsplit("/", 1)[-1] for p in operation.get("parameters", [])}
            if operation["operationId"] == "getOpenApiDocument":
                assert "access-control-allow-origin" in responses["200"]["headers"]
                continue
            assert "400" in responses, operation["operationId"]
            for status, response in responses.items():
                assert "Cache-Control" in response["headers"] and "RateLimit-Remaining" in response["headers"]
                if status == "201":
                    assert "Location" in response["headers"], operation["operationId"]
            if method == "post" and operation["operationId"] not in ("obtainToken", "obtainClientToken"):
                assert "Idempotency-Key" in names and {"409", "422"} <= set(responses), operation["operationId"]
            if "{" in path:
                assert "400" in responses
    list_cases = {p["name"] for p in paths["/cases"]["get"]["parameters"] if "name" in p}
    assert {"status", "updatedSince", "school", "region", "pageSize", "deadlineState"} <= list_cases
    assert "case" in {p["name"] for p in paths["/tasks"]["get"]["parameters"] if "name" in p}
    edit = paths["/cases/{caseId}/notes/{noteId}"]["patch"]
    assert "412" in edit["responses"] and "ETag" in edit["responses"]["200"]["headers"]
    assert "ETag" in paths["/cases/{caseId}"]["get"]["responses"]["200"]["headers"]
    scheme = document["components"]["securitySchemes"]["tokenAuth"]
    assert "prefix is `Token`" in scheme["description"] and 'prefix="Token"' in scheme["description"]


def test_the_schema_defects_are_gone():
    schemas = v1_document()["components"]["schemas"]
    pupil_number = schemas["ChildRequest"]["properties"]["pupil_number"]
    assert "oneOf" not in pupil_number and pupil_number["maxLength"] == 30
    assert schemas["CaseSummary"]["properties"]["school_name"]["nullable"] is True


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_one_key_do_not_both_run(demo, monkeypatch):
    """Two threads, each with its own database connection: the first request holds the key while
    its view runs (it waits before the note's transaction); the second, sent meanwhile, is a 409."""
    u = users(demo)
    case = signal(api_client_of, u["aoj"], demo["schools"]["vo"])
    token = issue_token(u["aoj"])[1]
    inside, release = threading.Event(), threading.Event()
    valid = casefile_api._valid

    def waiting_valid(serializer_class, data):
        if threading.current_thread().name == "first":
            inside.set()
            assert release.wait(60)
        return valid(serializer_class, data)

    monkeypatch.setattr(casefile_api, "_valid", waiting_valid)
    answers = {}

    def post(name):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        try:
            answers[name] = client.post(f"{V1}/cases/{case.pk}/notes", {"text": "Tegelijk"}, format="json",
                                        HTTP_IDEMPOTENCY_KEY="concurrent").status_code
        finally:
            connection.close()

    first = threading.Thread(target=post, args=("first",), name="first")
    first.start()
    assert inside.wait(60)
    second = threading.Thread(target=post, args=("second",), name="second")
    second.start()
    second.join(60)
    release.set()
    first.join(60)
    assert answers == {"first": 201, "second": 409}
    assert Note.objects.filter(case=case).count() == 1
