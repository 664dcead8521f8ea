"""A Python client generated from /api/v1/openapi.json with openapi-python-client drives the
whole journey of an integrator: token, signal, reference lists, claim, complete each node type on
the way to closure (team review, ECT draft and approval, JIM mentor, the MPL's doorbraak decision,
the start confirmation, the closing review), a note, an upload, a search, the outsider's 404, a
409 and a 429. Every call goes through the generated functions and models."""

import datetime as dt
import io
import re
from pathlib import Path

import pyotp
import pytest
from rest_framework.throttling import SimpleRateThrottle

from casework.api.events import data_component_name, event_component_name
from casework.models import Case
from tests.apiclient import BASE_URL, generate_client, keep_test_connection, transport, v1_document
from tests.flowkit import board_and_school
from tests.test_upload_checks import minimal_pdf

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def token_prefix() -> str:
    """The prefix the document's token scheme tells a client to send, checked against docs/api.md."""
    description = v1_document()["components"]["securitySchemes"]["tokenAuth"]["description"]
    prefix = re.search(r'prefix="(\w+)"', description).group(1)
    assert prefix == "Token" and f'prefix="{prefix}"' in (ROOT / "docs" / "api.md").read_text()
    return prefix


@pytest.fixture(scope="module")
def generated(tmp_path_factory, django_db_blocker):
    with django_db_blocker.unblock():
        return generate_client(tmp_path_factory.mktemp("client"))


