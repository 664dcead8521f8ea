"""The escalation ladder climbs by itself where people stop (Thuiszitterspact 2.0 gemeente
Groningen: evaluatie 1ste jaar, A.1: in the end the directeur-bestuurder has the mandate; an MBO
institution escalates within its staff or line):

- VO/PO: an MPL doorbraak decision or a DOE advice open longer than 28 days goes to the SWV
  director (the sweep, for real, with the clock moved); a late answer is a 409;
- PO: the coördinator deelverband decides beside the director, and the DOE-team can settle the
  placement itself (no doorzettingsmacht needed);
- MBO: a breached three-month clock goes to the institution's stagnatiemeldpunt, after 14 days
  without a placement to its management, and Leerplicht/RMC is told.
"""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from viewflow.workflow.status import STATUS

from casework.models import Case, CaseEvent, CaseParticipant, Deadline, Offer, PlacementDecision
from notifications.models import Notification
from teams.models import Membership, RegionRole, Team, User
from tests.flowkit import (
    board_and_school,
    complete,
    event_kinds,
    mbo_institution,
    open_nodes,
    open_task,
    signal,
    status_of,
)
from workflows.desk import region_desk
from workflows.inbox import task_list
from workflows.models import CaseTask
from workflows.sweep import sweep

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 10, 15)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def clock():
    with time_machine.travel(at(TODAY), tick=False) as traveller:
        yield traveller


def later(clock, days: int) -> dict:
    """Move the clock `days` on from TODAY and run the sweep for real."""
    clock.move_to(at(TODAY + dt.timedelta(days=days)))
    return sweep()


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def rows() -> tuple[int, ...]:
    """What a refused request must leave as it was."""
    return (CaseEvent.objects.count(), CaseTask.objects.count(), PlacementDecision.objects.count(),
            Offer.objects.count(), CaseParticipant.objects.count())


def notified(kind: str, case) -> set[str]:
    return set(Notification.objects.filter(kind=kind, case=case).values_list("recipient__username", flat=True))


def task_of(case, node: str, *statuses) -> CaseTask:
    return CaseTask.objects.filter(case=case, flow_task__endswith=f".{node}",
                                   status__in=statuses or [STATUS.CANCELED]).latest("pk")


# --- VO: the MPL's doorbraak decision stalls -----------------------------------------------------------


def vo_before_the_mpl(api, demo, u) -> Case:
    case = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Stef")
    complete(api, u["aoj"], case, "team_review", {"plan": "Geen plek: MPL.", "routes": ["doorbraak"]})
    assert open_nodes(case) == ["doorbraak_decision"]
    return case


def test_a_doorbraak_decision_open_28_days_goes_to_the_director(api, demo, u, clock):
    case = vo_before_the_mpl(api, demo, u)
    mpl_task = open_task(case, "doorbraak_decision")
    api(u["mpl_chair"]).post(f"/api/tasks/{mpl_task.pk}/claim/")
    note = api(u["mpl_chair"]).post(f"/api/cases/{case.pk}/notes/", {"text": "Twee scholen benaderd, geen plek."},
                                    format="json")
    assert note.status_code == 201, note.content

    assert later(clock, 27)["climbed"] == 0
    assert open_nodes(case) == ["doorbraak_decision"]

    done = later(clock, 29)
    assert done["climbed"] == 1
    assert open_nodes(case) == ["director_decision"]
    assert CaseTask.objects.get(pk=mpl_task.pk).status == STATUS.CANCELED
    director_task = open_task(case, "director_decision")
    assert director_task.region_role == "swv_director"
    assert director_task.data["stalled"]["from"] == "doorbraak_decision"
    stalled = CaseEvent.objects.get(case=case, kind="doorbraak_stalled")
    assert stalled.data["task"] == "doorbraak_decision"
    assert stalled.data["days_open"] == 29
    assert stalled.data["recorded"]["claimed_by"] == u["mpl_chair"].pk
    assert stalled.data["recorded"]["notes"] == [note.json()["id"]]
    assert "Twee scholen benaderd" in stalled.data["note"]
    assert notified("doorbraak_stalled", case) == {u["mpl_chair"].username}
    assert CaseParticipant.objects.filter(case=case, user=u["swv_director"]).exists()

    # the sweep climbs once
    assert later(clock, 30)["climbed"] == 0
    assert CaseTask.objects.filter(case=case, flow_task__endswith=".director_decision").count() == 1

    # a late answer: 409 in the API and nothing changes; a message on the page, not a 500
    board, school = board_and_school(demo, "vo_2")
    before = rows()
    late = api(u["mpl_chair"]).post(f"/api/tasks/{mpl_task.pk}/complete/", {
        "school_board": board, "school": school, "start_date": "2025-11-24", "preference_followed": True},
        format="json")
    assert late.status_code == 409, late.content
    assert "directeur" in late.json()["detail"]
    assert rows() == before
    page = browser(u["mpl_chair"]).post(f"/task/{mpl_task.pk}/", {
        "school_board": board, "school": school, "start_date": "2025-11-24", "preference_followed": "True"},
        follow=True)
    assert page.status_code == 200
    assert "directeur" in page.content.decode()
    assert rows() == before

    # the director sees what was recorded, and decides
    shown = browser(u["swv_director"]).get(f"/task/{director_task.pk}/")
    assert shown.status_code == 200
    assert "Twee scholen benaderd" in shown.content.decode()
    complete(api, u["swv_director"], case, "director_decision", {
        "school_board": board, "school": school, "start_date": "2025-11-24", "motivation": "Doorzettingsmacht."})
    assert status_of(case) == "placed"


