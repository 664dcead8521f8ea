"""Meetings from the page: a lead sets the team's meeting day (members read it), plans a meeting by
date and time (defaulted from the rhythm, never in the past), the agenda is built from the team's
open cases that need discussing (with why), a member flags a case for the next meeting from the
case page, and an action agreed on an item becomes a `meeting_action` task in the chosen member's
inbox, on the case's timeline when set and when done. The calendar feed follows the planned time
and a changed rhythm."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from icalendar import Calendar

from casework.models import CaseEvent, Deadline
from notifications.models import Notification
from teams.models import Team
from tests.flowkit import complete, open_task, signal
from workflows import meetings
from workflows.models import AgendaItem, Meeting, MeetingFlag
from workflows.queues import visible_tasks

pytestmark = pytest.mark.django_db
MONDAY = dt.datetime(2026, 9, 7, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def team(demo):
    """The demo's VO AOJ-team, without its demo meeting day: each test sets the rhythm it needs."""
    team = Team.objects.get(school_id=demo["schools"]["vo"], kind="aoj")
    Team.objects.filter(pk=team.pk).update(meeting_weekday=None, meeting_time=None)
    team.refresh_from_db()
    return team


def local(moment) -> tuple:
    moment = timezone.localtime(moment)
    return moment.weekday(), moment.hour, moment.minute


def test_a_lead_sets_the_meeting_day_members_read_it(client, u, team):
    assert team.meeting_weekday is None
    client.force_login(u["aoj"])  # the coordinator
    page = client.get(f"/teams/{team.pk}/meetings/").content.decode()
    assert 'name="rhythm-weekday"' in page and "nog geen vaste overlegdag" in page
    assert client.post(f"/teams/{team.pk}/meetings/", {"action": "rhythm", "rhythm-weekday": "9",
                                                       "rhythm-time": "25:00", "rhythm-minutes": "60"}).status_code == 400
    refused = client.post(f"/teams/{team.pk}/meetings/", {"action": "rhythm", "rhythm-weekday": "1",
                                                          "rhythm-time": "15:30", "rhythm-minutes": "5"})
    assert refused.status_code == 400
    assert "Een overleg duurt tussen 15 en 480 minuten." in refused.content.decode()
    team.refresh_from_db()
    assert team.meeting_weekday is None
    saved = client.post(f"/teams/{team.pk}/meetings/", {"action": "rhythm", "rhythm-weekday": "1",
                                                        "rhythm-time": "15:30", "rhythm-minutes": "60"})
    assert saved.status_code == 302
    team.refresh_from_db()
    assert (team.meeting_weekday, team.meeting_time, team.meeting_minutes) == (1, dt.time(15, 30), 60)

    client.force_login(u["aoj_2"])  # a member: reads the rhythm, has no form and may not post one
    page = client.get(f"/teams/{team.pk}/meetings/").content.decode()
    assert "Het team overlegt elke dinsdag om 15:30, 60 minuten lang." in page
    assert 'name="rhythm-weekday"' not in page and 'name="plan-date"' not in page
    assert client.post(f"/teams/{team.pk}/meetings/", {"action": "rhythm", "rhythm-weekday": "2",
                                                       "rhythm-time": "09:00", "rhythm-minutes": "60"}).status_code == 403
    team.refresh_from_db()
    assert team.meeting_weekday == 1


def test_plan_by_date_and_time_defaulted_from_the_rhythm_never_in_the_past(client, u, team):
    with time_machine.travel(MONDAY, tick=False):
        client.force_login(u["aoj"])
        # without a rhythm: the form is empty, and planning needs a date and time
        page = client.get(f"/teams/{team.pk}/meetings/").content.decode()
        assert 'type="date" name="plan-date"' in page and 'type="time" name="plan-time"' in page
        refused = client.post(f"/teams/{team.pk}/meetings/", {"action": "plan"})
        assert refused.status_code == 400 and "stel de vaste overlegdag van het team in" in refused.content.decode()
        past = client.post(f"/teams/{team.pk}/meetings/", {"action": "plan", "plan-date": "2026-09-04",
                                                           "plan-time": "10:00"})
        assert past.status_code == 400 and "Plan een overleg op een moment dat nog moet komen." in past.content.decode()
        half = client.post(f"/teams/{team.pk}/meetings/", {"action": "plan", "plan-date": "2026-09-09"})
        assert half.status_code == 400 and not Meeting.objects.exists()
        planned = client.post(f"/teams/{team.pk}/meetings/", {"action": "plan", "plan-date": "2026-09-09",
                                                              "plan-time": "10:15"})
        meeting = Meeting.objects.get()
        assert planned["Location"] == f"/meetings/{meeting.pk}/"
        assert timezone.localtime(meeting.starts_at).date() == dt.date(2026, 9, 9) and local(meeting.starts_at)[1:] \
            == (10, 15)
        # with a rhythm (Thursday 14:00), the form offers its next meeting
        meetings.set_meeting_rhythm(team=team, actor=u["aoj"], weekday=3, time=dt.time(14, 0), minutes=90)
        page = client.get(f"/teams/{team.pk}/meetings/").content.decode()
        assert 'value="2026-09-10"' in page and 'value="14:00"' in page
        client.force_login(u["aoj_2"])  # a member does not plan
        assert client.post(f"/teams/{team.pk}/meetings/", {"action": "plan"}).status_code == 403


