"""The notification websocket lives no longer than its session: signing out closes it at once
(only the sockets of that session), an expired session closes it at the next delivery instead
of delivering, and frames that are not JSON are ignored, not a 1011 close."""

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


async def connect(client: Client) -> WebsocketCommunicator:
    cookie = client.cookies["sessionid"].value
    communicator = WebsocketCommunicator(application, "/ws/notifications/", headers=[
        (b"origin", b"http://testserver"), (b"cookie", f"sessionid={cookie}".encode())])
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
