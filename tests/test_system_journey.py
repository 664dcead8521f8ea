"""The journey of a connected system, end to end: a token by client credentials (a signed
assertion), its region's cases, a signal as its organisation, the signed CloudEvents of that
case's journey at a real receiver (in order, each once, with ids and kinds only), the case fetched
with its own scope (the read logged under its name); another region's case is a 404 and a call
without the scope a 403."""

import pytest

from casework.models import AccessLog, Case, CaseEvent
from tests.factories import signal_payload
from tests.flowkit import api_client, complete, signal, users
from tests.systemkit import bearer, connect, school, token_of
from tests.test_subscriptions import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    made.close()


def test_a_connected_system_from_token_to_the_cases_events(demo, api, receiver):
    people = users(demo)
    elsewhere = signal(api_client, people["kindteam"], demo["schools"]["po"], given_name="Pim", family_name="Poort")
    known = signal(api_client, people["aoj"], demo["schools"]["vo"])
    connected = connect(scopes=["cases:read", "cases:signal", "events:read", "subscriptions:manage"])
    system = bearer(token_of(connected))

    assert [row["id"] for row in system.get("/api/v1/cases").json()["results"]] == [known.pk]
    subscribed = system.post("/api/v1/subscriptions", {"callbackUrl": receiver.url}, format="json")
    assert subscribed.status_code == 201, subscribed.content
    receiver.secret = subscribed.json()["secret"]

    signalled = system.post("/api/v1/cases", signal_payload(school("Noorderlicht College"), signaller_role="leerplicht",
                                                            given_name="Koppel", family_name="Reis"), format="json")
    assert signalled.status_code == 201, signalled.content
    case = Case.objects.get(pk=signalled.json()["id"])
    # The team works the case: a review routing it to the ECT, the ECT's draft and approval.
    complete(api, people["aoj"], case, "team_review", {"plan": "ECT vragen.", "ect_question_kind": "handelingsadvies", "routes": ["ect_consult"]})
    complete(api, people["ect"], case, "ect_draft", {"question": "Welk aanbod past?", "advice": "OPDC."})
    complete(api, people["ect_2"], case, "ect_approve", {"approved": True})

    journey = list(CaseEvent.objects.filter(case=case).order_by("pk").values_list("pk", "kind"))
    received = [event for event in receiver.accepted if event["subject"] == str(case.pk)]
    assert [(int(event["id"]), event["data"]["kind"]) for event in received] == journey  # in order, each once
    assert {event["type"] for event in received} >= {"nl.casework.case.signalled", "nl.casework.case.team_review",
                                                     "nl.casework.case.ect_advice_approved"}
    assert all(set(event["data"]) == {"caseId", "eventId", "kind"} for event in received)
    assert not any(word in body.decode() for body in receiver.bodies for word in ("Koppel", "Reis", "OPDC"))
    assert {event["subject"] for event in receiver.accepted} <= {str(case.pk), str(known.pk)}  # never the PO case

    fetched = system.get(f"/api/v1/cases/{case.pk}")
    assert fetched.status_code == 200 and [e["id"] for e in fetched.json()["events"]] == [pk for pk, _ in journey]
    assert AccessLog.objects.filter(user=connected.system.account, case=case, action=AccessLog.Action.API_VIEW).exists()
    assert system.get(f"/api/v1/cases/{elsewhere.pk}").status_code == 404
    assert system.get("/api/v1/tasks").status_code == 403  # no tasks:read
    assert system.get("/api/v1/monitor", {"peildatum": "2026-01-01"}).status_code == 403
