"""A confirmed start records how far the pupil takes part, and access follows the pupil.

Thuiszitterspact Groningen, §8: only a pupil who does not yet take part fully, naar vermogen, counts as a
thuiszitter, and a pupil counts at the school where they are enrolled on the day. So the start confirmation
(the arrangement's in the case flow, the placement's in the escalation) records `participation_changed` from
the day the child started, and a start at another school enrols the pupil there (`school_changed`, or av ->
lrv). A move also comes through the registration (the same registration with another school). From the
enrolment the new school's team holds the case and the old school's team no longer sees it (404 on the case
page, the API and the task), its open tasks move to the new team's queue, and the region's Leerplicht is on
the case. Bad input is a 400 on its field and changes nothing. Time is fixed: "today" is 15 October 2025.
"""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient
from viewflow.workflow.status import STATUS

from casework.models import Case, CaseEvent, CaseParticipant, Offer
from casework.services import sweep_due
from teams.models import School, Team
from tests.factories import SchoolFactory
from tests.flowkit import board_and_school, complete, open_nodes, open_task, signal
from workflows.models import CaseTask

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 10, 15)
ROLES = ["aoj", "aoj_2", "kindteam", "ect", "ect_2", "leerplicht", "mpl_chair", "doe_chair", "swv_director",
         "privacy_officer", "outsider", "mbo", "anonymous"]


def at(day, hour: int = 10) -> dt.datetime:
    day = day if isinstance(day, dt.date) else dt.date.fromisoformat(day)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def clock():
    with time_machine.travel(at(TODAY), tick=False) as traveller:
        yield traveller


def fresh(case) -> Case:
    return Case.objects.get(pk=case.pk)


def events(case, kind) -> list[dict]:
    return [event.data for event in CaseEvent.objects.filter(case=case, kind=kind).order_by("at", "pk")]


def rows() -> tuple[int, ...]:
    """What a refused request must leave as it was."""
    return (CaseEvent.objects.count(), CaseParticipant.objects.count(), Offer.objects.filter(status="pending").count(),
            CaseTask.objects.filter(status__in=[STATUS.NEW, STATUS.ASSIGNED]).count())


def state(case) -> tuple:
    case = fresh(case)
    return (case.school_id, case.sector, case.registration, case.participation, case.participation_setting,
            case.status, sorted(case.participants.values_list("team_id", "user_id", "reason")))


def invalid(response) -> set[str]:
    """The fields a 400 names (version 1 answers problem details with `invalidParams`)."""
    body = response.json()
    return {entry["name"] for entry in body["invalidParams"]} if "invalidParams" in body else set(body)


def browser(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="nl")
    client.force_login(user)
    return client


def team_of(demo, key: str) -> Team:
    return Team.objects.get(school_id=demo["schools"][key])


def placed_at_vo_2(api, demo, u, start: str = "2025-10-15") -> Case:
    """A VO pupil of Noorderlicht College (`vo`) whom the MPL places at Zuiderpoort Lyceum (`vo_2`)."""
    case = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Mats", absent_since="2025-08-01")
    complete(api, u["aoj"], case, "team_review", {"plan": "Doorbraak vragen.", "routes": ["doorbraak"]})
    board, school = board_and_school(demo)
    complete(api, u["mpl_chair"], case, "doorbraak_decision", {
        "school_board": board, "school": school, "start_date": start, "preference_followed": True})
    return case


def with_arrangement(api, demo, u) -> Case:
    case = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Roos", absent_since="2025-08-01")
    complete(api, u["aoj"], case, "team_review", {"plan": "Arrangement.", "routes": ["arrangement"]})
    complete(api, u["aoj"], case, "arrangement_setup", {
        "education": "OPDC", "care_provider": "Zorg", "funding": "swv", "start_date": TODAY.isoformat(),
        "end_date": "2026-06-30", "evaluation_weeks": 6})
    return case


def change(api, user, case, registration, *, since="2025-10-15", reason="Verhuisd.", **extra):
    payload = {"registration": registration, "since": since, "reason": reason, **extra}
    return api(user).post(f"/api/v1/cases/{case.pk}/registration", payload, format="json")


# --- the start confirmation records taking part -------------------------------------------------------------------