def test_the_director_sees_the_stalled_decisions_first(api, demo, u, clock):
    # a director decision the MPL handed up (no agreement), due long before the stalled one
    early = vo_before_the_mpl(api, demo, u)
    complete(api, u["mpl_chair"], early, "doorbraak_decision", {
        "decision": "geen_overeenstemming", "motivation": "Geen overeenstemming."})
    stalling = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Tijn")
    complete(api, u["aoj"], stalling, "team_review", {"plan": "Geen plek: MPL.", "routes": ["doorbraak"]})
    later(clock, 29)
    later(clock, 31)  # no longer "new": only the stalled order puts it first
    stalled_task = open_task(stalling, "director_decision")
    early_task = open_task(early, "director_decision")
    assert early_task.due_at < stalled_task.due_at
    director = u["swv_director"]
    assert [task.pk for task in region_desk(director).decisions][:2] == [stalled_task.pk, early_task.pk]
    assert [task.pk for task in task_list(director, "queue")][:2] == [stalled_task.pk, early_task.pk]
    listed = api(director).get("/api/tasks/?scope=queue").json()["results"]
    assert [row["id"] for row in listed][:2] == [stalled_task.pk, early_task.pk]
    page = browser(director).get("/tasks/queue/").content.decode()
    assert page.index(f"/task/{stalled_task.pk}/") < page.index(f"/task/{early_task.pk}/")
    # others keep their deadline order
    assert [task.pk for task in task_list(u["aoj"], "team")] == sorted(
        [task.pk for task in task_list(u["aoj"], "team")],
        key=lambda pk: (CaseTask.objects.get(pk=pk).due_at, CaseTask.objects.get(pk=pk).created))


# --- PO: the DOE advice stalls; the coördinator deelverband decides too -----------------------------------


def po_before_the_doe(api, demo, u, name="Pim") -> Case:
    case = signal(api, u["kindteam"], demo["schools"]["po"], given_name=name, birth_date="2017-03-01")
    complete(api, u["kindteam"], case, "team_review", {"plan": "Geen plek: DOE-team.", "routes": ["doorbraak"]})
    assert open_nodes(case) == ["doe_advice"]
    return case


def test_a_doe_advice_open_28_days_goes_to_the_director_or_the_deelverband(api, demo, u, clock):
    case = po_before_the_doe(api, demo, u)
    doe_task = open_task(case, "doe_advice")
    assert later(clock, 28)["climbed"] == 0  # 28 days open is not longer than 28 days
    assert later(clock, 29)["climbed"] == 1
    assert open_nodes(case) == ["director_decision"]
    stalled = CaseEvent.objects.get(case=case, kind="doorbraak_stalled")
    assert (stalled.data["task"], stalled.data["days_open"]) == ("doe_advice", 29)
    assert stalled.data["recorded"] == {"claimed_by": None, "agenda_items": [], "notes": []}
    assert notified("doorbraak_stalled", case) == {u["doe_chair"].username}
    late = api(u["doe_chair"]).post(f"/api/tasks/{doe_task.pk}/complete/", {"advice": "Te laat."}, format="json")
    assert late.status_code == 409

    deelverband = User.objects.get(username=demo["users"]["deelverband"])
    assert CaseParticipant.objects.filter(case=case, user=deelverband).exists()
    director_task = open_task(case, "director_decision")
    desk = region_desk(deelverband)
    assert [task.pk for task in desk.decisions] == [director_task.pk]
    home = browser(deelverband).get("/tasks/")
    assert home.status_code == 200 and "Coördinator deelverband" in home.content.decode()
    board, school = board_and_school(demo, "po")
    before = rows()
    bad = api(deelverband).post(f"/api/tasks/{director_task.pk}/complete/", {
        "school_board": board, "school": school, "motivation": "Besloten."}, format="json")
    assert bad.status_code == 400 and "start_date" in bad.json()
    assert rows() == before
    complete(api, deelverband, case, "director_decision", {
        "school_board": board, "school": school, "start_date": "2025-11-24", "motivation": "Besloten."})
    assert status_of(case) == "placed"
    assert PlacementDecision.objects.get(case=case, kind="director").decided_by == deelverband


