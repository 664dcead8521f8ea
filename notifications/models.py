"""Notifications: persisted first (so the table is also the outbox), then pushed and mailed."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
                                  verbose_name=_("recipient"))
    kind = models.CharField(_("kind"), max_length=30)
    case = models.ForeignKey("casework.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    task = models.ForeignKey("workflows.CaseTask", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    data = models.JSONField(default=dict, blank=True, help_text=_("Ids only."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    pushed_at = models.DateTimeField(_("pushed at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            models.Index(fields=["recipient"], name="notification_unread", condition=Q(read_at__isnull=True)),
            models.Index(fields=["created_at"], name="notification_unpushed", condition=Q(pushed_at__isnull=True)),
            models.Index(fields=["created_at"], name="notification_unmailed",
                         condition=Q(emailed_at__isnull=True, read_at__isnull=True)),
        ]

    def __str__(self):
        return f"{self.kind} → {self.recipient_id}"


class Preference(models.Model):
    """Per user: whether notifications other than breaches may also come by e-mail."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_pref")
    email_non_breach = models.BooleanField(_("also e-mail me what is not a breach"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self):
        return f"{self.user_id}: {self.email_non_breach}"