def test_the_generated_client_drives_the_whole_journey(generated, demo, monkeypatch):
    # Imported here: the package exists only once the `generated` fixture has generated it.
    from casework_client import AuthenticatedClient, Client
    from casework_client.api.auth import log_out, obtain_token
    from casework_client.api.cases import add_note, get_case, signal_case, upload_document
    from casework_client.api.colleagues import list_colleagues
    from casework_client.api.regions import list_regions
    from casework_client.api.schools import list_schools
    from casework_client.api.search import search_cases
    from casework_client.api.tasks import claim_task, complete_task, list_tasks
    from casework_client.api.teams import list_teams
    from casework_client.models import (
        AuthTokenRequest,
        CategoryEnum,
        ChildRequest,
        DocumentUploadRequest,
        DoorbraakDecisionPayload,
        EctApprovePayload,
        EctDraftPayload,
        JimAssignmentPayload,
        JimAssignmentPayloadShareItem,
        ListTasksScope,
        ListTasksSortType0,
        NoteInputRequest,
        Problem,
        RegistrationEnum,
        SignallerRoleEnum,
        SignalRequest,
        StartConfirmationPayload,
        TeamReviewPayload,
        TeamReviewPayloadEctQuestionKind,
        TeamReviewPayloadOutcome,
        TeamReviewPayloadRoutesItem,
        VrijstellingGroundsEnum,
    )
    from casework_client.types import File

    anonymous = Client(base_url=BASE_URL, httpx_args={"transport": transport()})
    sent = []  # every request an authenticated client sent
    prefix = token_prefix()

    def signed_in(role):
        answer = obtain_token.sync_detailed(client=anonymous, body=AuthTokenRequest(
            username=demo["users"][role], password=demo["password"],
            otp=pyotp.TOTP(demo["totp_secret"][demo["users"][role]]).now()))
        assert answer.status_code == 200, answer.content
        assert answer.headers["API-Version"] == "1.0.0"
        assert answer.parsed.expires_at > dt.datetime.now(dt.UTC)  # a datetime, parsed by the client
        # The prefix as the document's scheme names it (and docs/api.md's example): Token, not Bearer.
        return AuthenticatedClient(base_url=BASE_URL, token=answer.parsed.token, prefix=prefix,
                                   httpx_args={"transport": transport(), "event_hooks": {"request": [sent.append]}})

    def finish(client, case_id, node, payload):
        """Find the case's open task of `node` in the user's queue or own list, claim it, complete it."""
        tasks = [task for scope in (ListTasksScope.QUEUE, ListTasksScope.MINE)
                 for task in list_tasks.sync(client=client, scope=scope).results
                 if task.case == case_id and task.node.value == node]
        assert tasks, f"no open {node} task"
        task = tasks[0]
        assert task.payload_schema == type(payload).__name__
        if task.status.value == "open":
            claimed = claim_task.sync_detailed(task.id, client=client)
            assert claimed.status_code == 200 and claimed.parsed.status.value == "claimed", claimed.content
        done = complete_task.sync_detailed(task.id, client=client, body=payload)
        assert done.status_code == 200, done.content
        assert done.parsed.status.value == "done" and done.parsed.payload_schema is None
        return task.id

    with keep_test_connection():
        aoj, ect, ect_2, mpl = (signed_in(role) for role in ("aoj", "ect", "ect_2", "mpl_chair"))
        outsider = signed_in("outsider")

        # Reference lists: the school's id for the signal, the regions, teams and colleagues.
        schools = list_schools.sync(client=aoj, name="Noorderlicht", page_size=5)
        school = next(row for row in schools.results if row.id == demo["schools"]["vo"])
        assert list_regions.sync(client=aoj).count >= 1
        assert any(team.school == school.id for team in list_teams.sync(client=aoj).results)
        colleagues = list_colleagues.sync(client=aoj).results
        assert {"aoj", "aoj_2"} <= {row.username for row in colleagues}

        today = dt.date.today()
        child = ChildRequest(given_name="Journey", family_name="Synthetisch", birth_date=dt.date(today.year - 14, 3, 1),
                             pupil_number="G-1")
        body = SignalRequest(child=child, school=school.id, registration=RegistrationEnum.LRV,
                             category=CategoryEnum.SCHOOLWEIGERAAR, absent_since=today - dt.timedelta(weeks=6),
                             signaller_role=SignallerRoleEnum.SCHOOL, summary="Synthetisch.")
        signalled = signal_case.sync_detailed(client=aoj, body=body)
        assert signalled.status_code == 201, signalled.content
        case_id = signalled.parsed.id

        # A 409: the same child again (a problem naming the open case).
        again = signal_case.sync_detailed(client=aoj, body=body)
        assert again.status_code == 409 and isinstance(again.parsed, Problem)
        assert again.parsed.case_id == case_id and again.headers["Content-Type"] == "application/problem+json"

        review = finish(aoj, case_id, "team_review", TeamReviewPayload(
            plan="ECT vragen, JIM zoeken.", routes=[TeamReviewPayloadRoutesItem.ECT_CONSULT,
                                                    TeamReviewPayloadRoutesItem.JIM],
            ect_question_kind=TeamReviewPayloadEctQuestionKind.PLAATSING))
        # A 409 too: the done task cannot be claimed again.
        stale = claim_task.sync_detailed(review, client=aoj)
        assert stale.status_code == 409 and isinstance(stale.parsed, Problem)

        finish(ect, case_id, "ect_draft", EctDraftPayload(question="Welk aanbod past?", advice="OPDC met zorg."))
        finish(ect_2, case_id, "ect_approve", EctApprovePayload(approved=True))
        finish(aoj, case_id, "jim_assignment", JimAssignmentPayload(
            mentor_name="Oom Piet (synthetisch)", relation="oom", contact="06-00000000", consent=True,
            share=[JimAssignmentPayloadShareItem.PLAN]))
        finish(aoj, case_id, "team_review", TeamReviewPayload(plan="Naar MPL.",
                                                               routes=[TeamReviewPayloadRoutesItem.DOORBRAAK]))
        board, placed_at = board_and_school(demo, "vo")  # at its own school: the team stays on the case
        finish(mpl, case_id, "doorbraak_decision", DoorbraakDecisionPayload(
            school_board=board, school=placed_at, start_date=today, preference_followed=True))
        finish(aoj, case_id, "start_confirmation", StartConfirmationPayload(started=True, started_on=today))

        # The same note sent twice with one Idempotency-Key (a retry): one note, the same answer.
        note = add_note.sync_detailed(case_id, client=aoj, body=NoteInputRequest(text="Gesprek gevoerd."),
                                      idempotency_key="journey-note-1")
        assert note.status_code == 201, note.content
        retried = add_note.sync_detailed(case_id, client=aoj, body=NoteInputRequest(text="Gesprek gevoerd."),
                                         idempotency_key="journey-note-1")
        assert retried.status_code == 201 and retried.parsed.id == note.parsed.id
        assert retried.headers["Location"] == f"/api/v1/cases/{case_id}/notes/{note.parsed.id}"
        upload = upload_document.sync_detailed(case_id, client=aoj, body=DocumentUploadRequest(
            file=File(payload=io.BytesIO(minimal_pdf()), file_name="plan.pdf", mime_type="application/pdf")))
        assert upload.status_code == 201, upload.content
        assert upload.parsed.download == f"/api/v1/cases/{case_id}/documents/{upload.parsed.id}/download"

        finish(aoj, case_id, "team_review", TeamReviewPayload(plan="Gestart.", routes=[],
                                                               outcome=TeamReviewPayloadOutcome.TERUG_NAAR_SCHOOL))
        assert Case.objects.get(pk=case_id).status == "closed"

        assert sent and all(request.headers["Authorization"].startswith("Token ") for request in sent)

        # The timeline parses into each kind's own event and data classes (CaseEvent is a oneOf by kind).
        events = get_case.sync(case_id, client=aoj).events
        assert len(events) >= 14
        for event in events:
            kind = event.kind.value
            assert (type(event).__name__, type(event.data).__name__) == (
                event_component_name(kind), data_component_name(kind)), kind

        # Enum members named from x-enum-varnames where the value is no name ("5a", "", "-created").
        assert VrijstellingGroundsEnum.ART_5A.value == "5a" and VrijstellingGroundsEnum.ART_15.value == "15"
        assert TeamReviewPayloadOutcome.EMPTY.value == "" and ListTasksSortType0.CREATED_DESC.value == "-created"

        found = search_cases.sync(client=aoj, q="Journey")
        assert [row.id for row in found.results] == [case_id]

        # The outsider: a 404 problem, never the case.
        hidden = get_case.sync_detailed(case_id, client=outsider)
        assert hidden.status_code == 404 and isinstance(hidden.parsed, Problem)
        assert hidden.parsed.status == 404

        # Signing out ends the token: then a 401 problem.
        assert log_out.sync_detailed(client=outsider).status_code == 204
        ended = get_case.sync_detailed(case_id, client=outsider)
        assert ended.status_code == 401 and isinstance(ended.parsed, Problem)

        # A 429 under a tight throttle, with Retry-After.
        monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "2/min")
        answers = [get_case.sync_detailed(case_id, client=aoj) for _ in range(3)]
        assert answers[-1].status_code == 429 and isinstance(answers[-1].parsed, Problem)
        assert int(answers[-1].headers["Retry-After"]) > 0


