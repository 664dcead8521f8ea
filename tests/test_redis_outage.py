"""Redis goes away and comes back: casework degrades, it does not fail.

A redis-server of the test's own (a free port, no persistence) is the cache and the channel layer;
it is stopped in the middle of the work and started again on the same port, empty, as after a
restart. Every request answers as usual (the throttles and the public form's limit step aside
while the cache is unreachable, logged once, and count again when it is back), nothing is lost
(the cases and their notifications are in the database, unpushed), and every notification reaches
its websocket once the beat's `push_pending` runs after the restart; the socket opened before the
outage stays open and its subscription comes back by itself. Celery runs in-process (the
worker's stand-in)."""

import asyncio
import logging
import shutil
import time
from datetime import timedelta

import pytest
import redis
import time_machine
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle

from casework.cache import ForgivingRedisCache
from casework.models import Case, PublicSignal
from notifications.delivery import group_for
from notifications.models import Notification, OutboxEntry
from notifications.tasks import push_pending
from tests.flowkit import complete, signal, users
from tests.test_public_signal import form
from tests.test_realtime import WAIT, assert_nothing_before_marker, connect, free_port, start_redis

pytestmark = pytest.mark.own_redis


class OwnRedis:
    """A redis-server on a free port that the test stops and starts again (same port, empty)."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.server = start_redis(self.port)

    def stop(self) -> None:
        self.server.kill()
        self.server.wait()

    def start(self) -> None:
        self.server = start_redis(self.port)

    def subscribed(self, group: str) -> bool:
        """Whether a channel layer listens to this group on the server (pub/sub channels)."""
        with redis.Redis.from_url(self.url) as client:
            return any(name.decode().endswith(group) for name in client.pubsub_channels())


@pytest.fixture
def own_redis(settings):
    """The cache and the channel layer on a redis-server of this test's own, configured as in
    production (casework.settings with REDIS_URL)."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is needed for the outage tests (Debian package redis-server)")
    server = OwnRedis()
    settings.CACHES = {"default": {"BACKEND": "casework.cache.ForgivingRedisCache", "LOCATION": server.url,
                                   "KEY_PREFIX": "casework",
                                   "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2}}}
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {
        "hosts": [{"address": server.url, "socket_timeout": None, "socket_keepalive": True}],
        "prefix": "casework"}}}
    channel_layers.backends.clear()
    yield server
    server.stop()
    channel_layers.backends.clear()


def cache_lines(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "casework.cache"]


def after_the_pause():
    """The cache is tried again a pause after its last failure (casework.cache)."""
    return time_machine.travel(timezone.now() + timedelta(seconds=ForgivingRedisCache.PAUSE_SECONDS + 1))


@pytest.mark.django_db
def test_the_throttle_steps_aside_while_redis_is_away_and_counts_again_when_it_is_back(
        api, demo, u, own_redis, monkeypatch, caplog):
    caplog.set_level(logging.WARNING, logger="casework.cache")
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "3/min")
    client = api(u["aoj"])
    assert [client.get("/api/v1/cases").status_code for _ in range(4)] == [200, 200, 200, 429]
    own_redis.stop()
    # Redis is away: answered as usual, not throttled (nothing is counted), and a public signal
    # is taken (its limit per address is in the cache too)
    assert [client.get("/api/v1/cases").status_code for _ in range(5)] == [200] * 5
    signalled = signal(api, u["aoj_2"], demo["schools"]["vo"])
    assert Client().post("/melden/", form(demo)).status_code == 200
    assert PublicSignal.objects.count() == 1 and Case.objects.filter(pk=signalled.pk).exists()
    assert cache_lines(caplog) == ["the cache is unreachable (get: ConnectionError); requests go on without it"]
    assert not any("127.0.0.1" in line or "throttle" in line for line in cache_lines(caplog))  # no key
    # Redis is back (empty): throttling resumes, counted anew
    own_redis.start()
    with after_the_pause():
        assert [client.get("/api/v1/cases").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert cache_lines(caplog)[1:] == ["the cache is reachable again"]


def test_the_cache_acts_as_an_empty_one_while_redis_is_away(own_redis, settings):
    cache.set("kept", 1)
    assert cache.get("kept") == 1
    own_redis.stop()
    assert cache.get("kept", "missed") == "missed" and cache.get_many(["kept"]) == {}
    assert cache.add("new", 1) is False and cache.set("new", 1) is None and not cache.has_key("new")
    assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]  # the keys not stored
    assert cache.touch("kept") is False and cache.delete("kept") is False and cache.clear() is False
    with pytest.raises(ValueError):  # as for a key that is not there
        cache.incr("kept")
    own_redis.start()
    with after_the_pause():
        assert cache.get("kept") is None  # a restarted Redis is empty
        cache.set("text", "not a number")
        with pytest.raises(redis.exceptions.ResponseError):  # other errors are not swallowed
            cache.incr("text")


