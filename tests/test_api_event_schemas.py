"""`CaseEvent.data` is typed per kind in /api/v1/openapi.json: every `CaseEvent.Kind` has its
`<Kind>EventData` and `<Kind>Event` components, and `CaseEvent` is their `oneOf` discriminated by
`kind`. The events of real case journeys (the flow's routes over the API, the case file, personal
links and consent, the registration facts, the sweeper's clocks), read back through
`GET /api/v1/cases/{caseId}`, each validate against their kind's data component and against
`CaseEvent` itself (exactly one of the kinds)."""

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from casework.api.events import data_component_name, event_component_name
from casework.models import AccessLink, Case, CaseEvent, Document, events
from casework.models.events import EVENT_TYPES
from casework.services import sweep_due
from casework.services.casefile import upload_document, withdraw_document
from casework.services.participation import create_access_link, revoke_access_link, set_consent
from teams.models import Team
from tests.apiclient import v1_document
from tests.factories import signal_payload
from tests.flowkit import board_and_school, complete, in_days, open_task, signal
from tests.test_api_statuses import inline
from tests.test_upload_checks import minimal_pdf
from workflows import meetings

pytestmark = pytest.mark.django_db


def rooted(document: dict, name: str) -> dict:
    """A component with the document's components at its root (the discriminator's mapping names them)."""
    return {**inline(document["components"]["schemas"][name], document), "components": document["components"]}


def test_every_kind_has_its_data_component_and_case_event_is_one_of_them():
    schemas = v1_document()["components"]["schemas"]
    case_event = schemas["CaseEvent"]
    assert case_event["discriminator"]["propertyName"] == "kind"
    assert set(case_event["discriminator"]["mapping"]) == set(CaseEvent.Kind.values)
    for kind in CaseEvent.Kind.values:
        event = schemas[event_component_name(kind)]
        assert event["properties"]["kind"]["enum"] == [kind]
        assert event["properties"]["data"] == {"$ref": f"#/components/schemas/{data_component_name(kind)}"}
        data = schemas[data_component_name(kind)]
        assert data["type"] == "object" and data["additionalProperties"] is False
        assert set(data["required"]) <= set(data["properties"])
        assert {"$ref": f"#/components/schemas/{event_component_name(kind)}"} in case_event["oneOf"]
    assert len(case_event["oneOf"]) == len(CaseEvent.Kind.values)


