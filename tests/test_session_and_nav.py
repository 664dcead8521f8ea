"""The idle session is written only when its expiry would move by more than a minute, and the
idle timeout stays SESSION_COOKIE_AGE to the minute; the page tells its scripts how long the
session lasts from this response on. The navigation's facts (unread count, monitor, privacy)
cost one query per page view."""

import datetime as dt

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework.monitor import monitor_regions
from casework.web.context_processors import nav_facts
from notifications.models import Notification
from tests.browser import usable_passwords
from tests.flowkit import signal
from tests.test_forms_a11y import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_logins(demo, settings):
    """The demo, with aoj able to sign in through the login page."""
    usable_passwords(settings, [demo["users"]["aoj"]], demo["password"])
    return demo


def session_writes(fetch) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = fetch()
    writes = [q["sql"] for q in ctx.captured_queries
              if "django_session" in q["sql"] and not q["sql"].lstrip().upper().startswith("SELECT")]
    return len(writes), response


def expires(client) -> dt.datetime:
    return Session.objects.get(session_key=client.cookies["sessionid"].value).expire_date


def seconds_on(response) -> int:
    html = response.content.decode()
    start = html.index('data-session-seconds="') + len('data-session-seconds="')
    return int(html[start:html.index('"', start)])


def test_page_views_within_a_minute_write_no_session_and_a_later_one_renews_it(demo_logins, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = signed_in(demo_logins)
        first_expiry = expires(client)
        assert first_expiry == start + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    with time_machine.travel(start + dt.timedelta(seconds=50), tick=False):
        writes, response = session_writes(lambda: client.get("/cases/"))
        assert writes == 0 and expires(client) == first_expiry
        assert seconds_on(response) == settings.SESSION_COOKIE_AGE - 50  # what is really left
    with time_machine.travel(start + dt.timedelta(seconds=61), tick=False):
        writes, response = session_writes(lambda: client.get("/cases/"))
        assert writes == 1 and expires(client) == start + dt.timedelta(seconds=61 + settings.SESSION_COOKIE_AGE)
        assert seconds_on(response) == settings.SESSION_COOKIE_AGE


def test_the_idle_timeout_is_the_session_age_to_the_minute(demo_logins, settings):
    """Idle for at most the age: alive; the session then lasts between age - 60 s and age after
    the last request."""
    age = settings.SESSION_COOKIE_AGE
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        early, late = signed_in(demo_logins), signed_in(demo_logins)
    with time_machine.travel(start + dt.timedelta(seconds=59), tick=False):
        assert early.get("/cases/").status_code == 200  # within the minute: not written
    with time_machine.travel(start + dt.timedelta(seconds=61), tick=False):
        assert late.get("/cases/").status_code == 200  # renewed
    with time_machine.travel(start + dt.timedelta(seconds=age + 1), tick=False):
        assert early.get("/cases/").status_code == 302  # idle for age - 58 s: ended (to the minute)
    with time_machine.travel(start + dt.timedelta(seconds=61 + age - 1), tick=False):
        assert late.get("/cases/").status_code == 200  # idle for age - 1 s: still there


def test_keep_alive_and_a_changed_session_are_always_saved(demo_logins, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = signed_in(demo_logins)
    with time_machine.travel(start + dt.timedelta(seconds=10), tick=False):
        writes, answer = session_writes(lambda: client.post("/session/keep-alive/"))
        assert writes == 1 and answer.json()["seconds"] == settings.SESSION_COOKIE_AGE
        assert expires(client) == start + dt.timedelta(seconds=10 + settings.SESSION_COOKIE_AGE)
    with time_machine.travel(start + dt.timedelta(seconds=20), tick=False):
        assert client.post("/logout/").status_code == 302
        assert not Session.objects.exists()  # signing out still ends it at once


def test_an_anonymous_visit_creates_no_session(client):
    writes, response = session_writes(lambda: client.get("/login/"))
    assert writes == 0 and "sessionid" not in response.cookies and not Session.objects.exists()


def test_the_navigation_costs_one_query_and_matches_the_monitor_rule(api, demo, u):
    signal(api, u["aoj"], demo["schools"]["vo"])
    assert Notification.objects.filter(recipient=u["aoj_2"], read_at__isnull=True).count() == 1
    for user in u.values():
        with CaptureQueriesContext(connection) as ctx:
            facts = nav_facts(user)
        assert len(ctx.captured_queries) == 1
        assert facts["nav_monitor"] == bool(monitor_regions(user)), user.username
        assert facts["nav_unread"] == Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    assert nav_facts(u["aoj_2"])["nav_unread"] == 1
    assert nav_facts(u["privacy_officer"])["nav_privacy"] and not nav_facts(u["aoj"])["nav_privacy"]


def test_a_page_view_asks_for_the_navigation_once(api, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    client = Client()
    client.force_login(u["aoj_2"])
    for url in ("/tasks/", f"/cases/{case.pk}/", "/notifications/"):
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            html = client.get(url).content.decode()
        assert 'class="badge"' in html and ">1</span>" in html, url  # the unread badge
        # the navigation's unread count (read from the user's row; the notifications page's own
        # per-case counts are not it)
        unread = [q for q in ctx.captured_queries if "notifications_notification" in q["sql"]
                  and "read_at" in q["sql"] and "COUNT" in q["sql"].upper() and "teams_user" in q["sql"]]
        assert len(unread) == 1, url
