"""Every display of children's data leaves a trace. A list or search writes one
access-log row per request naming the cases it showed; the privacy officer finds a case in those
rows, and the case's own "who looked at this file" list shows them."""

import datetime as dt

import pytest
from django.test import Client

from casework.models import AccessLog
from casework.services import privacy
from teams.models import Team
from tests.flowkit import open_task, signal

pytestmark = pytest.mark.django_db


def list_rows(user, what):
    return list(AccessLog.objects.filter(user=user, action=AccessLog.Action.LIST_VIEW, what=what))


@pytest.fixture
def cases(api, u, demo):
    return [signal(api, u["aoj"], demo["schools"]["vo"], given_name=name) for name in ("Sanne", "Ruben")]


def web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("url, what", [
    ("/api/cases/", AccessLog.List.CASES),
    ("/api/tasks/?scope=queue", AccessLog.List.TASKS),
    ("/api/search/?q=Sanne", AccessLog.List.SEARCH),
])
def test_api_lists_log_one_row_naming_the_cases_shown(api, u, cases, url, what):
    response = api(u["aoj_2"]).get(url)
    assert response.status_code == 200
    [row] = list_rows(u["aoj_2"], what)
    expected = {cases[0].pk} if what == AccessLog.List.SEARCH else {case.pk for case in cases}
    assert set(row.shown_case_ids) == expected
    assert row.shown_regions == f",{cases[0].region_id},"
    assert "Sanne" not in row.path  # the search term stays out of the log


@pytest.mark.parametrize("url, what", [
    ("/tasks/queue/", AccessLog.List.INBOX),
    ("/cases/", AccessLog.List.CASES),
    ("/search/?q=Ruben", AccessLog.List.SEARCH),
])
def test_pages_that_list_children_log_them(u, cases, url, what):
    assert web(u["aoj_2"]).get(url).status_code == 200
    [row] = list_rows(u["aoj_2"], what)
    assert cases[1].pk in row.shown_case_ids


def test_the_clocks_page_logs_the_cases_of_its_clocks(u, cases):
    assert web(u["aoj"]).get("/clocks/").status_code == 200
    [row] = list_rows(u["aoj"], AccessLog.List.CLOCKS)
    assert {case.pk for case in cases} <= set(row.shown_case_ids)


def test_an_empty_list_writes_nothing(api, u, cases):
    api(u["aoj_2"]).get("/api/search/", {"q": "Niemandnietsnergens"})
    assert list_rows(u["aoj_2"], AccessLog.List.SEARCH) == []


def test_task_detail_through_the_api_is_logged_like_the_case_page(api, u, cases):
    task = open_task(cases[0], "team_review")
    before = AccessLog.objects.filter(user=u["aoj_2"], case=cases[0]).count()
    assert api(u["aoj_2"]).get(f"/api/tasks/{task.pk}/").status_code == 200
    assert AccessLog.objects.filter(user=u["aoj_2"], case=cases[0]).count() == before + 1


def test_the_privacy_officer_finds_list_rows_by_case_and_by_name(api, u, cases):
    api(u["aoj_2"]).get("/api/cases/")
    officer = u["privacy_officer"]
    by_case = privacy.search_access_log(officer, case_id=cases[1].pk)
    assert by_case.filter(action=AccessLog.Action.LIST_VIEW, user=u["aoj_2"]).count() == 1
    by_name = privacy.search_access_log(officer, child_name="Ruben")
    assert by_name.filter(action=AccessLog.Action.LIST_VIEW, user=u["aoj_2"]).count() == 1
    page = web(officer).get("/privacy/access-log/", {"case": cases[1].pk}).content.decode()
    assert "lijst" in page or "list" in page


def test_who_looked_at_this_file_shows_the_lists(api, u, cases):
    api(u["aoj_2"]).get("/api/cases/")
    coordinator = web(u["aoj"])  # the case team's coordinator reads the case's access log
    response = coordinator.get(f"/cases/{cases[0].pk}/access-log/")
    assert response.status_code == 200
    rows = list(response.context["page"].object_list)
    assert any(row.action == AccessLog.Action.LIST_VIEW and row.user == u["aoj_2"] for row in rows)


def test_the_agenda_its_print_view_and_an_item_are_logged(client, api, u, demo):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    team = Team.objects.get(school_id=demo["schools"]["vo"], kind=Team.Kind.AOJ)
    Team.objects.filter(pk=team.pk).update(meeting_weekday=3, meeting_time=dt.time(14, 0))  # Thursday 14:00
    client.force_login(u["aoj"])
    client.post(f"/teams/{team.pk}/meetings/")
    meeting = team.meetings.get()
    client.force_login(u["aoj_2"])
    assert client.get(f"/meetings/{meeting.pk}/").status_code == 200
    assert client.get(f"/meetings/{meeting.pk}/print/").status_code == 200
    agenda = list_rows(u["aoj_2"], AccessLog.List.AGENDA)
    printed = list_rows(u["aoj_2"], AccessLog.List.AGENDA_PRINT)
    assert [row.shown_case_ids for row in agenda + printed] == [[case.pk], [case.pk]]
    item = meeting.items.get()
    assert client.get(f"/meetings/{meeting.pk}/items/{item.pk}/").status_code == 200
    assert AccessLog.objects.filter(user=u["aoj_2"], case=case, action=AccessLog.Action.VIEW).exists()


def test_the_access_log_csv_names_the_cases_a_list_showed(api, u, cases):
    api(u["aoj_2"]).get("/api/cases/")
    response = web(u["privacy_officer"]).get("/privacy/access-log.csv", {"case": cases[0].pk})
    lines = response.content.decode().splitlines()
    assert lines[0].endswith("list,cases_shown")
    assert any(line.endswith(f"cases,{' '.join(str(c.pk) for c in sorted(cases, key=lambda c: c.pk))}")
               for line in lines[1:])
