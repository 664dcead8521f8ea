"""Notifications: what happened is written to the outbox in the acting transaction (one row,
`OutboxEntry`); the fan-out after commit turns it into one `Notification` per recipient, which is
then pushed and, as a fallback, mailed."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxEntry(models.Model):
    """Something happened that people must hear about: who acted, what, on which case or task,
    when. Written by `notify` inside the step's transaction; fanned out after commit (the audience
    resolved then) and marked done in the transaction that writes the recipients' rows."""

    kind = models.CharField(_("kind"), max_length=30)
    case = models.ForeignKey("casework.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    task = models.ForeignKey("workflows.CaseTask", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # Whose task it was when this happened: a task claimed at creation is announced to its owner
    # only, one claimed later (before the fan-out) still to its team.
    task_owner_id = models.BigIntegerField(null=True, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("actor"))
    data = models.JSONField(default=dict, blank=True, help_text=_("Ids only."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    fanned_out_at = models.DateTimeField(_("fanned out at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox entry")
        verbose_name_plural = _("outbox entries")
        indexes = [models.Index(fields=["created_at"], name="outbox_pending", condition=Q(fanned_out_at__isnull=True))]

    def __str__(self):
        return f"{self.kind} ({self.pk})"


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
    # The outbox entry this row was fanned out from (one row per entry and recipient).
    source = models.ForeignKey(OutboxEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="rows")

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
        constraints = [models.UniqueConstraint(fields=["source", "recipient"], name="notification_once_per_entry")]

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