def test_the_deelverband_decides_only_in_po(api, demo, u, clock):
    deelverband = User.objects.get(username=demo["users"]["deelverband"])
    assert RegionRole.Role(RegionRole.objects.get(user=deelverband).role).label == "coördinator deelverband"
    vo = vo_before_the_mpl(api, demo, u)
    complete(api, u["mpl_chair"], vo, "doorbraak_decision", {
        "decision": "geen_overeenstemming", "motivation": "Geen overeenstemming."})
    task = open_task(vo, "director_decision")
    refused = api(deelverband).post(f"/api/tasks/{task.pk}/complete/", {"motivation": "Nee."}, format="json")
    assert refused.status_code in (403, 404)
    assert task.pk not in [row.pk for row in task_list(deelverband, "queue")]
    assert open_nodes(vo) == ["director_decision"]


def test_the_doe_team_settles_the_placement_without_a_director(api, demo, u, clock):
    case = po_before_the_doe(api, demo, u)
    board, school = board_and_school(demo, "po")
    before = rows()
    no_date = complete(api, u["doe_chair"], case, "doe_advice", {
        "advice": "Plaatsen op De Vlinder.", "school_board": board, "school": school,
        "needs_doorzettingsmacht": False}, expect=400)
    assert "start_date" in no_date.json()
    assert rows() == before and open_nodes(case) == ["doe_advice"]
    complete(api, u["doe_chair"], case, "doe_advice", {
        "advice": "Plaatsen op De Vlinder.", "school_board": board, "school": school,
        "needs_doorzettingsmacht": False, "start_date": "2025-10-20"})
    assert open_nodes(case) == []  # no director step: the flow waits for the start date
    assert status_of(case) == "placed"
    offer = Offer.objects.get(case=case)
    assert (offer.source, offer.start_date) == ("doe_advice", dt.date(2025, 10, 20))
    assert event_kinds(case)[-3:] == ["doe_advised", "placed", "offer_recorded"]
    later(clock, 5)
    assert open_nodes(case) == ["start_confirmation"]
    complete(api, u["kindteam"], case, "start_confirmation", {"started": True, "started_on": "2025-10-20"})
    assert Offer.objects.get(case=case).status == "started"
    assert not CaseTask.objects.filter(case=case, flow_task__endswith=".director_decision").exists()


def test_the_doe_advice_form_asks_whether_the_director_must_decide(api, demo, u, clock):
    case = po_before_the_doe(api, demo, u)
    task = open_task(case, "doe_advice")
    page = browser(u["doe_chair"]).get(f"/task/{task.pk}/").content.decode()
    assert 'name="needs_doorzettingsmacht"' in page
    board, school = board_and_school(demo, "po")
    posted = browser(u["doe_chair"]).post(f"/task/{task.pk}/", {
        "advice": "Plaatsen.", "school_board": board, "school": school, "needs_doorzettingsmacht": "False",
        "start_date": "2025-10-20"})
    assert posted.status_code == 302
    assert Offer.objects.get(case=case).source == "doe_advice"
    # the default: the director decides on the proposal
    other = po_before_the_doe(api, demo, u, name="Jip")
    complete(api, u["doe_chair"], other, "doe_advice", {"advice": "Plaatsen.", "school_board": board})
    assert open_nodes(other) == ["director_decision"]


# --- MBO: the stagnatiemeldpunt, then the management ----------------------------------------------------


@pytest.fixture
def mbo(demo):
    school, team, coordinator = mbo_institution(demo)
    users = {name: User.objects.get(username=demo["users"][name]) for name in ("mbo_stagnatie", "mbo_directie")}
    return {"school": school, "team": team, "coordinator": coordinator, **users}