def test_placement_start_through_the_api_takes_part_and_moves_to_the_new_school(api, demo, u, clock):
    case = placed_at_vo_2(api, demo, u)
    vo, vo_2 = demo["schools"]["vo"], demo["schools"]["vo_2"]
    task = open_task(case, "start_confirmation")
    assert task.team_id == team_of(demo, "vo").pk
    complete(api, u["aoj"], case, "start_confirmation", {"started": True, "started_on": "2025-10-14"})

    case = fresh(case)
    assert (case.school_id, case.sector, case.registration) == (vo_2, "vo", "lrv")
    assert (case.participation, case.participation_setting) == ("volledig", "andere_school")  # from the offer
    assert events(case, "participation_changed") == [
        {"from": "geen", "level": "volledig", "since": "2025-10-14", "setting": "andere_school", "note": ""}]
    moved = events(case, "school_changed")
    assert len(moved) == 1 and set(moved[0]) == {"from_school", "school", "sector", "region", "since", "reason"}
    assert {key: moved[0][key] for key in ("from_school", "school", "sector", "region", "since")} == {
        "from_school": vo, "school": vo_2, "sector": "vo", "region": case.region_id, "since": "2025-10-14"}
    assert "Zuiderpoort Lyceum" in moved[0]["reason"]
    handed = events(case, "case_handed_over")
    assert handed == [{"from_teams": [team_of(demo, "vo").pk], "to_team": team_of(demo, "vo_2").pk,
                       "school": vo_2, "since": "2025-10-14", "reason": moved[0]["reason"]}]
    assert case.deadlines.get(kind="offer_3_months").state == "met"
    # who takes part now: the new school's team and Leerplicht; the old school's team no longer
    teams = dict(case.participants.filter(team__isnull=False).values_list("team_id", "reason"))
    assert teams[team_of(demo, "vo_2").pk] == "school_team"
    assert teams[Team.objects.get(region=case.region, kind="leerplicht").pk] == "leerplicht"
    assert team_of(demo, "vo").pk not in teams
    # the team's review that follows the escalation is the new team's
    assert open_nodes(case) == ["team_review"]
    assert open_task(case, "team_review").team_id == team_of(demo, "vo_2").pk
    # the timeline, which the new team reads, shows the hand-over
    page = browser(u["outsider"]).get(f"/cases/{case.pk}/").content.decode()
    assert "Zuiderpoort Lyceum" in page