def test_the_agenda_holds_the_teams_cases_that_need_discussing(client, api, demo, u, team):
    new = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Nieuw")
    returned = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Terug")
    complete(api, u["aoj"], returned, "team_review", {"plan": "JIM.", "routes": ["jim"]})
    complete(api, u["aoj"], returned, "jim_assignment", {"mentor_name": "Oom Piet", "relation": "oom",
                                                          "contact": "06-00000000", "consent": True, "share": []})
    assert open_task(returned, "team_review")  # the route came back to the team
    late, near, flagged, quiet = (signal(api, u["aoj"], demo["schools"]["vo"], given_name=name)
                                  for name in ("Laat", "Bijna", "Gevraagd", "Rustig"))
    for case in (late, near, flagged, quiet):
        complete(api, u["aoj"], case, "team_review", {"plan": "JIM.", "routes": ["jim"]})
    now = timezone.now()
    running = Deadline.objects.filter(met_at=None, stopped_at=None, breached_at=None)
    running.filter(case__in=[late, near, flagged, quiet]).update(due_at=now + dt.timedelta(days=60), warn_at=None)
    running.filter(case=late, kind="offer_3_months").update(due_at=now - dt.timedelta(hours=1))
    running.filter(case=near, kind="offer_3_months").update(due_at=now + dt.timedelta(days=3))
    client.force_login(u["aoj_2"])  # a member flags a case from its page
    page = client.get(f"/cases/{flagged.pk}/").content.decode()
    assert f"Bespreken in het volgende overleg van {team}" in page
    assert client.post(f"/cases/{flagged.pk}/meeting-flag/", {"team": team.pk}).status_code == 302
    assert client.post(f"/cases/{flagged.pk}/meeting-flag/", {"team": team.pk}).status_code == 302  # once
    assert MeetingFlag.objects.get().flagged_by == u["aoj_2"]
    assert CaseEvent.objects.filter(case=flagged, kind="meeting_flagged", data={"team_id": team.pk}).count() == 1
    assert "Op de agenda van het volgende overleg" in client.get(f"/cases/{flagged.pk}/").content.decode()
    client.force_login(u["outsider"])
    assert client.post(f"/cases/{flagged.pk}/meeting-flag/", {"team": team.pk}).status_code == 404
    # only one's own team on the case: not a team one is not in, nor one not working on the case
    other = Team.objects.exclude(pk=team.pk).filter(kind="ect").first()
    client.force_login(u["aoj_2"])
    assert client.post(f"/cases/{flagged.pk}/meeting-flag/", {"team": other.pk}).status_code == 302
    client.force_login(u["ect"])  # in that team, which is not on the case (nor may they read it)
    assert client.post(f"/cases/{flagged.pk}/meeting-flag/", {"team": other.pk}).status_code == 404
    assert MeetingFlag.objects.count() == 1

    meeting = meetings.plan_next_meeting(team=team, actor=u["aoj"], starts_at=now + dt.timedelta(days=2))
    items = [(item.case_id, item.reason) for item in AgendaItem.objects.filter(meeting=meeting)]
    assert items == [(new.pk, "new_signal"), (returned.pk, "route_returned"), (late.pk, "clock_breached"),
                     (near.pk, "clock_near"), (flagged.pk, "flagged")]  # not the quiet case
    client.force_login(u["aoj"])
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    for words in ("nieuwe melding", "routes zijn terug", "termijn verstreken", "termijn loopt bijna af",
                  "op de agenda gezet door een teamlid"):
        assert words in page
    flagged_item = AgendaItem.objects.get(meeting=meeting, case=flagged)
    # reorder: the flagged case up one place
    client.post(f"/meetings/{meeting.pk}/", {"action": "up", "item": flagged_item.pk})
    assert list(AgendaItem.objects.filter(meeting=meeting).values_list("case_id", flat=True))[3:] \
        == [flagged.pk, near.pk]
    # a case-only item has no decision page; its minutes end the flag
    assert client.get(f"/meetings/{meeting.pk}/items/{flagged_item.pk}/").status_code == 404
    client.post(f"/meetings/{meeting.pk}/", {"action": "minutes", "item": flagged_item.pk,
                                             "minutes": "Gesprek met moeder gepland."})
    assert MeetingFlag.objects.get().discussed_at is not None
    assert meetings.refresh_agenda(meeting) == 0  # nothing new, nothing twice


