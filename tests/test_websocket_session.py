"""The notification websocket lives no longer than its session, by the pages' own rule (both the
idle end, CASEWORK_SESSION_IDLE_MINUTES after the last request that renewed the session, and the
absolute end, CASEWORK_SESSION_MAX_HOURS after the sign-in): a session past either end opens no
socket, a connected socket closes when its session ends (also without deliveries; unless pages
renewed it meanwhile), signing out closes it at once (only the sockets of that session), an
expired session closes it at the next delivery instead of delivering, and frames that are not
JSON are ignored, not a 1011 close. Every close for the session is code 4401."""

import datetime as dt

import pytest
import time_machine
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django.utils import timezone

from casework.asgi import application
from notifications.consumers import SESSION_ENDED
from notifications.delivery import push
from notifications.models import Notification
from tests.flowkit import users

pytestmark = pytest.mark.django_db(transaction=True)
WAIT = 10  # seconds: generous on a loaded machine; each wait returns as soon as the message is there


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def communicator_for(client: Client) -> WebsocketCommunicator:
    cookie = client.cookies["sessionid"].value
    return WebsocketCommunicator(application, "/ws/notifications/", headers=[
        (b"origin", b"http://testserver"), (b"cookie", f"sessionid={cookie}".encode())])


async def connect(client: Client) -> WebsocketCommunicator:
    communicator = communicator_for(client)
    connected, _ = await communicator.connect(timeout=WAIT)
    assert connected
    assert (await communicator.receive_json_from(timeout=WAIT))["type"] == "hello"
    return communicator


def notify_and_push(user) -> None:
    push([Notification.objects.create(recipient=user, kind="agenda_published").pk])


async def test_signing_out_closes_that_sessions_socket_only(demo):
    u = await database_sync_to_async(users)(demo)
    laptop, phone = await database_sync_to_async(signed_in)(u["aoj"]), await database_sync_to_async(signed_in)(u["aoj"])
    on_laptop, on_phone = await connect(laptop), await connect(phone)
    response = await database_sync_to_async(laptop.post)("/logout/")
    assert response.status_code == 302
    closed = await on_laptop.receive_output(timeout=WAIT)
    assert closed == {"type": "websocket.close", "code": SESSION_ENDED}
    await database_sync_to_async(notify_and_push)(u["aoj"])
    assert (await on_phone.receive_json_from(timeout=WAIT))["type"] == "notification"  # still signed in there
    await on_phone.disconnect()


async def test_an_expired_session_closes_the_socket_instead_of_delivering(demo):
    u = await database_sync_to_async(users)(demo)
    browser = await database_sync_to_async(signed_in)(u["aoj"])
    socket = await connect(browser)
    later = timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE + 60)
    with time_machine.travel(later, tick=True):
        await database_sync_to_async(notify_and_push)(u["aoj"])
        closed = await socket.receive_output(timeout=WAIT)
    assert closed == {"type": "websocket.close", "code": SESSION_ENDED}
    assert await database_sync_to_async(Notification.objects.filter(recipient=u["aoj"]).count)() == 1  # kept


async def test_frames_that_are_not_json_are_ignored(demo):
    u = await database_sync_to_async(users)(demo)
    socket = await connect(await database_sync_to_async(signed_in)(u["aoj"]))
    for frame in ("not json", "[1, 2]", '"unread"', "{"):
        await socket.send_to(text_data=frame)
    await socket.send_to(bytes_data=b"\xff\xfe")
    await socket.send_json_to({"type": "unread"})
    assert await socket.receive_json_from(timeout=WAIT) == {"type": "unread", "unread": 0}  # still open
    await socket.disconnect()


CLOSED = {"type": "websocket.close", "code": SESSION_ENDED}


@pytest.fixture
def all_day(settings):
    """The absolute end on its own: ten hours after the sign-in, and an idle end further away (as
    for a user active all day long)."""
    settings.CASEWORK_SESSION_MAX_HOURS = 10
    settings.SESSION_COOKIE_AGE = 12 * 3600