def test_placement_start_through_the_form_with_partial_participation(api, demo, u, clock):
    case = placed_at_vo_2(api, demo, u)
    task = open_task(case, "start_confirmation")
    aoj = browser(u["aoj"])
    page = aoj.get(f"/task/{task.pk}/")
    form = page.context["form"]
    assert (form["level"].value(), form["setting"].value()) == ("volledig", "andere_school")  # from the offer
    response = aoj.post(f"/task/{task.pk}/", {"started": "True", "started_on": "2025-10-15", "level": "gedeeltelijk",
                                              "setting": "andere_school"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not response["Location"].startswith(f"/cases/{case.pk}/")
    case = fresh(case)
    assert (case.school_id, case.participation) == (demo["schools"]["vo_2"], "gedeeltelijk")
    assert events(case, "participation_changed")[-1]["level"] == "gedeeltelijk"
    assert case.deadlines.get(kind="offer_3_months").state == "met"  # the place started: the promise is kept
    assert aoj.get(f"/cases/{case.pk}/").status_code == 404


def test_arrangement_start_through_the_api_takes_part_without_a_move(api, demo, u, clock):
    case = with_arrangement(api, demo, u)
    complete(api, u["aoj"], case, "start_confirmation", {"started": True, "started_on": "2025-10-15"})
    case = fresh(case)
    assert (case.participation, case.participation_setting) == ("volledig", "arrangement")
    assert events(case, "participation_changed")[-1]["since"] == "2025-10-15"
    assert case.school_id == demo["schools"]["vo"] and not events(case, "school_changed")
    assert api(u["aoj"]).get(f"/api/v1/cases/{case.pk}").status_code == 200


def test_arrangement_start_through_the_form(api, demo, u, clock):
    case = with_arrangement(api, demo, u)
    task = open_task(case, "start_confirmation")
    aoj = browser(u["aoj"])
    assert aoj.get(f"/task/{task.pk}/").context["form"]["setting"].value() == "arrangement"
    response = aoj.post(f"/task/{task.pk}/", {"started": "True", "started_on": "2025-10-15", "level": "gedeeltelijk",
                                              "setting": "opdc_doorstart"})
    assert response.status_code == 302, response.content.decode()[:2000]
    case = fresh(case)
    assert (case.participation, case.participation_setting) == ("gedeeltelijk", "opdc_doorstart")
    assert events(case, "participation_changed") == [
        {"from": "geen", "level": "gedeeltelijk", "since": "2025-10-15", "setting": "opdc_doorstart", "note": ""}]


def test_a_start_ends_the_escalated_status(api, demo, u, clock):
    """A place decided for after the three-month due date: the breach escalates the case; its start places it
    again."""
    case = placed_at_vo_2(api, demo, u, start="2025-11-10")
    clock.move_to(at("2025-11-02"))
    sweep_due()
    assert fresh(case).status == "escalated"
    clock.move_to(at("2025-11-10", 9))
    sweep_due()
    complete(api, u["aoj"], case, "start_confirmation", {"started": True, "started_on": "2025-11-10"})
    assert fresh(case).status == "placed"
    assert events(case, "placed")[-1] == {"by": "doorbraak"}


def test_an_absolute_verzuimer_who_starts_at_the_placement_becomes_lrv_there(api, demo, u, clock):
    case = placed_at_vo_2(api, demo, u)
    # unenrolled before the start: Leerplicht holds the case, the old school's team still takes part (and has
    # the confirmation in its queue)
    assert change(api, u["aoj"], case, "av", reason="Uitgeschreven.").status_code == 200
    complete(api, u["aoj"], case, "start_confirmation", {"started": True, "started_on": "2025-10-15"})
    case = fresh(case)
    assert (case.registration, case.school_id) == ("lrv", demo["schools"]["vo_2"])
    last = events(case, "registration_changed")[-1]
    assert (last["from"], last["to"], last["school"], last["region"]) == ("av", "lrv", case.school_id, case.region_id)
    assert not events(case, "school_changed")
    assert api(u["aoj"]).get(f"/api/v1/cases/{case.pk}").status_code == 404
    assert api(u["outsider"]).get(f"/api/v1/cases/{case.pk}").status_code == 200


# --- after the move: every role -----------------------------------------------------------------------------------

AFTER_MOVE_VISIBLE = {"outsider", "leerplicht", "mpl_chair"}  # the new school's team, Leerplicht, the MPL


def test_after_the_move_every_role(api, demo, u, clock):
    case = placed_at_vo_2(api, demo, u)
    confirmation = open_task(case, "start_confirmation")
    complete(api, u["aoj"], case, "start_confirmation", {"started": True, "started_on": "2025-10-15"})
    review = open_task(case, "team_review")
    urls = {
        "case page": ("web", f"/cases/{case.pk}/"),
        "case API": ("api", f"/api/v1/cases/{case.pk}"),
        "task page": ("web", f"/task/{review.pk}/"),
        "task API": ("api", f"/api/tasks/{review.pk}/"),
        "done task page": ("web", f"/task/{confirmation.pk}/"),
    }
    answers, expected = {}, {}
    for role in ROLES:
        user = u.get(role)
        web, rest = Client(), APIClient()
        if user is not None:
            web.force_login(user)
            rest.force_authenticate(user)
        for name, (channel, url) in urls.items():
            answers[role, name] = (web if channel == "web" else rest).get(url).status_code
            if user is None:
                expected[role, name] = 302 if channel == "web" else 401
            else:
                expected[role, name] = 200 if role in AFTER_MOVE_VISIBLE else 404
    assert answers == expected
    # the old team cannot take or complete the review; the new team can
    assert api(u["aoj"]).post(f"/api/tasks/{review.pk}/claim/").status_code == 404
    assert api(u["outsider"]).post(f"/api/tasks/{review.pk}/claim/").status_code == 200
    # nor record a registration, and the case is gone from its lists
    assert change(api, u["aoj"], case, "ziek").status_code == 404
    assert case.pk not in [row["id"] for row in api(u["aoj"]).get("/api/cases/").json()["results"]]


# --- moves through the registration -------------------------------------------------------------------------------


def test_school_changed_through_the_api_moves_the_case_and_its_open_tasks(api, demo, u, clock):
    case = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Jesse", absent_since="2025-08-01")
    review = open_task(case, "team_review")
    assert api(u["aoj_2"]).post(f"/api/tasks/{review.pk}/claim/").status_code == 200
    response = change(api, u["aoj"], case, "lrv", since="2025-10-13", reason="Ingeschreven op het Zuiderpoort.",
                      school=demo["schools"]["vo_2"])
    assert response.status_code == 200, response.content
    case = fresh(case)
    assert (case.school_id, case.registration) == (demo["schools"]["vo_2"], "lrv")
    moved = events(case, "school_changed")
    assert moved == [{"from_school": demo["schools"]["vo"], "school": demo["schools"]["vo_2"], "sector": "vo",
                      "region": case.region_id, "since": "2025-10-13", "reason": "Ingeschreven op het Zuiderpoort."}]
    assert [data["to"] for data in events(case, "registration_changed")] == ["lrv"]  # no new registration
    assert events(case, "registration_changed")[0]["region"] == case.region_id
    # the claimed review is back in the new team's queue
    review.refresh_from_db()
    assert (review.team_id, review.owner_id, review.status) == (team_of(demo, "vo_2").pk, None, STATUS.NEW)
    for role in ("aoj", "aoj_2"):
        assert api(u[role]).get(f"/api/v1/cases/{case.pk}").status_code == 404
        assert api(u[role]).get(f"/api/tasks/{review.pk}/").status_code == 404
    for role in ("outsider", "leerplicht"):
        assert api(u[role]).get(f"/api/v1/cases/{case.pk}").status_code == 200
    complete(api, u["outsider"], case, "team_review", {"plan": "Welkom op school.", "routes": ["jim"]})
    # the history (and the access log) show the change
    timeline = [event["kind"] for event in api(u["outsider"]).get(f"/api/v1/cases/{case.pk}").json()["events"]]
    assert "school_changed" in timeline and "case_handed_over" in timeline


def test_a_move_on_the_registration_card(api, demo, u, clock):
    case = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Noor", registration="ziek",
                  absent_since="2025-09-01")
    response = browser(u["aoj"]).post(f"/cases/{case.pk}/registration/", {
        "registration-registration": "ziek", "registration-since": "2025-10-15",
        "registration-reason": "Verhuisd binnen de stad.", "registration-school": demo["schools"]["mbo"]})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == "/cases/"  # the case is with the new school's team now
    case = fresh(case)
    assert (case.school_id, case.sector, case.registration) == (demo["schools"]["mbo"], "mbo", "ziek")
    assert events(case, "school_changed")[0]["sector"] == "mbo"
    assert api(u["mbo"]).get(f"/api/v1/cases/{case.pk}").status_code == 200
    assert api(u["aoj"]).get(f"/api/v1/cases/{case.pk}").status_code == 404


def test_enrolment_of_an_absolute_verzuimer_hands_the_case_to_the_school(api, demo, u, clock):
    case = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Ilse", absent_since="2025-08-01")
    assert change(api, u["aoj"], case, "av", reason="Uitgeschreven.").status_code == 200
    review = CaseTask.objects.filter(case=case, status=STATUS.NEW, flow_task_type="HUMAN").get()
    response = change(api, u["leerplicht"], case, "lrv", reason="Ingeschreven.", school=demo["schools"]["vo_2"])
    assert response.status_code == 200, response.content
    assert events(case, "registration_changed")[-1]["region"] == fresh(case).region_id
    review.refresh_from_db()
    assert review.team_id == team_of(demo, "vo_2").pk  # the case team's step is the new team's
    assert api(u["aoj"]).get(f"/api/v1/cases/{case.pk}").status_code == 404  # the old school no longer
    assert api(u["leerplicht"]).get(f"/api/v1/cases/{case.pk}").status_code == 200


# --- bad input changes nothing ------------------------------------------------------------------------------------


@pytest.fixture
def elsewhere(demo) -> dict:
    """A VO school in another region, and one in the case's region without a team."""
    vo = School.objects.get(pk=demo["schools"]["vo"])
    return {"other_region": SchoolFactory(name="Verweg College").pk,
            "no_team": SchoolFactory(name="Nieuw College", region=vo.region, board=vo.board, team=False).pk}


REFUSED_MOVES = [
    # (registration, extra, field)
    ("lrv", {"school": "other_region"}, "school"),
    ("lrv", {"school": "no_team"}, "school"),
    ("ziek", {"school": "vo_2"}, "school"),  # a change and a move at once
    ("lrv", {"school": "vo"}, "registration"),  # the same school: nothing changes
    ("av", {"school": "vo_2"}, "school"),
    ("lrv", {"school": "vo_2", "since": "2025-10-16"}, "since"),  # in the future
    ("lrv", {"school": "vo_2", "since": "2025-07-01"}, "since"),  # before the first day out of school
    ("lrv", {"school": "vo_2", "reason": ""}, "reason"),
]


@pytest.mark.parametrize(("registration", "extra", "field"), REFUSED_MOVES,
                         ids=["other_region", "no_team", "change_and_move", "same_school", "av_with_school",
                              "future", "before_absence", "no_reason"])
def test_refused_move_changes_nothing(api, demo, u, clock, elsewhere, registration, extra, field):
    case = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Bo", absent_since="2025-08-01")
    extra = {key: (elsewhere.get(value) or demo["schools"].get(value)) if key == "school" else value
             for key, value in extra.items()}
    before, as_was = rows(), state(case)
    response = change(api, u["aoj"], case, registration, **extra)
    assert response.status_code == 400, response.content
    assert field in invalid(response), response.json()
    assert rows() == before and state(case) == as_was


def test_a_move_not_before_the_last_move(api, demo, u, clock):
    case = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Kai", absent_since="2025-08-01")
    assert change(api, u["aoj"], case, "lrv", since="2025-10-10", school=demo["schools"]["vo_2"]).status_code == 200
    before, as_was = rows(), state(case)
    response = change(api, u["outsider"], case, "lrv", since="2025-10-09", school=demo["schools"]["mbo"])
    assert response.status_code == 400 and "since" in invalid(response)
    assert rows() == before and state(case) == as_was


REFUSED_STARTS = [
    ({"level": "geen"}, "level"),
    ({"level": "bijna"}, "level"),
    ({"setting": "thuis"}, "setting"),
    ({"started_on": "2025-10-16"}, "started_on"),
    ({"started_on": "2025-07-31"}, "started_on"),
    ({"started_on": None}, "started_on"),
]


@pytest.mark.parametrize(("override", "field"), REFUSED_STARTS,
                         ids=["level_geen", "level_unknown", "setting_unknown", "future", "before_absence", "no_date"])
def test_refused_start_changes_nothing(api, demo, u, clock, override, field):
    case = placed_at_vo_2(api, demo, u)
    before, as_was = rows(), state(case)
    payload = {"started": True, "started_on": "2025-10-15", **override}
    response = complete(api, u["aoj"], case, "start_confirmation", {k: v for k, v in payload.items() if v is not None},
                        expect=400)
    assert field in response.json(), response.json()
    assert rows() == before and state(case) == as_was
    assert open_nodes(case) == ["start_confirmation"]


def test_a_start_at_a_school_that_cannot_take_the_case_is_refused(api, demo, u, clock, elsewhere):
    case = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Sam", absent_since="2025-08-01")
    complete(api, u["aoj"], case, "team_review", {"plan": "Doorbraak vragen.", "routes": ["doorbraak"]})
    school = School.objects.get(pk=elsewhere["no_team"])
    complete(api, u["mpl_chair"], case, "doorbraak_decision", {
        "school_board": school.board_id, "school": school.pk, "start_date": "2025-10-15", "preference_followed": True})
    before, as_was = rows(), state(case)
    response = complete(api, u["aoj"], case, "start_confirmation", {"started": True, "started_on": "2025-10-15"},
                        expect=400)
    assert "__all__" in response.json() or "non_field_errors" in response.json(), response.json()
    assert rows() == before and state(case) == as_was