def mbo_breached(api, u, mbo, clock) -> Case:
    case = signal(api, mbo["coordinator"], mbo["school"].pk, given_name="Mo", birth_date="2008-06-01",
                  absent_since="2025-09-01")
    complete(api, mbo["coordinator"], case, "team_review", {"plan": "JIM.", "routes": ["jim"]})
    breach_day = (timezone.localdate(Deadline.objects.get(case=case, kind="offer_3_months").due_at) - TODAY).days
    later(clock, breach_day)
    assert status_of(case) == "escalated"
    return case, breach_day


def test_an_mbo_breach_goes_to_the_stagnatiemeldpunt_then_the_management(api, demo, u, mbo, clock):
    case, breach_day = mbo_breached(api, u, mbo, clock)
    assert sorted(open_nodes(case)) == ["jim_assignment", "stagnatie"]
    stagnatie = open_task(case, "stagnatie")
    assert (stagnatie.team_id, stagnatie.required_role) == (mbo["team"].pk, "stagnatiemeldpunt")
    assert not CaseParticipant.objects.filter(case=case, team__kind="mpl").exists()
    assert CaseParticipant.objects.filter(case=case, team__kind="leerplicht").exists()
    # the coordinator is not the stagnatiemeldpunt
    refused = api(mbo["coordinator"]).post(f"/api/tasks/{stagnatie.pk}/complete/", {
        "steps": "Gebeld.", "placed": False}, format="json")
    assert refused.status_code == 403
    before = rows()
    bad = complete(api, mbo["mbo_stagnatie"], case, "stagnatie", {"steps": "Intake gepland.", "placed": True},
                   expect=400)
    assert {"school_board", "start_date"} <= set(bad.json())
    assert rows() == before
    complete(api, mbo["mbo_stagnatie"], case, "stagnatie", {
        "steps": "Met de doorstroombegeleider en RMC gesproken; opleiding zoeken.", "placed": False})
    assert "stagnatie" in open_nodes(case)  # no placement yet: the stagnatiemeldpunt keeps it

    assert later(clock, breach_day + 14)["climbed"] == 0
    done = later(clock, breach_day + 15)
    assert done["climbed"] == 1
    assert "stagnatie" not in open_nodes(case) and "stagnatie_escalation" in open_nodes(case)
    escalation = open_task(case, "stagnatie_escalation")
    assert (escalation.team_id, escalation.required_role) == (mbo["team"].pk, "mbo_management")
    event = CaseEvent.objects.get(case=case, kind="stagnatie_escalated")
    assert event.data["days"] == 15 and len(event.data["steps"]) == 1
    leerplicht = set(Membership.objects.filter(team__kind=Team.Kind.LEERPLICHT, team__region=case.region)
                     .values_list("user__username", flat=True))
    assert notified("stagnatie_escalated", case) == leerplicht and leerplicht
    # a late answer of the stagnatiemeldpunt
    cancelled = task_of(case, "stagnatie")
    late = api(mbo["mbo_stagnatie"]).post(f"/api/tasks/{cancelled.pk}/complete/", {
        "steps": "Te laat.", "placed": False}, format="json")
    assert late.status_code == 409 and "directie" in late.json()["detail"]
    # the management's page shows the steps taken so far, and it places the student
    page = browser(mbo["mbo_directie"]).get(f"/task/{escalation.pk}/").content.decode()
    assert "doorstroombegeleider" in page
    board = mbo["school"].board_id
    complete(api, mbo["mbo_directie"], case, "stagnatie_escalation", {
        "steps": "Plek in de entreeopleiding.", "placed": True, "school_board": board, "school": mbo["school"].pk,
        "start_date": (TODAY + dt.timedelta(days=breach_day + 20)).isoformat()})
    assert status_of(case) == "placed"
    assert Offer.objects.get(case=case).source == "stagnatie"
    later(clock, breach_day + 20)
    assert "start_confirmation" in open_nodes(case)
    assert open_task(case, "start_confirmation").team_id == mbo["team"].pk


