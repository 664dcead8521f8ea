"""The websocket each signed-in browser holds: it joins only its own user's group.

It lives no longer than the session it was opened with, by the pages' own rule of a session's
lifetime (casework.http.middleware.seconds_to_end: CASEWORK_SESSION_IDLE_MINUTES after the session's
last save, CASEWORK_SESSION_MAX_HOURS after the sign-in, whichever comes first):

- a session past either end (or one that has not passed the second factor) opens no socket;
- signing out closes it at once (a `session.end` message to the user's group, sent on Django's
  user_logged_out signal);
- every delivery first reads the session afresh: it must still exist, be this user's and be
  within both ends (else the socket closes instead of delivering);
- without deliveries, the socket closes when its session ends: it wakes at the session's end and
  reads the session again (pages in another tab may have renewed it: then it waits for the new
  end). The end is a wall-clock time and the event loop's clock is monotonic (it stands still
  while a virtual machine is suspended), so the wait follows the wall clock at least every
  WATCH_SECONDS; a wake before the end costs no query.

Every close for a session is code 4401 (SESSION_ENDED), which the page's script takes as "signed
out: do not reconnect". Frames that are not a JSON object are ignored with a log line; they never
end the connection with an error."""

import asyncio
import json
import logging
import time
from importlib import import_module

from asgiref.sync import async_to_sync
from channels.db import DatabaseSyncToAsync
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import user_logged_out
from django.db import connections
from django.dispatch import receiver

from casework.http.middleware import seconds_to_end
from notifications.delivery import group_for
from notifications.services import unread_count
from signin.factors import session_is_verified

log = logging.getLogger(__name__)


def off_the_shared_thread(function):
    """A database call of a socket, run in the event loop's thread pool. Channels' default
    (`database_sync_to_async`, thread-sensitive) runs every socket's calls of a worker one at a
    time on one shared thread: under `make load` each pushed notification's session check for
    every socket queued there, and opening a socket (the session and user lookups wait on the
    same thread) took 20 seconds with uvicorn and granian and failed with daphne. The pool thread
    gives its connection back after each call (to the connection pool in production); otherwise
    idle threads kept theirs open."""

    def closing(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()

    return DatabaseSyncToAsync(closing, thread_sensitive=False)


SESSION_ENDED = 4401  # refused or closed for the session: none, not verified, signed out, or ended
WATCH_SECONDS = 2.0  # the longest wait between two looks at the wall clock (no query)


def seconds_left(session) -> float:
    """Seconds this session has left by the pages' rule (0: it has ended)."""
    return max(0.0, seconds_to_end(session))


def opening_seconds(session, user) -> float:
    """At connect: seconds the session has left (0: refuse the socket). The session was just read
    from the store for the scope's user; it must have passed the second factor (signin.factors)."""
    if session is None or not session_is_verified(session, user):
        return 0.0
    return seconds_left(session)


def current_seconds(session_key: str | None, user_id) -> float:
    """Seconds left of this session, read afresh from the store (0: gone, expired in the store,
    another user's, or past either end)."""
    if not session_key:
        return 0.0
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    if str(store.get("_auth_user_id", "")) != str(user_id):  # the store reads {} when gone or expired
        return 0.0
    return seconds_left(store)


@receiver(user_logged_out, dispatch_uid="notifications-close-sockets-at-logout")
def close_sockets_at_logout(sender, request, user, **kwargs):
    """Signing out closes the websockets opened with that session (on every server: the group)."""
    if user is None:
        return
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    try:
        async_to_sync(get_channel_layer().group_send)(group_for(user.pk), {"type": "session.end",
                                                                           "session": session_key})
    except Exception as error:  # noqa: BLE001 - a layer failure must not fail the logout; delivery checks too
        log.warning("closing the websockets at logout failed (%s)", type(error).__name__)


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    group = None
    session_key = None
    ends_at = 0.0  # wall-clock time (epoch seconds) of the session's end, as last read
    watch = None  # the task that closes the socket when its session ends

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        finally:  # however the connection ends (also cancelled), the watch ends with it
            self.stop_watching()

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=SESSION_ENDED)
            return
        session = self.scope.get("session")
        left = await off_the_shared_thread(opening_seconds)(session, user)
        if left <= 0:  # without the second factor, or past the session's idle or absolute end
            await self.close(code=SESSION_ENDED)
            return
        self.session_key = getattr(session, "session_key", None)
        self.ends_at = time.time() + left
        self.group = group_for(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "unread": await self.unread(user)})
        self.watch = asyncio.create_task(self.watch_session())

    async def disconnect(self, code):
        self.stop_watching()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        """A frame that is not a JSON object is ignored (logged without its content)."""
        try:
            content = json.loads(text_data if text_data is not None else bytes_data)
        except (TypeError, ValueError):
            log.info("websocket: ignored a frame that is not JSON")
            return
        if not isinstance(content, dict):
            log.info("websocket: ignored a frame that is not a JSON object")
            return
        await self.receive_json(content, **kwargs)

    async def receive_json(self, content, **kwargs):
        """The client may only ask for its unread count (after a reconnect)."""
        if content.get("type") == "unread" and await self.still_signed_in():
            await self.send_json({"type": "unread", "unread": await self.unread(self.scope["user"])})

    async def notification_message(self, event):
        if await self.still_signed_in():
            await self.send_json({key: event[key] for key in ("id", "kind", "case", "task", "unread")}
                                 | {"type": "notification"})

    async def session_end(self, event):
        """The user signed out: close this socket if it was opened with that session (or unknown)."""
        if event.get("session") in (None, self.session_key):
            await self.end()

    async def still_signed_in(self) -> bool:
        """Reads the session afresh: still there, this user's and within both ends (the end is
        remembered for the watch); else the socket closes."""
        left = await off_the_shared_thread(current_seconds)(self.session_key, self.scope["user"].pk)
        if left > 0:
            self.ends_at = time.time() + left
            return True
        await self.end()
        return False

    async def watch_session(self):
        """Closes the socket when its session ends, with no delivery to notice it: waits until the
        remembered end (looking at the wall clock at least every WATCH_SECONDS), then reads the
        session again; a session renewed meanwhile moves the end and the wait goes on."""
        while self.group:
            left = self.ends_at - time.time()
            if left > 0:
                await asyncio.sleep(min(left, WATCH_SECONDS))
            elif not await self.still_signed_in():
                return

    def stop_watching(self):
        if self.watch is not None and self.watch is not asyncio.current_task():
            self.watch.cancel()
        self.watch = None

    async def end(self):
        if self.group:
            group, self.group = self.group, None
            await self.channel_layer.group_discard(group, self.channel_name)
            await self.close(code=SESSION_ENDED)

    @off_the_shared_thread
    def unread(self, user) -> int:
        return unread_count(user)