def test_an_action_becomes_a_task_in_the_members_inbox_and_on_the_timeline(client, api, demo, u, team):
    case = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Actie")
    meeting = meetings.plan_next_meeting(team=team, actor=u["aoj"], starts_at=timezone.now() + dt.timedelta(hours=1))
    item = AgendaItem.objects.get(meeting=meeting)
    due = timezone.localdate() + dt.timedelta(days=5)
    action = {"action": "action", "item": item.pk, "action_text": "Huisbezoek afleggen", "owner": u["aoj_2"].pk,
              "due_on": due.isoformat()}
    client.force_login(u["aoj_2"])  # a member does not set actions
    assert client.post(f"/meetings/{meeting.pk}/", action).status_code == 403
    client.force_login(u["aoj"])
    outsider = client.post(f"/meetings/{meeting.pk}/", {**action, "owner": u["outsider"].pk})
    assert outsider.status_code == 400 and "Kies een lid van het team." in outsider.content.decode()
    past = client.post(f"/meetings/{meeting.pk}/", {**action, "due_on": "2020-01-01"})
    assert past.status_code == 400 and "Kies een datum vanaf vandaag." in past.content.decode()
    assert not CaseEvent.objects.filter(kind="meeting_action_set").exists()
    assert client.post(f"/meetings/{meeting.pk}/", action).status_code == 302

    task = open_task(case, "meeting_action")
    assert task.owner == u["aoj_2"] and task.status == "ASSIGNED" and task.team == team
    assert timezone.localtime(task.due_at).date() == due
    event = CaseEvent.objects.get(case=case, kind="meeting_action_set")
    assert event.data == {"meeting_id": meeting.pk, "task_id": task.pk, "owner_id": u["aoj_2"].pk,
                          "due_on": due.isoformat(), "note": "Huisbezoek afleggen"}
    assert "Huisbezoek afleggen" in client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert list(Notification.objects.filter(task=task).values_list("kind", "recipient__username")) \
        == [("task_available", "aoj_2")]  # only the member who carries it out hears of it
    client.force_login(u["aoj_2"])
    inbox = client.get("/tasks/mine/").content.decode()
    assert "Actie uit het teamoverleg" in inbox and visible_tasks(u["aoj_2"]).filter(pk=task.pk).exists()
    assert "Huisbezoek afleggen" in client.get(f"/cases/{case.pk}/").content.decode()  # on the timeline
    assert "Huisbezoek afleggen" in client.get(f"/task/{task.pk}/").content.decode()  # and on the task's page
    complete(api, u["aoj_2"], case, "meeting_action", {"note": ""}, expect=400)
    complete(api, u["aoj_2"], case, "meeting_action", {"note": "Moeder en kind thuis gesproken."})
    done = CaseEvent.objects.get(case=case, kind="meeting_action_done")
    assert done.actor == u["aoj_2"] and done.data == {"meeting_id": meeting.pk, "task_id": task.pk,
                                                      "note": "Moeder en kind thuis gesproken."}


def test_the_feed_follows_the_planned_time_and_a_changed_rhythm(client, api, demo, u, team):
    with time_machine.travel(MONDAY, tick=False):
        meetings.set_meeting_rhythm(team=team, actor=u["aoj"], weekday=3, time=dt.time(14, 0), minutes=90)
        case = signal(api, u["aoj"], demo["schools"]["vo"])
        complete(api, u["aoj"], case, "team_review", {"plan": "Terug naar het team.", "routes": ["jim"]})
        complete(api, u["aoj"], case, "jim_assignment", {"mentor_name": "Oom Piet", "relation": "oom",
                                                          "contact": "06-00000000", "consent": True, "share": []})
        review = open_task(case, "team_review")  # the routes came back: due at the team's meeting
        assert local(review.due_at) == (3, 14, 0)
        by_rhythm = meetings.plan_next_meeting(team=team, actor=u["aoj"])  # Thursday 10 September, 14:00
        chosen = meetings.plan_next_meeting(team=team, actor=u["aoj"], starts_at=timezone.make_aware(
            dt.datetime(2026, 9, 8, 11, 0)))  # Tuesday at 11:00, chosen on the page
        token = meetings.issue_calendar_feed(team=team, user=u["aoj_2"])

        def starts() -> dict:
            feed = Calendar.from_ical(client.get(f"/teams/{team.pk}/calendar/{token}.ics").content)
            return {str(event["UID"]): (local(event.decoded("DTSTART")),
                                        event.decoded("DTEND") - event.decoded("DTSTART"))
                    for event in feed.walk("VEVENT")}

        assert starts() == {f"meeting-{by_rhythm.pk}@casework": ((3, 14, 0), dt.timedelta(minutes=90)),
                            f"meeting-{chosen.pk}@casework": ((1, 11, 0), dt.timedelta(minutes=90))}
        client.force_login(u["aoj"])
        client.post(f"/teams/{team.pk}/meetings/", {"action": "rhythm", "rhythm-weekday": "2",
                                                    "rhythm-time": "09:30", "rhythm-minutes": "60"})
        # the rhythm's meeting, and the task due at it, move to Wednesday of the same week; the
        # meeting chosen on its own stays
        review.refresh_from_db()
        assert review.due_at == timezone.make_aware(dt.datetime(2026, 9, 9, 9, 30))
        assert starts() == {f"meeting-{by_rhythm.pk}@casework": ((2, 9, 30), dt.timedelta(minutes=60)),
                            f"meeting-{chosen.pk}@casework": ((1, 11, 0), dt.timedelta(minutes=60))}