def test_a_placement_by_the_stagnatiemeldpunt_ends_the_ladder(api, demo, u, mbo, clock):
    case, breach_day = mbo_breached(api, u, mbo, clock)
    complete(api, mbo["mbo_stagnatie"], case, "stagnatie", {
        "steps": "Plaats bij de opleiding Zorg.", "placed": True, "school_board": mbo["school"].board_id,
        "school": mbo["school"].pk, "start_date": (TODAY + dt.timedelta(days=breach_day + 3)).isoformat()})
    assert status_of(case) == "placed"
    assert "stagnatie" not in open_nodes(case)
    assert later(clock, breach_day + 3)["climbed"] == 0
    assert "start_confirmation" in open_nodes(case)
    assert later(clock, breach_day + 20)["climbed"] == 0
    assert "stagnatie_escalation" not in open_nodes(case)
    assert not CaseEvent.objects.filter(case=case, kind="stagnatie_escalated").exists()


def test_the_mbo_exemption_advice_is_titled_for_the_mbo_team(api, demo, u, mbo, clock):
    case = signal(api, mbo["coordinator"], mbo["school"].pk, given_name="Mo", birth_date="2008-06-01",
                  absent_since="2025-09-01")
    complete(api, mbo["coordinator"], case, "team_review", {"plan": "Vrijstelling.", "routes": ["vrijstelling_advies"]})
    complete(api, u["leerplicht"], case, "vrijstelling_request", {
        "grounds": "5a", "motivation": "M", "medical_statement": True})
    task = open_task(case, "vrijstelling_advice")
    title = api(mbo["coordinator"]).get(f"/api/tasks/{task.pk}/").json()["title"]
    assert "MBO" in title and "ECT" not in title
    page = browser(mbo["coordinator"]).get(f"/task/{task.pk}/").content.decode()
    assert "MBO-team: advies vrijstelling" in page and "ECT: advies" not in page
    # a VO pupil's advice stays the ECT's
    vo = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Vera")
    complete(api, u["aoj"], vo, "team_review", {"plan": "Vrijstelling.", "routes": ["vrijstelling_advies"]})
    complete(api, u["leerplicht"], vo, "vrijstelling_request", {
        "grounds": "5a", "motivation": "M", "medical_statement": True})
    vo_task = open_task(vo, "vrijstelling_advice")
    assert "ECT" in api(u["ect"]).get(f"/api/tasks/{vo_task.pk}/").json()["title"]


@pytest.mark.parametrize("role", ["deelverband", "mbo_stagnatie", "mbo_directie"])
def test_the_new_demo_users_have_a_home_page(demo, role):
    user = User.objects.get(username=demo["users"][role])
    home = browser(user).get("/tasks/", follow=True)
    assert home.status_code == 200


def test_the_ladders_events_match_their_kinds_schema(api, demo, u, mbo, clock):
    from openapi_schema_validator import OAS30Validator, oas30_format_checker

    from casework.api.events import data_component_name
    from tests.apiclient import v1_document
    from tests.test_api_statuses import inline

    vo = vo_before_the_mpl(api, demo, u)
    po = po_before_the_doe(api, demo, u)
    settled = po_before_the_doe(api, demo, u, name="Jip")
    board, school = board_and_school(demo, "po")
    complete(api, u["doe_chair"], settled, "doe_advice", {
        "advice": "Plaatsen.", "school_board": board, "school": school, "needs_doorzettingsmacht": False,
        "start_date": "2025-10-20"})
    student, breach_day = mbo_breached(api, u, mbo, clock)
    complete(api, mbo["mbo_stagnatie"], student, "stagnatie", {"steps": "Gebeld met RMC.", "placed": False})
    later(clock, breach_day + 15)
    complete(api, mbo["mbo_directie"], student, "stagnatie_escalation", {
        "steps": "Plek gevonden.", "placed": True, "school_board": mbo["school"].board_id, "school": mbo["school"].pk,
        "start_date": (TODAY + dt.timedelta(days=breach_day + 20)).isoformat()})
    document = v1_document()
    schemas = document["components"]["schemas"]
    seen = set()
    for case, reader in ((vo, u["aoj"]), (po, u["kindteam"]), (settled, u["kindteam"]), (student, mbo["coordinator"])):
        answer = api(reader).get(f"/api/v1/cases/{case.pk}")
        assert answer.status_code == 200, answer.content
        for event in answer.json()["events"]:
            seen.add(event["kind"])
            check = OAS30Validator(inline(schemas[data_component_name(event["kind"])], document),
                                   format_checker=oas30_format_checker)
            errors = [f"{list(e.absolute_path)}: {e.message}" for e in check.iter_errors(event["data"])]
            assert not errors, (event["kind"], event["data"], errors)
    assert {"doorbraak_stalled", "stagnatie_recorded", "stagnatie_escalated", "doe_advised", "placed"} <= seen
