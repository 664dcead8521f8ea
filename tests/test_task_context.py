"""Every task page carries what its decision needs; a rejected advice goes
back to its drafter with the reason; dates and schools that make sense (page and API alike)."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from viewflow.workflow.status import STATUS

from casework.models import CaseEvent, EctAdvice
from notifications.models import Notification
from notifications.presentation import describe
from teams.models import Membership, School, SchoolBoard
from tests.flowkit import board_and_school, complete, in_days, open_task, signal

pytestmark = pytest.mark.django_db


def page(user, url) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def review_with_consult(api, u, demo, **extra):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    complete(api, u["aoj"], case, "team_review", {
        "plan": "Eerst het ECT raadplegen over passende ondersteuning.", "ect_question_kind": "handelingsadvies", "routes": ["ect_consult"],
        "ect_question": "Welke ondersteuning heeft Sam nodig om terug te keren?", **extra})
    return case


def test_the_drafter_sees_the_teams_question_and_plan_prefilled(api, u, demo):
    case = review_with_consult(api, u, demo)
    task = open_task(case, "ect_draft")
    html = page(u["ect"], f"/task/{task.pk}/")
    assert "Welke ondersteuning heeft Sam nodig om terug te keren?" in html
    assert "Eerst het ECT raadplegen over passende ondersteuning." in html
    # the question is the form's starting point: the consultant need not retype it
    assert "Welke ondersteuning heeft Sam nodig om terug te keren?</textarea>" in html


def test_without_a_question_the_draft_takes_the_teams(api, u, demo):
    case = review_with_consult(api, u, demo)
    complete(api, u["ect"], case, "ect_draft", {"advice": "Start met twee uur per dag op school."})
    advice = EctAdvice.objects.get(case=case)
    assert advice.question == "Welke ondersteuning heeft Sam nodig om terug te keren?"


def test_a_question_without_the_consult_is_refused(api, u, demo):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    response = complete(api, u["aoj"], case, "team_review",
                        {"plan": "JIM zoeken", "routes": ["jim"], "ect_question": "Vraag?"}, expect=400)
    assert "ect_question" in response.json()
    assert not case.plans.exists()


def test_the_approver_sees_the_full_advice_and_its_drafter(api, u, demo):
    case = review_with_consult(api, u, demo)
    complete(api, u["ect"], case, "ect_draft", {"advice": "Start met twee uur per dag op school."})
    html = page(u["ect_2"], f"/task/{open_task(case, 'ect_approve').pk}/")
    assert "Start met twee uur per dag op school." in html
    assert u["ect"].get_full_name() in html


def test_a_rejected_advice_goes_back_to_its_drafter_prefilled_with_the_reason_everywhere(api, u, demo):
    case = review_with_consult(api, u, demo)
    complete(api, u["ect"], case, "ect_draft", {"advice": "Start met twee uur per dag op school."})
    complete(api, u["ect_2"], case, "ect_approve", {"approved": False,
                                                    "reason": "Onderbouw het aantal uren met de GGD."})
    redraft = open_task(case, "ect_draft")
    assert (redraft.owner_id, redraft.status) == (u["ect"].pk, STATUS.ASSIGNED)
    # only the drafter hears of the new task; the notice of the rejection carries the reason
    assert list(Notification.objects.filter(task=redraft, kind="task_available")
                .values_list("recipient_id", flat=True)) == [u["ect"].pk]
    rejected = Notification.objects.get(recipient=u["ect"], kind="ect_advice_reviewed")
    assert "Onderbouw het aantal uren met de GGD." in describe(rejected)[0]
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.ECT_ADVICE_REJECTED)
    assert event.detail == "Onderbouw het aantal uren met de GGD."
    html = page(u["ect"], f"/task/{redraft.pk}/")
    assert "Onderbouw het aantal uren met de GGD." in html
    assert "Start met twee uur per dag op school.</textarea>" in html
    assert "Onderbouw het aantal uren met de GGD." in page(u["aoj"], f"/cases/{case.pk}/")  # the timeline
    # the drafter hands in the redraft; the second consultant approves it
    complete(api, u["ect"], case, "ect_draft", {"advice": "Start met twee uur per dag, met GGD-advies."})
    complete(api, u["ect_2"], case, "ect_approve", {"approved": True})
    assert EctAdvice.objects.filter(case=case, status=EctAdvice.Status.APPROVED).count() == 1


def test_a_redraft_goes_to_the_queue_when_the_drafter_left_the_team(api, u, demo):
    case = review_with_consult(api, u, demo)
    complete(api, u["ect"], case, "ect_draft", {"advice": "Advies."})
    Membership.objects.filter(user=u["ect"]).delete()
    complete(api, u["ect_2"], case, "ect_approve", {"approved": False, "reason": "Te kort."})
    redraft = open_task(case, "ect_draft")
    assert (redraft.owner_id, redraft.status) == (None, STATUS.NEW)


def escalate(api, u, demo, **extra):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    complete(api, u["aoj"], case, "team_review", {
        "plan": "Een doorbraak vragen bij de MPL-commissie.", "routes": ["doorbraak"],
        "pupil_preference": "Sam wil naar het Zuiderpoort Lyceum (havo).", **extra})
    return case


def test_the_mpl_chair_sees_plan_preference_and_clocks_and_fitting_schools(api, u, demo):
    case = escalate(api, u, demo)
    html = page(u["mpl_chair"], f"/task/{open_task(case, 'doorbraak_decision').pk}/")
    assert "Een doorbraak vragen bij de MPL-commissie." in html
    assert "Sam wil naar het Zuiderpoort Lyceum (havo)." in html
    assert "Offer and place within 3 months" in html or "3 maanden" in html
    assert "Zuiderpoort Lyceum" in html
    assert "Basisschool De Vlinder" not in html  # a primary school for a secondary pupil is not offered
    board = SchoolBoard.objects.get(pk=School.objects.get(pk=demo["schools"]["vo_2"]).board_id)
    assert f'<optgroup label="{board.name}">' in html


@pytest.mark.parametrize("start_date, message_part", [
    ("2019-09-01", "start"), (None, "year"),
])
def test_a_start_date_before_the_signal_or_over_a_year_ahead_is_refused(api, u, demo, start_date, message_part):
    case = escalate(api, u, demo)
    board, school = board_and_school(demo)
    response = complete(api, u["mpl_chair"], case, "doorbraak_decision", {
        "school_board": board, "school": school, "start_date": start_date or in_days(400),
        "preference_followed": True}, expect=400)
    assert list(response.json()) == ["start_date"]
    assert not case.placements.exists()


def test_a_school_of_another_sector_or_board_is_refused(api, u, demo):
    case = escalate(api, u, demo)
    board, _ = board_and_school(demo)
    primary = demo["schools"]["po"]
    response = complete(api, u["mpl_chair"], case, "doorbraak_decision", {
        "school_board": board, "school": primary, "start_date": in_days(7), "preference_followed": True}, expect=400)
    assert "school" in response.json()
    other_board = School.objects.get(pk=demo["schools"]["vo"]).board_id
    _, school = board_and_school(demo)
    response = complete(api, u["mpl_chair"], case, "doorbraak_decision", {
        "school_board": other_board, "school": school, "start_date": in_days(7), "preference_followed": True},
        expect=400)
    assert "school" in response.json()
    assert not case.placements.exists()


def test_the_web_form_shows_the_date_error_next_to_the_field(api, u, demo):
    case = escalate(api, u, demo)
    task = open_task(case, "doorbraak_decision")
    board, school = board_and_school(demo)
    client = Client()
    client.force_login(u["mpl_chair"])
    response = client.post(f"/task/{task.pk}/", {"school_board": board, "school": school, "start_date": "2019-09-01",
                                                 "preference_followed": "True", "decision": "plaatsing"})
    assert response.status_code == 400
    assert 'id="id_start_date"' in response.content.decode()
    assert response.context["form"].errors["start_date"]


def test_an_arrangement_cannot_start_more_than_a_year_ahead(api, u, demo):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    complete(api, u["aoj"], case, "team_review", {"plan": "Arrangement", "routes": ["arrangement"]})
    response = complete(api, u["aoj"], case, "arrangement_setup", {
        "education": "OPDC", "care_provider": "GGD", "funding": "swv", "start_date": in_days(400),
        "end_date": in_days(500), "evaluation_weeks": 6}, expect=400)
    assert "start_date" in response.json()


def test_the_team_review_shows_what_came_back_from_the_routes(api, u, demo):
    case = review_with_consult(api, u, demo)
    complete(api, u["ect"], case, "ect_draft", {"advice": "Start met twee uur per dag op school."})
    complete(api, u["ect_2"], case, "ect_approve", {"approved": True})
    html = page(u["aoj"], f"/task/{open_task(case, 'team_review').pk}/")
    assert "Start met twee uur per dag op school." in html


def test_a_completed_task_shows_what_it_recorded(api, u, demo):
    case = review_with_consult(api, u, demo)
    done = case.tasks.get(flow_task_type="HUMAN", status=STATUS.DONE)
    kinds = list(CaseEvent.objects.filter(pk__in=done.data["recorded_events"]).values_list("kind", flat=True))
    assert CaseEvent.Kind.TEAM_REVIEW in kinds
    html = page(u["aoj"], f"/task/{done.pk}/")
    assert str(CaseEvent.Kind.TEAM_REVIEW.label) in html or "Teambespreking" in html


def test_follow_up_at_most_a_year_ahead(api, u, demo):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    task = open_task(case, "team_review")
    response = api(u["aoj"]).post(f"/api/tasks/{task.pk}/follow-up/", {"follow_up_on": in_days(400)}, format="json")
    assert response.status_code == 400
    assert "follow_up_on" in response.json()
    task.refresh_from_db()
    assert task.follow_up_on is None


def test_periods_refuse_future_dates_and_reversed_ranges(api, u, demo):
    today = timezone.localdate()
    client = Client()
    client.force_login(u["privacy_officer"])
    future = (today + dt.timedelta(days=3)).isoformat()
    response = client.get("/privacy/access-log/", {"since": future})
    assert response.status_code == 400
    response = client.get("/privacy/access-log/", {"since": today.isoformat(),
                                                   "until": (today - dt.timedelta(days=5)).isoformat()})
    assert response.status_code == 400
    assert response.context["form"].errors["since"]
    monitor_user = u["swv_director"]
    response = api(monitor_user).get("/api/monitor/", {"peildatum": future})
    assert response.status_code == 400 and "peildatum" in response.json()
    response = api(monitor_user).get("/api/monitor/", {"peildatum": today.isoformat(),
                                                      "since": (today + dt.timedelta(days=1)).isoformat()})
    assert response.status_code == 400
    assert api(monitor_user).get("/api/monitor/", {"peildatum": today.isoformat()}).status_code == 200


def test_context_times_are_local_like_the_timeline(api, u, demo):
    case = review_with_consult(api, u, demo)
    plan = case.plans.get()
    html = page(u["ect"], f"/task/{open_task(case, 'ect_draft').pk}/")
    local = timezone.localtime(plan.recorded_at)
    assert f"{local:%H:%M}" in html.split('class="decision-context"')[1].split("</div>")[0]
