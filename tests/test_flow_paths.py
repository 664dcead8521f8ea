"""Whole paths of a case through CaseFlow over the tasks API: after each step the status,
the CaseEvents and the next open tasks are as the flow table says."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from casework.models import Case, CaseParticipant, EctAdvice, Mentor, RouteRun
from casework.services import sweep_due
from tests.flowkit import (
    board_and_school,
    complete,
    event_kinds,
    in_days,
    open_nodes,
    open_task,
    signal,
    status_of,
)

pytestmark = pytest.mark.django_db


def test_vo_path_ect_and_jim_then_doorbraak_then_closed(api, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    assert open_nodes(case) == ["team_review"]
    assert open_task(case, "team_review").team.school_id == demo["schools"]["vo"]

    complete(api, u["aoj"], case, "team_review", {"plan": "ECT vragen, JIM zoeken.", "ect_question_kind": "handelingsadvies", "routes": ["ect_consult", "jim"]})
    assert status_of(case) == "active"
    assert open_nodes(case) == ["ect_draft", "jim_assignment"]
    assert case.participants.filter(team__kind="ect", reason="consult").exists()
    assert event_kinds(case)[-1] == "team_review"

    complete(api, u["ect"], case, "ect_draft", {"question": "Welk aanbod past?", "advice": "OPDC met zorg."})
    assert open_nodes(case) == ["ect_approve", "jim_assignment"]
    # four eyes: the drafter may not approve
    response = complete(api, u["ect"], case, "ect_approve", {"approved": True}, expect=403)
    assert "Four eyes" in response.json()["detail"] or "Vier ogen" in response.json()["detail"]
    assert EctAdvice.objects.get(case=case).status == "pending"
    complete(api, u["ect_2"], case, "ect_approve", {"approved": True})
    assert EctAdvice.objects.get(case=case).status == "approved"
    assert open_nodes(case) == ["jim_assignment"]  # the join waits for the JIM branch

    complete(api, u["aoj_2"], case, "jim_assignment", {
        "mentor_name": "Oom Piet (synthetisch)", "relation": "oom", "contact": "06-00000000",
        "consent": True, "share": ["plan"]})
    assert Mentor.objects.get(case=case).share == ["plan"]
    assert open_nodes(case) == ["team_review"]  # joined back to the hub

    complete(api, u["aoj"], case, "team_review", {"plan": "Geen plek gevonden: naar MPL.", "routes": ["doorbraak"]})
    assert status_of(case) == "escalated"
    assert open_nodes(case) == ["doorbraak_decision"]
    assert case.participants.filter(team__kind="mpl").exists()

    board, school = board_and_school(demo)
    complete(api, u["mpl_chair"], case, "doorbraak_decision", {
        "school_board": board, "school": school, "start_date": in_days(0), "preference_followed": True})
    assert status_of(case) == "placed"
    # the place starts today: the team confirms the start before the waiting branch goes on
    assert open_nodes(case) == ["start_confirmation"]
    assert open_task(case, "start_confirmation").team.school_id == demo["schools"]["vo"]
    assert case.deadlines.get(kind="offer_3_months").met_at is None
    complete(api, u["aoj"], case, "start_confirmation", {"started": True, "started_on": in_days(0)})
    assert case.deadlines.get(kind="offer_3_months").state == "met"
    assert open_nodes(case) == ["team_review"]

    # started at Zuiderpoort Lyceum: its team (the demo's `outsider`) holds the case and reviews it
    complete(api, u["outsider"], case, "team_review", {"plan": "Gestart op nieuwe school.", "routes": [],
                                                   "outcome": "terug_naar_school"})
    case = Case.objects.get(pk=case.pk)
    assert (case.status, case.outcome) == ("closed", "terug_naar_school")
    assert open_nodes(case) == []
    assert sorted(case.processes.values_list("status", flat=True)) == ["DONE", "DONE"]  # case flow + escalation
    assert event_kinds(case) == [
        "signalled", "registration_changed", "team_review", "ect_advice_drafted", "ect_advice_approved",
        "mentor_assigned", "team_review", "escalated", "doorbraak_decided", "placed", "offer_recorded",
        "offer_started", "school_changed", "case_handed_over", "participation_changed", "team_review", "closed"]
    assert not RouteRun.objects.filter(case=case, ended_at__isnull=True).exists()


def test_po_path_doe_advice_and_director_decision(api, demo, u):
    case = signal(api, u["kindteam"], demo["schools"]["po"], birth_date="2017-03-01")
    assert open_task(case, "team_review").team.kind == "kindteam"
    complete(api, u["kindteam"], case, "team_review", {"plan": "Geen passende plek: DOE-team.", "routes": ["doorbraak"]})
    assert status_of(case) == "escalated"
    assert open_nodes(case) == ["doe_advice"]
    board, school = board_and_school(demo, "po")
    # only the DOE chair may advise; the MPL chair does not even see the PO case
    task = open_task(case, "doe_advice")
    assert api(u["mpl_chair"]).post(f"/api/tasks/{task.pk}/complete/", {}, format="json").status_code == 404
    complete(api, u["doe_chair"], case, "doe_advice", {"advice": "Plaatsen op De Vlinder met ondersteuning.",
                                                       "school_board": board, "school": school})
    assert open_nodes(case) == ["director_decision"]
    assert status_of(case) == "escalated"
    director_task = open_task(case, "director_decision")
    assert director_task.team is None and director_task.region_role == "swv_director"
    complete(api, u["swv_director"], case, "director_decision", {
        "school_board": board, "school": school, "start_date": in_days(7), "motivation": "Doorzettingsmacht."})
    assert status_of(case) == "placed"
    assert event_kinds(case)[-4:] == ["doe_advised", "director_decided", "placed", "offer_recorded"]
    # the flow waits for the start date; the sweeper releases it, then the team confirms the start
    assert open_nodes(case) == []
    assert sweep_due().passed == 0
    with time_machine.travel(timezone.now() + timedelta(days=7), tick=False):
        assert sweep_due().passed == 1  # the offer_start clock
        assert open_nodes(case) == ["start_confirmation"]
        assert open_task(case, "start_confirmation").team.kind == "kindteam"
        complete(api, u["kindteam"], case, "start_confirmation", {"started": True, "started_on": in_days(0)})
        assert open_nodes(case) == ["team_review"]
        assert event_kinds(case)[-2:] == ["offer_started", "participation_changed"]
        complete(api, u["kindteam"], case, "team_review", {"plan": "Geplaatst.", "outcome": "passend_aanbod"})
    assert status_of(case) == "closed"
def test_vrijstelling_path_granted_sets_registration_vrij(api, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    complete(api, u["aoj"], case, "team_review", {"plan": "Advies vrijstelling vragen.",
                                                   "routes": ["vrijstelling_advies"]})
    assert open_nodes(case) == ["vrijstelling_request"]
    assert case.participants.filter(team__kind="leerplicht").exists()
    complete(api, u["leerplicht"], case, "vrijstelling_request", {
        "grounds": "5a", "motivation": "Niet in staat tot schoolbezoek.", "medical_statement": True})
    assert open_nodes(case) == ["vrijstelling_advice"]
    complete(api, u["ect"], case, "vrijstelling_advice", {
        "advice": "voorwaardelijk", "motivation": "Alleen met zorgtraject.", "alternatives": "Deeltijd OPDC."})
    assert open_nodes(case) == ["vrijstelling_decision"]
    # granted without an end date is refused and changes nothing
    complete(api, u["leerplicht"], case, "vrijstelling_decision",
             {"granted": True, "motivation": "Verleend."}, expect=400)
    assert Case.objects.get(pk=case.pk).registration == "lrv"
    complete(api, u["leerplicht"], case, "vrijstelling_decision",
             {"granted": True, "until": in_days(180), "motivation": "Verleend tot einde schooljaar."})
    assert Case.objects.get(pk=case.pk).registration == "vrij"
    assert event_kinds(case)[-2:] == ["vrijstelling_decided", "registration_changed"]
    assert open_nodes(case) == ["team_review"]


def test_arrangement_with_two_evaluations(api, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    complete(api, u["aoj"], case, "team_review", {"plan": "Arrangement opzetten.", "routes": ["arrangement"]})
    complete(api, u["aoj_2"], case, "arrangement_setup", {
        "education": "OPDC Stad", "care_provider": "Zorgaanbieder Demo", "funding": "beide",
        "start_date": in_days(0), "end_date": in_days(120), "evaluation_weeks": 6})
    assert status_of(case) == "placed"
    assert open_nodes(case) == ["start_confirmation"]  # starts today: confirm the start first
    complete(api, u["aoj"], case, "start_confirmation", {"started": True, "started_on": in_days(0)})
    assert open_nodes(case) == ["arrangement_evaluation"]
    complete(api, u["aoj"], case, "arrangement_evaluation", {"result": "voortzetten", "notes": "Gaat goed."})
    assert open_nodes(case) == ["arrangement_evaluation"]
    complete(api, u["aoj"], case, "arrangement_evaluation", {"result": "beeindigen", "notes": "Terug naar school."})
    assert open_nodes(case) == ["team_review"]
    assert [e for e in event_kinds(case) if e.startswith("arrangement")] == [
        "arrangement_set_up", "arrangement_evaluated", "arrangement_evaluated"]


def test_rejected_advice_goes_back_to_draft_with_reason(api, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    complete(api, u["aoj"], case, "team_review", {"plan": "ECT.", "ect_question_kind": "handelingsadvies", "routes": ["ect_consult"]})
    complete(api, u["ect"], case, "ect_draft", {"question": "V?", "advice": "A."})
    complete(api, u["ect_2"], case, "ect_approve", {"approved": False}, expect=400)  # reason required
    assert open_nodes(case) == ["ect_approve"]
    complete(api, u["ect_2"], case, "ect_approve", {"approved": False, "reason": "Onderbouwing ontbreekt."})
    assert open_nodes(case) == ["ect_draft"]
    assert EctAdvice.objects.get(case=case).reason == "Onderbouwing ontbreekt."
    # the redraft is claimed for its drafter: another consultant cannot take it ...
    redraft = open_task(case, "ect_draft")
    assert redraft.owner == u["ect"]
    complete(api, u["ect_2"], case, "ect_draft", {"question": "V?", "advice": "A, onderbouwd."}, expect=409)
    # ... unless the drafter releases it; then the reviewer may draft the new version and the
    # first drafter may approve it
    assert api(u["ect"]).post(f"/api/tasks/{redraft.pk}/unclaim/").status_code == 200
    complete(api, u["ect_2"], case, "ect_draft", {"question": "V?", "advice": "A, onderbouwd."})
    assert open_task(case, "ect_approve").excluded_user == u["ect_2"]
    complete(api, u["ect"], case, "ect_approve", {"approved": True})
    assert open_nodes(case) == ["team_review"]


def test_jim_mentor_account_sees_only_shared_parts(api, client, demo, u):
    from tests.factories import UserFactory

    mentor_user = UserFactory(username="mentor.piet")
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    complete(api, u["aoj"], case, "team_review", {"plan": "Het gedeelde plan.", "ect_question_kind": "handelingsadvies", "routes": ["jim", "ect_consult"]})
    complete(api, u["aoj"], case, "jim_assignment", {
        "mentor_name": "Piet", "relation": "buurman", "contact": "piet@example.invalid", "consent": True,
        "share": ["plan"], "mentor_username": "mentor.piet"})
    complete(api, u["ect"], case, "ect_draft", {"question": "Geheime vraag", "advice": "Niet gedeeld advies"})
    complete(api, u["ect_2"], case, "ect_approve", {"approved": True})
    assert CaseParticipant.objects.filter(case=case, user=mentor_user, reason="mentor").exists()
    # no case file, no tasks for the mentor
    assert api(mentor_user).get(f"/api/cases/{case.pk}/").status_code == 404
    assert api(mentor_user).get("/api/cases/").json()["count"] == 0
    client.force_login(mentor_user)
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    page = client.get(f"/cases/{case.pk}/mentor/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Het gedeelde plan." in html
    assert "Niet gedeeld advies" not in html and "Testkind" not in html and "06-" not in html
    # another user with no mentorship gets 404 on the mentor page
    client.force_login(u["aoj_2"])
    assert client.get(f"/cases/{case.pk}/mentor/").status_code == 404


def test_consent_is_required_for_a_mentor(api, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    complete(api, u["aoj"], case, "team_review", {"plan": "JIM.", "routes": ["jim"]})
    response = complete(api, u["aoj"], case, "jim_assignment", {
        "mentor_name": "X", "relation": "tante", "contact": "x", "consent": False, "share": []}, expect=400)
    assert "consent" in response.json()
    assert not Mentor.objects.exists()
    assert open_nodes(case) == ["jim_assignment"]
