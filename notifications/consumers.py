"""The websocket each signed-in browser holds: it joins only its own user's group.

It lives no longer than the session it was opened with: signing out closes it at once (a
`session.end` message to the user's group, sent on Django's user_logged_out signal), and every
delivery first checks that the session still exists, has not expired and is still this user's
(an expired session closes the socket instead of delivering). Frames that are not a JSON object
are ignored with a log line; they never end the connection with an error."""

import json
import logging
from importlib import import_module

from asgiref.sync import async_to_sync
from channels.db import DatabaseSyncToAsync
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import user_logged_out
from django.db import connections
from django.dispatch import receiver

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


SESSION_ENDED = 4401  # the same code as a connection refused without a session


def session_is_current(session_key: str | None, user_id) -> bool:
    """Whether this session still exists, has not expired and belongs to this user."""
    if not session_key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return str(store.load().get("_auth_user_id", "")) == str(user_id)  # load(): {} when gone or expired


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
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=SESSION_ENDED)
            return
        # A session that has not passed the second factor gets no socket (signin.factors).
        if not await off_the_shared_thread(session_is_verified)(self.scope.get("session"), user):
            await self.close(code=SESSION_ENDED)
            return
        self.session_key = getattr(self.scope.get("session"), "session_key", None)
        self.group = group_for(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "unread": await self.unread(user)})

    async def disconnect(self, code):
        if getattr(self, "group", None):
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
        if await off_the_shared_thread(session_is_current)(self.session_key, self.scope["user"].pk):
            return True
        await self.end()
        return False

    async def end(self):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = None
            await self.close(code=SESSION_ENDED)

    @off_the_shared_thread
    def unread(self, user) -> int:
        return unread_count(user)