async def test_a_session_signed_in_eleven_hours_ago_opens_no_socket(demo, all_day):
    """As every role (one transactional test: each flush of the database costs seconds)."""
    u = await database_sync_to_async(users)(demo)
    for role in ("aoj", "ect", "swv_director", "privacy_officer", "leerplicht"):
        with time_machine.travel(timezone.now() - dt.timedelta(hours=11), tick=False):
            browser = await database_sync_to_async(signed_in)(u[role])
        connected, code = await communicator_for(browser).connect(timeout=WAIT)
        assert not connected and code == SESSION_ENDED, role
        page = await database_sync_to_async(browser.get)("/notifications/")  # the pages' rule: the same end
        assert page.status_code == 302 and page["Location"].startswith("/login/"), role


async def test_a_session_idle_past_its_limit_opens_no_socket(demo, settings):
    u = await database_sync_to_async(users)(demo)
    idle = dt.timedelta(minutes=settings.CASEWORK_SESSION_IDLE_MINUTES, seconds=30)
    with time_machine.travel(timezone.now() - idle, tick=False):
        browser = await database_sync_to_async(signed_in)(u["aoj"])
    connected, code = await communicator_for(browser).connect(timeout=WAIT)
    assert not connected and code == SESSION_ENDED


async def test_a_connected_socket_closes_when_its_session_reaches_the_absolute_end(demo, all_day):
    u = await database_sync_to_async(users)(demo)
    now = timezone.now()
    with time_machine.travel(now - dt.timedelta(hours=10, minutes=-5), tick=False):  # 5 minutes left
        browser = await database_sync_to_async(signed_in)(u["aoj"])
    socket = await connect(browser)
    with time_machine.travel(now + dt.timedelta(minutes=4), tick=True):  # a minute before the end: open
        await database_sync_to_async(notify_and_push)(u["aoj"])
        assert (await socket.receive_json_from(timeout=WAIT))["type"] == "notification"
    with time_machine.travel(now + dt.timedelta(minutes=5, seconds=1), tick=True):  # nothing delivered
        assert await socket.receive_output(timeout=WAIT) == CLOSED
    await socket.disconnect()


async def test_a_connected_socket_closes_at_the_idle_end_unless_pages_renewed_the_session(demo, settings):
    u = await database_sync_to_async(users)(demo)
    idle = dt.timedelta(minutes=settings.CASEWORK_SESSION_IDLE_MINUTES)
    now = timezone.now()
    browser = await database_sync_to_async(signed_in)(u["aoj"])
    socket = await connect(browser)
    with time_machine.travel(now + idle / 2, tick=False):  # the page's "Ingelogd blijven"
        assert (await database_sync_to_async(browser.post)("/session/keep-alive/")).status_code == 200
    with time_machine.travel(now + idle + dt.timedelta(minutes=1), tick=True):  # past the first idle end
        await database_sync_to_async(notify_and_push)(u["aoj"])
        assert (await socket.receive_json_from(timeout=WAIT))["type"] == "notification"  # renewed: open
    with time_machine.travel(now + idle / 2 + idle + dt.timedelta(seconds=1), tick=True):
        assert await socket.receive_output(timeout=WAIT) == CLOSED  # idle since the keep-alive
    await socket.disconnect()


async def test_a_socket_on_a_fresh_session_receives_its_notifications(demo):
    u = await database_sync_to_async(users)(demo)
    socket = await connect(await database_sync_to_async(signed_in)(u["aoj"]))
    await database_sync_to_async(notify_and_push)(u["aoj"])
    message = await socket.receive_json_from(timeout=WAIT)
    assert message["type"] == "notification" and message["kind"] == "agenda_published"
    assert message["unread"] == 1
    await socket.disconnect()