@pytest.mark.django_db
def test_check_health_says_when_the_caches_redis_is_unreachable(demo, own_redis):
    own_redis.stop()
    with pytest.raises(CommandError, match="the cache's Redis is unreachable"):
        call_command("check_health")
    own_redis.start()
    call_command("check_health")


async def wait_for(condition, what: str) -> None:
    """Poll `condition` (quick, not a database call) until it holds, up to WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {WAIT} s for {what}")
        await asyncio.sleep(0.05)


async def receive_kinds(listener, count: int) -> list[tuple[str, int]]:
    return sorted([(message["kind"], message["case"]) for message in
                   [await listener.receive_json_from(timeout=WAIT) for _ in range(count)]])


@pytest.mark.django_db(transaction=True)
async def test_work_goes_on_while_redis_is_away_and_every_notification_arrives_after(api, demo, own_redis):
    u = await database_sync_to_async(users)(demo)
    team, connected, _ = await connect(u["aoj_2"])
    assert connected and (await team.receive_json_from(timeout=WAIT))["type"] == "hello"
    consultant, connected, _ = await connect(u["ect"])
    assert connected and (await consultant.receive_json_from(timeout=WAIT))["type"] == "hello"
    own_redis.stop()

    def work() -> list[Case]:
        """Signals and completed tasks through the API; each call asserts its usual answer."""
        cases = []
        for name in ("Ada", "Bo", "Cas"):
            case = signal(api, u["aoj"], demo["schools"]["vo"], given_name=name, pupil_number=f"L-{name}")
            complete(api, u["aoj"], case, "team_review", {"plan": "P", "ect_question_kind": "handelingsadvies", "routes": ["ect_consult"]})
            assert api(u["aoj_2"]).get(f"/api/v1/cases/{case.pk}").status_code == 200
            cases.append(case)
        return cases

    cases = await database_sync_to_async(work)()
    # nothing is lost: the cases and their notifications are stored, fanned out, not pushed
    rows = await database_sync_to_async(lambda: sorted(
        Notification.objects.filter(case__in=cases).values_list("recipient__username", "kind", "pushed_at")))()
    assert rows == sorted([("aoj_2", "task_available", None)] * 3 + [("ect", "task_available", None)] * 3
                          + [("ect_2", "task_available", None)] * 3)
    assert not await database_sync_to_async(OutboxEntry.objects.filter(fanned_out_at__isnull=True).exists)()

    own_redis.start()  # the same port, empty
    # the sockets opened before the outage were never closed; their subscriptions come back by themselves
    for user in (u["aoj_2"], u["ect"]):
        await wait_for(lambda user=user: own_redis.subscribed(group_for(user.pk)), "the layer to subscribe again")
    # the beat's next run pushes what the outage left (rows older than a few seconds)
    with time_machine.travel(timezone.now() + timedelta(seconds=30)):
        assert await database_sync_to_async(lambda: push_pending.delay().get())() == 0  # nothing to fan out again
    expected = sorted(("task_available", case.pk) for case in cases)
    assert await receive_kinds(team, 3) == expected
    assert await receive_kinds(consultant, 3) == expected
    assert not await database_sync_to_async(
        Notification.objects.filter(case__in=cases, pushed_at__isnull=True).exists)()
    await assert_nothing_before_marker(team, u["aoj_2"])  # each exactly once
    await assert_nothing_before_marker(consultant, u["ect"])
    await team.disconnect()
    await consultant.disconnect()
