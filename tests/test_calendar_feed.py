"""The team's calendar feed: one address per member, only its sha256 hash stored, shown once,
renewed for everyone by a lead, and ended when the member leaves the team. Whatever a team is
called (line breaks, commas, semicolons, backslashes, non-ASCII, a very long name), the feed is
valid iCalendar: escaped, folded at 75 octets, and read back by icalendar as it was written."""

import datetime as dt
import hashlib
import re

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from teams.models import CalendarFeed, Membership, Team
from tests.flowkit import signal
from workflows.web.meetings import FeedText

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


# Every character a calendar feed must take care of: line breaks of three kinds, a comma, a
# semicolon, a colon, double quotes, backslashes, a tab, non-ASCII (accents, a ligature, an emoji
# of four octets) and, repeated, a name far beyond one 75-octet line.
AWKWARD = ('AOJ-team "De Brug"\r\nlocatie Zuid, vestiging 2; C:\\pad\\ \\\\ ook:\tdit\n'
           "\u0132sselmonde\u2028Zo\u00eb \U0001f600 " + "lange naam \u00e9\u00e9n " * 7)
SHOWN = ('AOJ-team "De Brug"\nlocatie Zuid, vestiging 2; C:\\pad\\ \\\\ ook:\tdit\n'
         "\u0132sselmonde\nZo\u00eb \U0001f600 " + "lange naam \u00e9\u00e9n " * 7)


@pytest.fixture
def feed(client, api, demo, u, team) -> str:
    """The address of the team's feed, with a meeting planned (its agenda has an item)."""
    signal(api, u["aoj"], demo["schools"]["vo"])
    client.force_login(u["aoj"])
    client.post(f"/teams/{team.pk}/meetings/")  # plan the next meeting
    return make_address(client, u["aoj"], team)


def valid_ical(content: bytes) -> Calendar:
    """Every physical line at most 75 octets and whole UTF-8 (folding split no character)."""
    assert content.endswith(b"\r\n") and b"\n" not in content.replace(b"\r\n", b"")
    for line in content.split(b"\r\n"):
        assert len(line) <= 75, line
        line.decode("utf-8")
    return Calendar.from_ical(content)


def name_of(calendar: Calendar) -> str:
    """The calendar's name (NAME, RFC 7986) read as the TEXT it is, one escape after the other
    (RFC 5545, 3.3.11): icalendar's reader keeps NAME as written."""
    return re.sub(r"\\([\\;,nN])", lambda found: "\n" if found[1] in "nN" else found[1],
                  calendar["NAME"].to_ical().decode())


def unfolded(content: bytes) -> str:
    return content.decode("utf-8").replace("\r\n ", "")


def test_a_team_name_with_line_breaks_and_awkward_characters_round_trips(feed, team):
    assert len(AWKWARD) <= 200  # Team.name's length
    Team.objects.filter(pk=team.pk).update(name=AWKWARD)
    answer = Client().get(feed)
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/calendar")
    calendar = valid_ical(answer.content)
    assert name_of(calendar) == SHOWN
    [event] = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == f"Casusoverleg {SHOWN}"  # Dutch, like the pages
    agenda = str(event["DESCRIPTION"]).split("\n")
    assert agenda[0] == "Agenda (zaaknummers):" and re.fullmatch(r"1\. zaak \d+: .+", agenda[1])
    lines = unfolded(answer.content)
    escaped = 'AOJ-team "De Brug"\\nlocatie Zuid\\, vestiging 2\\; C:\\\\pad\\\\ \\\\\\\\ ook:\tdit\\n'  # RFC 5545
    assert f"\r\nNAME:{escaped}" in lines and f"\r\nX-WR-CALNAME:{escaped}" in lines  # the same text


def test_control_characters_are_left_out_and_a_backslash_before_n_is_kept(feed, team):
    Team.objects.filter(pk=team.pk).update(name="Team\x01\x1b \\Noord\x85Zuid\x7f \\n")
    answer = Client().get(feed)
    assert answer.status_code == 200
    assert name_of(valid_ical(answer.content)) == "Team \\Noord\nZuid \\n"
    for name in ("NAME", "X-WR-CALNAME"):  # as written: icalendar's vText writes backslash-N as a line break
        assert f"\r\n{name}:Team \\\\Noord\\nZuid \\\\n\r\n" in unfolded(answer.content)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), min_size=1,
                    max_size=200))
def test_any_name_a_team_can_have_makes_a_valid_feed(feed, team, name):
    """Any text the database holds as a name (no NUL, no lone surrogate): never a 500, always
    valid lines, and the name read back as written (line breaks as one, control characters left
    out)."""
    Team.objects.filter(pk=team.pk).update(name=name)
    answer = Client().get(feed)
    assert answer.status_code == 200
    calendar = valid_ical(answer.content)
    assert name_of(calendar) == str(FeedText(name))
    assert str(calendar["X-WR-CALNAME"]) == calendar["NAME"].to_ical().decode()  # the same text