def _journeys(api, demo, u) -> list:
    """Cases walked through most of what a case can meet; returns them."""
    cases = []
    # VO: a second signal, registration and taking part, the ECT (rejected once), JIM, the MPL's
    # doorbraak, the start, the case file, a personal link and consent, then closed.
    vo = signal(api, u["aoj"], demo["schools"]["vo"])
    cases.append(vo)
    again = api(u["aoj"]).post("/api/cases/", signal_payload(vo.school), format="json")
    assert again.status_code == 409, again.content
    mine = api(u["aoj"])
    answer = mine.post(f"/api/v1/cases/{vo.pk}/registration", {
        "registration": "ziek", "since": in_days(-1), "reason": "Ziek gemeld door moeder."}, format="json")
    assert answer.status_code == 200, answer.content
    answer = mine.post(f"/api/v1/cases/{vo.pk}/participation", {
        "level": "gedeeltelijk", "since": in_days(0), "setting": "eigen_school", "note": "Twee ochtenden."},
        format="json")
    assert answer.status_code == 200, answer.content
    complete(api, u["aoj"], vo, "team_review", {"plan": "ECT en JIM.", "ect_question_kind": "handelingsadvies", "routes": ["ect_consult", "jim"]})
    complete(api, u["ect"], vo, "ect_draft", {"question": "Welk aanbod past?", "advice": "OPDC."})
    complete(api, u["ect_2"], vo, "ect_approve", {"approved": False, "reason": "Onderbouwing ontbreekt."})
    complete(api, u["ect"], vo, "ect_draft", {"question": "Welk aanbod past?", "advice": "OPDC, onderbouwd."})
    complete(api, u["ect_2"], vo, "ect_approve", {"approved": True})
    complete(api, u["aoj"], vo, "jim_assignment", {"mentor_name": "Oom Piet (synthetisch)", "relation": "oom",
                                                    "contact": "06-00000000", "consent": True, "share": ["plan"]})
    note = mine.post(f"/api/v1/cases/{vo.pk}/notes", {"text": "Gesprek gevoerd."}, format="json")
    assert note.status_code == 201, note.content
    edited = mine.patch(f"/api/v1/cases/{vo.pk}/notes/{note.json()['id']}", {"text": "Gesprek gevoerd, goed."},
                        format="json")
    assert edited.status_code == 200, edited.content
    upload = SimpleUploadedFile("plan.pdf", minimal_pdf(), content_type="application/pdf")
    document = upload_document(case=vo, actor=u["aoj"], upload=upload, kind=Document.Kind.PLAN)
    withdraw_document(case=vo, actor=u["aoj"], document_id=document.pk)
    link, _token = create_access_link(case=vo, actor=u["aoj"], audience=AccessLink.Audience.OUDER,
                                      message="Wat we delen.", next_step="Gesprek.", contact=u["aoj"])
    set_consent(link=link, subject="jim", given=True)
    set_consent(link=link, subject="care_provider", given=False)
    revoke_access_link(case=vo, actor=u["aoj"], link_id=link.pk)
    complete(api, u["aoj"], vo, "team_review", {"plan": "Naar MPL.", "routes": ["doorbraak"]})
    board, school = board_and_school(demo)
    complete(api, u["mpl_chair"], vo, "doorbraak_decision", {
        "school_board": board, "school": school, "start_date": in_days(0), "preference_followed": True})
    complete(api, u["aoj"], vo, "start_confirmation", {"started": True, "started_on": in_days(0)})
    # started at Zuiderpoort Lyceum: its team (the demo's `outsider`) holds the case now
    complete(api, u["outsider"], vo, "team_review", {"plan": "Gestart.", "routes": [], "outcome": "terug_naar_school"})

    # An exemption: requested, advised, granted (registration vrij), then revoked by Leerplicht.
    vrij = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Vera", birth_date="2012-02-02")
    cases.append(vrij)
    complete(api, u["aoj"], vrij, "team_review", {"plan": "Vrijstelling.", "routes": ["vrijstelling_advies"]})
    complete(api, u["leerplicht"], vrij, "vrijstelling_request", {
        "grounds": "5a", "motivation": "Niet in staat.", "medical_statement": True})
    complete(api, u["ect"], vrij, "vrijstelling_advice", {"advice": "positief", "motivation": "Zorg nodig."})
    complete(api, u["leerplicht"], vrij, "vrijstelling_decision",
             {"granted": True, "until": in_days(180), "motivation": "Verleend."})
    ended = api(u["leerplicht"]).post(f"/api/v1/cases/{vrij.pk}/vrijstelling/end", {
        "last_day": in_days(0), "reason": "Weer naar school."}, format="json")
    assert ended.status_code == 200, ended.content

    # An arrangement, evaluated and ended.
    arrangement = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Ahmed", birth_date="2011-06-06")
    cases.append(arrangement)
    complete(api, u["aoj"], arrangement, "team_review", {"plan": "Arrangement.", "routes": ["arrangement"]})
    complete(api, u["aoj"], arrangement, "arrangement_setup", {
        "education": "OPDC Stad", "care_provider": "Zorg Demo", "funding": "beide", "start_date": in_days(0),
        "end_date": in_days(120), "evaluation_weeks": 6})
    complete(api, u["aoj"], arrangement, "start_confirmation", {"started": False, "reason": "Niet verschenen."})

    # PO: the DOE-team's advice and the director's decision; a task given to a colleague and back.
    po = signal(api, u["kindteam"], demo["schools"]["po"], given_name="Pim", birth_date="2017-03-01")
    cases.append(po)
    task = open_task(po, "team_review")
    for action, assignee in (("assign", u["kindteam"].pk), ("release", None)):
        bulk = api(u["kindteam"]).post("/api/v1/tasks/bulk", {
            "action": action, "tasks": [task.pk], "assignee": assignee, "reason": "Verdeling."}, format="json")
        assert bulk.status_code == 200, bulk.content
    complete(api, u["kindteam"], po, "team_review", {"plan": "DOE-team.", "routes": ["doorbraak"]})
    board, school = board_and_school(demo, "po")
    complete(api, u["doe_chair"], po, "doe_advice", {"advice": "De Vlinder.", "school_board": board, "school": school})
    complete(api, u["swv_director"], po, "director_decision", {
        "school_board": board, "school": school, "start_date": in_days(0), "motivation": "Doorzettingsmacht."})

    # The team meeting: a member flags a case, the meeting agrees an action, the member does it.
    met = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Mees", birth_date="2012-04-04")
    cases.append(met)
    team = Team.objects.get(school_id=demo["schools"]["vo"], kind="aoj")
    meetings.flag_case(case=met, actor=u["aoj_2"], team_id=team.pk)
    meeting = meetings.plan_next_meeting(team=team, actor=u["aoj"], starts_at=timezone.now() + dt.timedelta(hours=2))
    item = meeting.items.get(case=met)
    meetings.set_action(meeting=meeting, actor=u["aoj"], item_id=item.pk, action="Huisbezoek.", owner_id=u["aoj_2"].pk,
                        due_on=timezone.localdate() + dt.timedelta(days=3))
    complete(api, u["aoj_2"], met, "meeting_action", {"note": "Gedaan."})

    # The clocks: a case nobody acts on gets the 48-hour warning and breach from the sweeper.
    idle = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Ilse", birth_date="2012-09-09")
    cases.append(idle)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=30), tick=False):
        sweep_due()
    with time_machine.travel(timezone.now() + dt.timedelta(hours=50), tick=False):
        sweep_due()
    return cases


