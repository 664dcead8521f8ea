"""The notification websocket, like every page, needs the second factor: a session that passed
only the password is refused (4401), the same session after the code is accepted."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from pyotp import TOTP

from casework.asgi import application
from notifications.consumers import SESSION_ENDED
from signin.views import base32_secret
from tests.factories import PASSWORD, MembershipFactory, SchoolFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_second_factor]
WAIT = 10


def member_with_app() -> str:
    user = UserFactory(username="member")
    MembershipFactory(user=user, team=SchoolFactory(name="Testcollege").teams.get())
    return base32_secret(TOTPDevice.objects.create(user=user, name="app", confirmed=True))


def communicator_for(client: Client) -> WebsocketCommunicator:
    cookie = client.cookies["sessionid"].value
    return WebsocketCommunicator(application, "/ws/notifications/", headers=[
        (b"origin", b"http://testserver"), (b"cookie", f"sessionid={cookie}".encode())])


async def test_a_password_alone_opens_no_websocket():
    secret = await database_sync_to_async(member_with_app)()
    client = Client()
    await database_sync_to_async(client.post)("/login/", {"username": "member", "password": PASSWORD})
    refused = communicator_for(client)
    connected, code = await refused.connect(timeout=WAIT)
    assert not connected and code == SESSION_ENDED
    await database_sync_to_async(client.post)("/signin/verify/", {"code": TOTP(secret).now()})
    accepted = communicator_for(client)
    connected, _ = await accepted.connect(timeout=WAIT)
    assert connected
    assert (await accepted.receive_json_from(timeout=WAIT))["type"] == "hello"
    await accepted.disconnect()
