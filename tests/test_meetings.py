"""Case meetings: the agenda (content and order), deciding from the meeting is the same task
completion as from the inbox, minutes frozen after closing, due dates follow the meeting rhythm,
and the team's calendar feed parses."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from icalendar import Calendar

from casework.models import CaseEvent
from teams.models import Team
from tests.flowkit import complete, open_task, signal
from workflows import meetings
from workflows.models import AgendaItem, Meeting

pytestmark = pytest.mark.django_db
MONDAY = dt.datetime(2026, 9, 7, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def team(demo):
    team = Team.objects.get(school_id=demo["schools"]["vo"], kind="aoj")
    Team.objects.filter(pk=team.pk).update(meeting_weekday=3, meeting_time=dt.time(14, 0))  # Thursday 14:00
    team.refresh_from_db()
    return team


def test_agenda_from_the_teams_open_meeting_tasks_by_deadline(client, api, demo, u, team):
    with time_machine.travel(MONDAY, tick=False) as clock:
        late = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Eerste")
        clock.move_to(MONDAY + dt.timedelta(hours=3))
        later = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Tweede")
        reviewed = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Derde")
        complete(api, u["aoj"], reviewed, "team_review", {"plan": "JIM", "routes": ["jim"]})  # not a meeting task
        signal(api, u["outsider"], demo["schools"]["vo_2"], given_name="Ander")  # another team's case
        client.force_login(u["aoj"])
        response = client.post(f"/teams/{team.pk}/meetings/")
        meeting = Meeting.objects.get()
        assert response.status_code == 302 and response["Location"] == f"/meetings/{meeting.pk}/"
    local = timezone.localtime(meeting.starts_at)
    assert (local.weekday(), local.hour) == (3, 14)
    items = list(AgendaItem.objects.filter(meeting=meeting).order_by("position"))
    assert [item.task.case for item in items] == [late, later]  # by deadline; only meeting tasks of this team
    client.force_login(u["aoj"])  # the session of the travelled Monday has expired
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert "Eerste" in page and "Tweede" in page and "Ander" not in page and "clock-" in page
    assert meeting.attendance.filter(user=u["aoj_2"], present=True).exists()
    client.post(f"/meetings/{meeting.pk}/", {"action": "down", "item": items[0].pk})
    assert list(AgendaItem.objects.filter(meeting=meeting).order_by("position").values_list("task__case", flat=True)) \
        == [later.pk, late.pk]
    client.force_login(u["aoj_2"])  # a member, not the chair
    assert client.post(f"/meetings/{meeting.pk}/", {"action": "close"}).status_code == 403
    client.force_login(u["outsider"])
    assert client.get(f"/meetings/{meeting.pk}/").status_code == 404


def test_deciding_in_the_meeting_is_the_same_task_completion(client, api, demo, u, team):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    client.force_login(u["aoj"])
    client.post(f"/teams/{team.pk}/meetings/")
    meeting = Meeting.objects.get()
    item = AgendaItem.objects.get(meeting=meeting)
    bad = client.post(f"/meetings/{meeting.pk}/items/{item.pk}/", {"plan": "", "routes": ["jim"]})
    assert bad.status_code == 400 and "Dit veld is vereist." in bad.content.decode()
    assert CaseEvent.objects.filter(case=case, kind="team_review").count() == 0
    done = client.post(f"/meetings/{meeting.pk}/items/{item.pk}/", {"plan": "Besproken in het overleg.",
                                                                     "routes": ["jim"], "minutes": "Moeder was er."})
    assert done.status_code == 302
    assert CaseEvent.objects.filter(case=case, kind="team_review").count() == 1
    assert open_task(case, "jim_assignment")
    item.refresh_from_db()
    assert item.decided and item.minutes == "Moeder was er."


def test_minutes_frozen_after_closing_and_visible_to_attendees(client, api, demo, u, team):
    signal(api, u["aoj"], demo["schools"]["vo"])
    client.force_login(u["aoj"])
    client.post(f"/teams/{team.pk}/meetings/")
    meeting = Meeting.objects.get()
    item = AgendaItem.objects.get(meeting=meeting)
    client.post(f"/meetings/{meeting.pk}/", {"action": "minutes", "item": item.pk, "minutes": "Afspraak gemaakt."})
    client.post(f"/meetings/{meeting.pk}/", {"action": "close"})
    meeting.refresh_from_db()
    assert meeting.status == "closed"
    refused = client.post(f"/meetings/{meeting.pk}/", {"action": "minutes", "item": item.pk, "minutes": "Later."})
    assert refused.status_code == 400
    assert AgendaItem.objects.get(pk=item.pk).minutes == "Afspraak gemaakt."
    client.force_login(u["aoj_2"])  # an attendee
    assert "Afspraak gemaakt." in client.get(f"/meetings/{meeting.pk}/").content.decode()


def test_meeting_tasks_are_due_at_the_next_meeting(api, demo, u, team):
    with time_machine.travel(MONDAY, tick=False):
        case = signal(api, u["aoj"], demo["schools"]["vo"])
        assert open_task(case, "team_review").due_at == MONDAY + dt.timedelta(hours=48)  # the 48-hour rule first
        complete(api, u["aoj"], case, "team_review", {"plan": "ECT", "ect_question_kind": "handelingsadvies", "routes": ["ect_consult", "jim"]})
        review_due = open_task(case, "jim_assignment").due_at
        assert review_due == MONDAY + dt.timedelta(days=7)  # not a meeting task
    thursday = timezone.make_aware(dt.datetime(2026, 9, 10, 14, 0))
    # the ECT has no rhythm: 7 days; give it one and a new ECT task is due at its meeting
    ect = Team.objects.get(kind="ect", region=case.region)
    Team.objects.filter(pk=ect.pk).update(meeting_weekday=3, meeting_time=dt.time(14, 0))
    with time_machine.travel(MONDAY + dt.timedelta(hours=1), tick=False):
        complete(api, u["ect"], case, "ect_draft", {"question": "Q", "advice": "A"})
        assert open_task(case, "ect_approve").due_at == thursday


def test_calendar_feed_parses(client, api, demo, u, team):
    signal(api, u["aoj"], demo["schools"]["vo"])
    client.force_login(u["aoj"])
    client.post(f"/teams/{team.pk}/meetings/")
    token = meetings.issue_calendar_feed(team=team, user=u["aoj"])  # the member's own address, shown once
    feed = client.get(f"/teams/{team.pk}/calendar/{token}.ics")
    assert feed["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(feed.content)
    [event] = calendar.walk("VEVENT")
    assert "AOJ-team" in str(event["SUMMARY"]) and "Sanne" not in feed.content.decode()
    assert client.get(f"/teams/{team.pk}/calendar/wrong-token.ics").status_code == 404


def test_invitees_are_told_about_the_agenda_and_added_items(client, api, demo, u, team):
    from notifications.models import Notification

    case = signal(api, u["aoj"], demo["schools"]["vo"])
    client.force_login(u["aoj"])
    client.post(f"/teams/{team.pk}/meetings/")
    meeting = Meeting.objects.get()
    published = Notification.objects.filter(kind="agenda_published")
    assert list(published.values_list("recipient__username", flat=True)) == ["aoj_2"]  # not the chair
    assert published.get().data["meeting_id"] == meeting.pk
    complete(api, u["aoj"], case, "team_review", {"plan": "P", "routes": ["jim"]})
    jim = open_task(case, "jim_assignment")
    client.post(f"/meetings/{meeting.pk}/", {"action": "add", "task": jim.pk})
    assert AgendaItem.objects.filter(meeting=meeting, task=jim).exists()
    assert list(Notification.objects.filter(kind="meeting_item_added").values_list("recipient__username",
                                                                                      flat=True)) == ["aoj_2"]
    body = api(u["aoj_2"]).get("/api/notifications/?unread=1").json()["results"]
    assert any(item["url"] == f"/meetings/{meeting.pk}/" for item in body)
