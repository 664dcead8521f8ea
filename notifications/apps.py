from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """Notifications (outbox, websocket push, e-mail) live in this app."""

    name = "notifications"
    verbose_name = _("Notifications")