def test_the_generated_client_as_a_connected_system(generated, demo, monkeypatch):
    """The same generated client as a machine client: a token by client credentials with a signed
    assertion (the form body the document describes), its region's cases, a signal as its
    organisation, the new case read back; another region's case is a 404 and a call outside its
    scopes a 403, both problems."""
    from casework_client import AuthenticatedClient, Client
    from casework_client.api.cases import get_case, list_cases, signal_case
    from casework_client.api.oauth import obtain_client_token
    from casework_client.api.schools import list_schools
    from casework_client.api.tasks import list_tasks
    from casework_client.models import (
        CategoryEnum,
        ChildRequest,
        ClientAssertionTypeEnum,
        ClientCredentialsRequest,
        GrantTypeEnum,
        Problem,
        RegistrationEnum,
        SignallerRoleEnum,
        SignalRequest,
    )

    from tests.flowkit import api_client, signal, users
    from tests.systemkit import assertion, connect

    anonymous = Client(base_url=BASE_URL, httpx_args={"transport": transport()})
    elsewhere = signal(api_client, users(demo)["kindteam"], demo["schools"]["po"])

    def system_client(connected):
        answer = obtain_client_token.sync_detailed(client=anonymous, body=ClientCredentialsRequest(
            grant_type=GrantTypeEnum.CLIENT_CREDENTIALS, client_assertion_type=ClientAssertionTypeEnum.JWT_BEARER,
            client_assertion=assertion(connected)))
        assert answer.status_code == 200, answer.content
        assert answer.parsed.token_type.value == "Bearer" and answer.parsed.expires_in == 600
        return AuthenticatedClient(base_url=BASE_URL, token=answer.parsed.access_token, prefix="Bearer",
                                   httpx_args={"transport": transport()})

    with keep_test_connection():
        system = system_client(connect(scopes=["cases:read", "cases:signal"]))
        school = next(row for row in list_schools.sync(client=system, name="Zuiderpoort").results)
        today = dt.date.today()
        body = SignalRequest(
            child=ChildRequest(given_name="Koppeling", family_name="Synthetisch",
                               birth_date=dt.date(today.year - 13, 2, 1), pupil_number="K-1"),
            school=school.id, registration=RegistrationEnum.LRV, category=CategoryEnum.SCHOOLWEIGERAAR,
            absent_since=today - dt.timedelta(weeks=6), signaller_role=SignallerRoleEnum.LEERPLICHT,
            summary="Synthetisch: gemeld door het systeem van Leerplicht.")
        signalled = signal_case.sync_detailed(client=system, body=body)
        assert signalled.status_code == 201, signalled.content
        case_id = signalled.parsed.id
        assert Case.objects.get(pk=case_id).signaller_role == "leerplicht"
        assert case_id in [row.id for row in list_cases.sync(client=system).results]
        assert get_case.sync(case_id, client=system).id == case_id

        hidden = get_case.sync_detailed(elsewhere.pk, client=system)
        assert hidden.status_code == 404 and isinstance(hidden.parsed, Problem)
        refused = list_tasks.sync_detailed(client=system)
        assert refused.status_code == 403 and isinstance(refused.parsed, Problem)
