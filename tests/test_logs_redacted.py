"""No token, name or search term in any log: the real server (bin/serve, as `make run` and the
Procfile start it) is visited at a parent's link, a calendar feed and a search for a child; its
captured stdout and stderr, and the access log in the database, hold neither token nor name.
A refused websocket is logged without its query string. The privacy officer's CSV of that access
log names the link holder (no user) instead of failing."""

import time
import urllib.error
import urllib.request

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from casework.models import AccessLog, LogReading
from casework.services.participation import create_access_link
from signin.tokens import issue_token
from teams.models import Team
from tests.browser import live_server_with_output
from tests.flowkit import signal
from workflows import meetings

WAIT_SECONDS = 20


def fetch(url: str, token: str | None = None) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"} if token else {})  # noqa: S310 (loopback)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 (loopback)
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def refused_socket(base: str) -> None:
    """Open the notification socket without a session (the server refuses it)."""
    try:
        connect(base.replace("http", "ws") + "/ws/notifications/?token=NietBestaandToken123", origin=base,
                open_timeout=20).close()
    except InvalidStatus as refused:
        assert refused.response.status_code == 403
    else:
        raise AssertionError("a socket without a session was accepted")


def wait_for(predicate) -> None:
    """Polls (the server writes its log lines a moment after answering), up to WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not predicate():
        assert time.monotonic() < deadline, "the server did not log the requests in time"
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_server_logs_and_access_log_hold_no_token_or_name(api, demo, u, tmp_path):
    case = signal(api, u["aoj"], demo["schools"]["vo"])  # Sanne Testkind
    _link, link_token = create_access_link(case=case, actor=u["aoj"], audience="ouder", message="Bericht.",
                                           next_step="Gesprek.", contact=u["aoj"])
    team = Team.objects.get(school_id=demo["schools"]["vo"], kind="aoj")
    feed_token = meetings.issue_calendar_feed(team=team, user=u["aoj"])
    api_token = issue_token(u["aoj"])[1]
    secrets = [link_token, feed_token, api_token, "Sanne", "Testkind", "NietBestaandToken123"]
    with live_server_with_output(tmp_path, DEBUG="true") as (base, output):
        assert fetch(f"{base}/inzage/{link_token}/") == 200
        assert fetch(f"{base}/inzage/NietBestaandToken123/?from=mail") == 404  # Django's "Not Found" warning
        assert fetch(f"{base}/teams/{team.pk}/calendar/{feed_token}.ics") == 200
        assert fetch(f"{base}/teams/{team.pk}/calendar/NietBestaandToken123.ics") == 404
        assert fetch(f"{base}/api/search/?q=Sanne+Testkind", api_token) == 200
        assert fetch(f"{base}/api/cases/?search=Testkind&token={api_token}", api_token) in (200, 400)
        refused_socket(base)  # no session: the socket is refused, and that is logged too
        wait_for(lambda: output.text().count("/api/") >= 2 and "WSREJECTED /ws/notifications/" in output.text())
        text = output.text()
    assert "/inzage/.../" in text and f"/teams/{team.pk}/calendar/....ics" in text  # the requests are logged
    assert "/api/search/" in text
    for secret in secrets:
        assert secret not in text, f"{secret!r} in the server's output"
    paths = list(AccessLog.objects.values_list("path", flat=True))
    assert AccessLog.objects.filter(action="link_view", case=case).exists()
    for secret in secrets:
        assert not any(secret in path for path in paths), f"{secret!r} in the access log"


def test_the_access_log_csv_names_the_link_holder(client, api, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    _link, token = create_access_link(case=case, actor=u["aoj"], audience="ouder", message="Bericht.",
                                      next_step="Gesprek.", contact=u["aoj"])
    assert client.get(f"/inzage/{token}/").status_code == 200
    client.force_login(u["privacy_officer"])
    response = client.get("/privacy/access-log.csv", {"case": case.pk})
    assert response.status_code == 200
    lines = response.content.decode().splitlines()
    assert any(",persoonlijke link (ouder)," in line and ",link_view," in line for line in lines)
    assert token not in response.content.decode()
    assert LogReading.objects.get(kind="export").results == len(lines) - 1
