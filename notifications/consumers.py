"""The websocket each signed-in browser holds: it joins only its own user's group."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from notifications.delivery import group_for
from notifications.services import unread_count


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.group = group_for(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "unread": await self.unread(user)})

    async def disconnect(self, code):
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        """The client may only ask for its unread count (after a reconnect)."""
        if content.get("type") == "unread":
            await self.send_json({"type": "unread", "unread": await self.unread(self.scope["user"])})

    async def notification_message(self, event):
        await self.send_json({key: event[key] for key in ("id", "kind", "case", "task", "unread")}
                             | {"type": "notification"})

    @database_sync_to_async
    def unread(self, user) -> int:
        return unread_count(user)
