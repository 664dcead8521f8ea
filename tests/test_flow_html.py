"""The same paths through the Dutch web pages: inbox, claim, task forms, case page."""

import pytest
from django.test import Client

from casework.models import Case, EctAdvice
from tests.flowkit import (
    board_and_school,
    event_kinds,
    in_days,
    open_nodes,
    open_task,
    signal,
    status_of,
)

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="nl")
    client.force_login(user)
    return client


def submit(user, case, node, data, expect=302):
    task = open_task(case, node)
    response = browser(user).post(f"/task/{task.pk}/", data)
    assert response.status_code == expect, response.content.decode()[:3000]
    return response


def test_vo_path_through_the_web_forms(api, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    aoj = browser(u["aoj"])
    queue = aoj.get("/tasks/queue/").content.decode()
    task = open_task(case, "team_review")
    assert "Teambespreking" in queue and f"/task/{task.pk}/claim/" in queue
    # claim with one click, then the task page shows the Dutch form beside the case
    response = aoj.post(f"/task/{task.pk}/claim/")
    assert response.status_code == 302 and response["Location"] == f"/task/{task.pk}/"
    page = aoj.get(f"/task/{task.pk}/").content.decode()
    assert "Plan van aanpak" in page and "Tijdlijn" in page and "Sanne Testkind" in page
    assert "Taak afronden" in page
    assert "Sanne Testkind" in aoj.get("/tasks/mine/").content.decode()

    submit(u["aoj"], case, "team_review", {"plan": "ECT en JIM.", "ect_question_kind": "handelingsadvies", "routes": ["ect_consult", "jim"]})
    assert status_of(case) == "active" and open_nodes(case) == ["ect_draft", "jim_assignment"]

    submit(u["ect"], case, "ect_draft", {"question": "Welke school?", "advice": "OPDC."})
    # four eyes in the UI: the drafter sees why, and posting is refused
    drafter_page = browser(u["ect"]).get(f"/task/{open_task(case, 'ect_approve').pk}/").content.decode()
    assert "Vier ogen" in drafter_page and "Taak afronden" not in drafter_page
    refused = submit(u["ect"], case, "ect_approve", {"approved": "True"}, expect=403)
    assert "Vier ogen" in refused.content.decode()
    assert EctAdvice.objects.get(case=case).status == "pending"
    submit(u["ect_2"], case, "ect_approve", {"approved": "True"})

    bad = submit(u["aoj_2"], case, "jim_assignment", {"mentor_name": "Tante Els", "relation": "tante",
                                                       "contact": "0600000000"}, expect=400)
    assert "De jongere moet deze mentor zelf gekozen hebben" in bad.content.decode()
    submit(u["aoj_2"], case, "jim_assignment", {"mentor_name": "Tante Els", "relation": "tante",
                                                "contact": "0600000000", "consent": "on", "share": ["plan"]})
    assert open_nodes(case) == ["team_review"]

    submit(u["aoj"], case, "team_review", {"plan": "Naar MPL.", "routes": ["doorbraak"]})
    board, school = board_and_school(demo, "vo")  # at its own school: the team stays on the case
    submit(u["mpl_chair"], case, "doorbraak_decision", {"school_board": board, "school": school,
                                                        "start_date": in_days(0), "preference_followed": "True"})
    assert status_of(case) == "placed"
    # the place starts today: the team confirms the start on its form before the next review
    assert open_nodes(case) == ["start_confirmation"]
    bad = submit(u["aoj"], case, "start_confirmation", {"started": "True"}, expect=400)
    assert list(bad.context["form"].errors) == ["started_on"] and open_nodes(case) == ["start_confirmation"]
    submit(u["aoj"], case, "start_confirmation", {"started": "True", "started_on": in_days(0)})
    assert event_kinds(case)[-2:] == ["offer_started", "participation_changed"]
    assert open_nodes(case) == ["team_review"]
    submit(u["aoj"], case, "team_review", {"plan": "Terug op school.", "outcome": "terug_naar_school"})
    assert status_of(case) == "closed"
    assert event_kinds(case)[-1] == "closed"
    archive = aoj.get("/tasks/archive/").content.decode()
    assert archive.count("\">Teambespreking</a>") == 3


def test_case_page_shows_flow_tasks_advice_and_mentor(api, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    submit(u["aoj"], case, "team_review", {"plan": "Plan A.", "ect_question_kind": "handelingsadvies", "routes": ["ect_consult"]})
    submit(u["ect"], case, "ect_draft", {"question": "Vraag?", "advice": "Het advies van het ECT."})
    page = browser(u["aoj"]).get(f"/cases/{case.pk}/").content.decode()
    assert "<svg" in page
    assert "Het advies van het ECT." not in page  # not yet approved: not for the case team
    assert "ECT: advies goedkeuren" in page  # the open task
    submit(u["ect_2"], case, "ect_approve", {"approved": "True"})
    page = browser(u["aoj"]).get(f"/cases/{case.pk}/").content.decode()
    assert "Het advies van het ECT." in page and "Plan A." in page
    assert "Advies ECT goedgekeurd" in page  # timeline in Dutch


def test_bad_form_shows_field_errors_and_changes_nothing(api, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    before = (event_kinds(case), open_nodes(case))
    response = submit(u["aoj"], case, "team_review", {"plan": "", "routes": ["jim"]}, expect=400)
    html = response.content.decode()
    # once next to the field, once in the error summary at the top that links to it
    assert html.count("Dit veld is vereist.") == 2
    assert 'href="#id_plan"' in html.split('class="error-summary')[1]
    response = submit(u["aoj"], case, "team_review", {"plan": "P"}, expect=400)
    assert "Kies een of meer routes" in response.content.decode()
    assert (event_kinds(case), open_nodes(case)) == before
    assert Case.objects.get(pk=case.pk).status == "signalled"


def test_outsider_gets_404_on_task_pages(api, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    task = open_task(case, "team_review")
    outsider = browser(u["outsider"])
    assert outsider.get(f"/task/{task.pk}/").status_code == 404
    assert outsider.post(f"/task/{task.pk}/", {"plan": "x", "outcome": "anders"}).status_code == 404
    assert outsider.post(f"/task/{task.pk}/claim/").status_code == 404
    assert outsider.post(f"/task/{task.pk}/unclaim/").status_code == 404
    assert "Sanne" not in outsider.get("/tasks/queue/").content.decode()
    assert open_nodes(case) == ["team_review"] and open_task(case, "team_review").owner is None


def test_empty_inbox_says_what_to_do(u):
    page = browser(u["aoj"]).get("/tasks/mine/").content.decode()
    assert "U heeft geen taken opgepakt" in page
