"""The team's calendar feed: one address per member, only its sha256 hash stored, shown once,
renewed for everyone by a lead, and ended when the member leaves the team."""

import datetime as dt
import hashlib

import pytest
from django.test import Client
from icalendar import Calendar

from teams.models import CalendarFeed, Membership, Team
from tests.flowkit import signal

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(demo):
    team = Team.objects.get(school_id=demo["schools"]["vo"], kind="aoj")
    Team.objects.filter(pk=team.pk).update(meeting_weekday=3, meeting_time=dt.time(14, 0))  # Thursday 14:00
    return team


def make_address(client, user, team) -> str:
    client.force_login(user)
    response = client.post(f"/teams/{team.pk}/meetings/", {"action": "calendar"})
    assert response.status_code == 200
    url = response.context["calendar_url"]
    return url[url.index("/teams/"):]


def token_of(path: str) -> str:
    return path.rsplit("/", 1)[1].removesuffix(".ics")


def test_the_address_is_stored_hashed_and_shown_once(client, api, demo, u, team):
    signal(api, u["aoj"], demo["schools"]["vo"])
    client.force_login(u["aoj"])
    client.post(f"/teams/{team.pk}/meetings/")  # plan the next meeting
    path = make_address(client, u["aoj_2"], team)
    token = token_of(path)
    feed = CalendarFeed.objects.get(user=u["aoj_2"], team=team)
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in feed.token_hash
    page = client.get(f"/teams/{team.pk}/meetings/").content.decode()
    assert token not in page and "maar één keer" in page  # shown once: not on the next visit
    answer = Client().get(path)  # a calendar app, without a session
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/calendar")
    [event] = Calendar.from_ical(answer.content).walk("VEVENT")
    assert "AOJ-team" in str(event["SUMMARY"]) and "Sanne" not in answer.content.decode()


def test_wrong_foreign_and_non_ascii_tokens_are_a_404(client, u, team, demo):
    path = make_address(client, u["aoj"], team)
    other = Team.objects.get(school_id=demo["schools"]["vo_2"], kind="aoj")
    anonymous = Client()
    assert anonymous.get(f"/teams/{team.pk}/calendar/wrong-token.ics").status_code == 404
    assert anonymous.get(f"/teams/{other.pk}/calendar/{token_of(path)}.ics").status_code == 404
    assert anonymous.get(f"/teams/{team.pk}/calendar/%C3%A9.ics").status_code == 404
    assert anonymous.get(f"/teams/{team.pk}/calendar/{'é' * 43}.ics").status_code == 404


def test_a_new_address_ends_the_previous_one(client, u, team):
    first = make_address(client, u["aoj_2"], team)
    second = make_address(client, u["aoj_2"], team)
    assert Client().get(first).status_code == 404 and Client().get(second).status_code == 200


def test_leaving_the_team_ends_the_members_feed(client, u, team):
    path = make_address(client, u["aoj_2"], team)
    stays = make_address(client, u["aoj"], team)
    Membership.objects.filter(user=u["aoj_2"], team=team).delete()
    assert not CalendarFeed.objects.filter(user=u["aoj_2"]).exists()
    assert Client().get(path).status_code == 404 and Client().get(stays).status_code == 200


def test_a_lead_renews_every_address_a_member_may_not(client, u, team):
    members = make_address(client, u["aoj_2"], team)
    client.force_login(u["aoj_2"])
    assert client.post(f"/teams/{team.pk}/meetings/", {"action": "renew_calendar"}).status_code == 403
    assert Client().get(members).status_code == 200
    client.force_login(u["aoj"])  # the coordinator
    response = client.post(f"/teams/{team.pk}/meetings/", {"action": "renew_calendar"})
    assert response.status_code == 200 and response.context["calendar_url"]
    assert Client().get(members).status_code == 404
    assert list(CalendarFeed.objects.filter(team=team).values_list("user__username", flat=True)) == ["aoj"]


def test_an_outsider_gets_no_address(client, u, team):
    client.force_login(u["outsider"])
    assert client.post(f"/teams/{team.pk}/meetings/", {"action": "calendar"}).status_code == 404
    assert not CalendarFeed.objects.exists()
