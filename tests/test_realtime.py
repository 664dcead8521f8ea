"""Websocket delivery through the real ASGI stack (AllowedHostsOriginValidator, AuthMiddleware,
the consumer) on the configured channel layer: in-memory in the SQLite run, channels-redis in
the PostgreSQL + Redis run; and a Redis outage on a private redis-server."""

import shutil
import socket
import subprocess
import time

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers, get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import Client

from casework.asgi import application
from notifications.delivery import group_for, push_pending
from notifications.models import Notification
from notifications.services import notify
from tests.flowkit import complete, signal, users

pytestmark = pytest.mark.django_db(transaction=True)
# Every wait polls up to WAIT seconds (and returns as soon as the message is there): a loaded
# machine is slow, never wrong. "Nothing arrived" is proven with a marker sent after the action,
# not with a short silence: the marker is the next message only if nothing came before it.
WAIT = 20


def session_headers(user) -> list[tuple[bytes, bytes]]:
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"].value
    return [(b"origin", b"http://testserver"), (b"cookie", f"sessionid={cookie}".encode())]


async def connect(user=None):
    headers = await database_sync_to_async(session_headers)(user) if user else [(b"origin", b"http://testserver")]
    communicator = WebsocketCommunicator(application, "/ws/notifications/", headers=headers)
    connected, code = await communicator.connect(timeout=WAIT)
    return communicator, connected, code


async def assert_nothing_before_marker(communicator, user) -> None:
    """Nothing was delivered to `user` before now: a marker sent to the user's group now is the
    next message (channel layers deliver a group's messages in order)."""
    await get_channel_layer().group_send(group_for(user.pk), {
        "type": "notification.message", "id": 0, "kind": "marker", "case": None, "task": None, "unread": 0})
    assert (await communicator.receive_json_from(timeout=WAIT))["kind"] == "marker"


async def test_anonymous_connection_is_refused():
    communicator, connected, code = await connect()
    assert not connected and code == 4401
    await communicator.disconnect()


async def test_foreign_origin_is_refused(demo):
    u = await database_sync_to_async(users)(demo)
    headers = await database_sync_to_async(session_headers)(u["aoj"])
    communicator = WebsocketCommunicator(application, "/ws/notifications/",
                                         headers=[(b"origin", b"https://evil.example")] + headers[1:])
    connected, _ = await communicator.connect()
    assert not connected


async def test_each_user_hears_only_their_own(api, demo):
    u = await database_sync_to_async(users)(demo)
    aoj_2, _, _ = await connect(u["aoj_2"])
    outsider, _, _ = await connect(u["outsider"])
    signaller, _, _ = await connect(u["aoj"])
    for communicator in (aoj_2, outsider, signaller):
        assert (await communicator.receive_json_from(timeout=WAIT))["type"] == "hello"
    case = await database_sync_to_async(signal)(api, u["aoj"], demo["schools"]["vo"])
    message = await aoj_2.receive_json_from(timeout=WAIT)
    assert message["type"] == "notification" and message["kind"] == "task_available"
    assert message["case"] == case.pk and message["unread"] == 1
    assert set(message) == {"type", "id", "kind", "case", "task", "unread"}  # ids and counts only
    await assert_nothing_before_marker(outsider, u["outsider"])  # an outsider is never told
    await assert_nothing_before_marker(signaller, u["aoj"])  # nor the actor about their own action
    for communicator in (aoj_2, outsider, signaller):
        await communicator.disconnect()


async def test_after_commit_and_not_after_rollback(api, demo):
    u = await database_sync_to_async(users)(demo)
    case = await database_sync_to_async(signal)(api, u["aoj"], demo["schools"]["vo"])
    listener, _, _ = await connect(u["aoj_2"])
    await listener.receive_json_from(timeout=WAIT)  # hello

    def rolled_back():
        with transaction.atomic():
            notify(kind="case_closed", case=case, actor=u["aoj"])
            transaction.set_rollback(True)

    await database_sync_to_async(rolled_back)()
    await assert_nothing_before_marker(listener, u["aoj_2"])

    def committed():
        with transaction.atomic():
            notify(kind="case_closed", case=case, actor=u["aoj"])

    await database_sync_to_async(committed)()
    message = await listener.receive_json_from(timeout=WAIT)
    assert message["kind"] == "case_closed"
    await listener.disconnect()


async def test_the_drafter_is_not_told_about_the_approval_task(api, demo):
    u = await database_sync_to_async(users)(demo)
    case = await database_sync_to_async(signal)(api, u["aoj"], demo["schools"]["vo"])
    await database_sync_to_async(complete)(api, u["aoj"], case, "team_review", {"plan": "P", "ect_question_kind": "handelingsadvies", "routes": ["ect_consult"]})
    drafter, _, _ = await connect(u["ect"])
    other, _, _ = await connect(u["ect_2"])
    await drafter.receive_json_from(timeout=WAIT)
    await other.receive_json_from(timeout=WAIT)
    await database_sync_to_async(complete)(api, u["ect"], case, "ect_draft", {"question": "Q", "advice": "A"})
    message = await other.receive_json_from(timeout=WAIT)
    assert message["kind"] == "task_available"
    await assert_nothing_before_marker(drafter, u["ect"])
    await drafter.disconnect()
    await other.disconnect()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis(port):
    server = subprocess.Popen([shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=WAIT).close()
            return server
        except OSError:
            time.sleep(0.05)  # not listening yet: poll again
    raise RuntimeError("redis-server did not start")


@pytest.fixture
def private_redis(settings):
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is needed for the outage test (Debian package redis-server)")
    port = free_port()
    state = {"server": start_redis(port), "port": port}
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {
        "hosts": [{"address": f"redis://127.0.0.1:{port}/0", "socket_timeout": None, "socket_keepalive": True}]}}}
    channel_layers.backends.clear()
    yield state
    state["server"].kill()
    state["server"].wait()
    channel_layers.backends.clear()


async def test_redis_outage_loses_nothing(api, demo, private_redis):
    u = await database_sync_to_async(users)(demo)
    listener, _, _ = await connect(u["aoj_2"])
    await listener.receive_json_from(timeout=WAIT)
    private_redis["server"].kill()
    private_redis["server"].wait()
    # Redis is down: the case action still commits and its notification is stored, unpushed
    case = await database_sync_to_async(signal)(api, u["aoj"], demo["schools"]["vo"])
    pending = await database_sync_to_async(
        lambda: list(Notification.objects.filter(case=case).values_list("recipient__username", "pushed_at")))()
    assert pending == [("aoj_2", None)]
    # Redis comes back (empty: groups are gone), the browser reconnects, the sweep pushes
    private_redis["server"] = start_redis(private_redis["port"])
    channel_layers.backends.clear()
    listener, connected, _ = await connect(u["aoj_2"])
    assert connected
    await listener.receive_json_from(timeout=WAIT)  # hello
    assert await database_sync_to_async(push_pending)() == 1
    message = await listener.receive_json_from(timeout=WAIT)
    assert message["kind"] == "task_available" and message["case"] == case.pk
    assert await database_sync_to_async(push_pending)() == 0
    await assert_nothing_before_marker(listener, u["aoj_2"])  # exactly once
    await listener.disconnect()