def test_the_events_of_real_journeys_match_their_kinds_schema(api, demo, u):
    document = v1_document()
    schemas = document["components"]["schemas"]
    case_event = OAS30Validator(rooted(document, "CaseEvent"), format_checker=oas30_format_checker)
    cases = _journeys(api, demo, u)
    seen: set[str] = set()
    for case in cases:
        case.refresh_from_db()  # a start at another school moved the case there
        reader = {demo["schools"]["po"]: u["kindteam"], demo["schools"]["vo_2"]: u["outsider"]}.get(
            case.school_id, u["aoj"])
        answer = api(reader).get(f"/api/v1/cases/{case.pk}")
        assert answer.status_code == 200, answer.content
        events = answer.json()["events"]
        assert len(events) == CaseEvent.objects.filter(case=case).count()
        for event in events:
            kind = event["kind"]
            seen.add(kind)
            data = OAS30Validator(inline(schemas[data_component_name(kind)], document), format_checker=oas30_format_checker)
            errors = [f"{list(e.absolute_path)}: {e.message}" for e in data.iter_errors(event["data"])]
            assert not errors, (kind, event["data"], errors)
            errors = [e.message for e in case_event.iter_errors(event)]
            assert not errors, (kind, errors[:3])
    # The journeys reach most kinds; those left (a clock-started ECT consult, the end of compulsory
    # education, a corrected note ...) are typed the same way and checked by the component test.
    expected = {
        "signalled", "signal_received", "registration_changed", "participation_changed", "team_review", "closed",
        "escalated", "placed", "ect_advice_drafted", "ect_advice_approved", "ect_advice_rejected",
        "vrijstelling_requested", "vrijstelling_advised", "vrijstelling_decided", "exemption_ended",
        "doorbraak_decided", "doe_advised", "director_decided", "mentor_assigned", "arrangement_set_up",
        "offer_recorded", "offer_started", "offer_failed", "access_link_created", "access_link_revoked",
        "consent_given", "consent_withdrawn", "note_added", "note_edited", "document_uploaded",
        "document_withdrawn", "task_assigned", "task_released", "deadline_warning", "deadline_breached",
        "deadline_met", "deadline_stopped", "school_changed", "case_handed_over", "meeting_flagged",
        "meeting_action_set", "meeting_action_done"}
    assert expected <= seen, sorted(expected - seen)


def test_an_event_with_a_wrong_key_or_type_is_refused_by_its_component():
    document = v1_document()
    schemas = document["components"]["schemas"]
    validator = OAS30Validator(inline(schemas[data_component_name("offer_started")], document), format_checker=oas30_format_checker)
    good = {"offer_id": 1, "source": "doorbraak", "start_date": "2026-11-27", "started_on": "2026-11-27"}
    assert not list(validator.iter_errors(good))
    assert list(validator.iter_errors({**good, "surprise": 1}))  # no other keys
    assert list(validator.iter_errors({**good, "offer_id": "1"}))  # ids are integers
    assert list(validator.iter_errors({**good, "source": "elsewhere"}))  # enums hold
    assert list(validator.iter_errors({**good, "started_on": "27-11-2026"}))  # dates are ISO dates
    case_event = OAS30Validator(rooted(document, "CaseEvent"), format_checker=oas30_format_checker)
    event = {"id": 1, "at": "2026-11-27T10:00:00+01:00", "kind": "offer_started", "actor": None, "data": good}
    assert not list(case_event.iter_errors(event))
    assert list(case_event.iter_errors({**event, "kind": "offer_failed"}))  # the data of another kind


def test_the_core_event_classes_and_the_api_components_name_the_same_keys():
    """Every kind has its typed constructor in the core (`casework.models.events`) and its data
    component in the API; both name the same keys, and the keys every event carries are the same."""
    schemas = v1_document()["components"]["schemas"]
    assert set(EVENT_TYPES) == set(CaseEvent.Kind.values)
    for kind in CaseEvent.Kind.values:
        data_class, component = EVENT_TYPES[kind], schemas[data_component_name(kind)]
        assert data_class.kind == kind
        assert data_component_name(kind) == f"{data_class.__name__}EventData"
        assert list(data_class.keys()) == list(component["properties"]), kind
        assert data_class.required_keys() == set(component["required"]), kind


def test_a_typed_constructor_refuses_an_unknown_or_a_missing_key_before_writing():
    case = Case()  # never reached: the data is checked first
    before = CaseEvent.objects.count()
    with pytest.raises(TypeError, match="unknown data key"):
        events.NoteAdded.record(case, None, note_id=1, surprise=True)
    with pytest.raises(TypeError, match="missing data key"):
        events.NoteCorrected.record(case, None, note_id=1)
    with pytest.raises(TypeError, match="missing data key"):
        events.DeadlineStopped.build(case, None, deadline_id=1, deadline_kind="team_action_48h", due_at="x")
    assert CaseEvent.objects.count() == before
    assert events.RegistrationChanged.keys()["from"] == "from_"  # the data's key, not the field's name
