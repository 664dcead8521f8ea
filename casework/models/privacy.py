"""Privacy: reading the access log, retention, the data-breach register."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from teams.models import Region

from .audit import AppendOnlyModel
from .cases import Case


class LogReading(AppendOnlyModel):
    """Who read the access log (or produced a subject-access export): reading the log is logged."""

    class Kind(models.TextChoices):
        SEARCH = "search", _("searched the access log")
        EXPORT = "export", _("exported the access log")
        CASE_LOG = "case_log", _("read who looked at a case")
        SUBJECT_ACCESS = "subject_access", _("produced a subject-access export")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    filters = models.JSONField(default=dict, blank=True, help_text=_("Ids and dates only; never a name."))
    results = models.PositiveIntegerField(default=0)
    path = models.CharField(max_length=500, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("access-log reading")
        verbose_name_plural = _("access-log readings")

    def __str__(self):
        return f"{self.user_id} {self.kind} @ {self.at:%Y-%m-%d %H:%M}"


class RetentionLogEntry(AppendOnlyModel):
    """What the retention run did to a case. No personal data: the case number and the rule."""

    class Action(models.TextChoices):
        PSEUDONYMISED = "pseudonymised", _("pseudonymised")
        DELETED = "deleted", _("personal data deleted")

    case_number = models.PositiveBigIntegerField(db_index=True)
    action = models.CharField(max_length=15, choices=Action.choices)
    rule = models.CharField(max_length=40, help_text=_("The outcome whose retention period applied."))
    closed_at = models.DateTimeField()
    at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("retention log entry")
        verbose_name_plural = _("retention log")
        constraints = [models.UniqueConstraint(fields=["case_number", "action"], name="one_retention_action_per_case")]

    def __str__(self):
        return f"{self.case_number} {self.action}"


class DataBreach(models.Model):
    """An entry of the data-breach register (datalekkenregister) of a region."""

    class Risk(models.TextChoices):
        LOW = "low", _("low: no notification needed")
        MEDIUM = "medium", _("medium")
        HIGH = "high", _("high: inform those involved too")

    class Decision(models.TextChoices):
        NOTIFY = "notify", _("notified to the Autoriteit Persoonsgegevens")
        NO_NOTIFICATION = "no_notification", _("not notified (motivated)")

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="data_breaches", verbose_name=_("region"))
    what = models.TextField(_("what happened"))
    discovered_at = models.DateTimeField(_("discovered at"))
    cases = models.ManyToManyField(Case, blank=True, related_name="data_breaches", verbose_name=_("cases involved"))
    risk = models.CharField(_("risk"), max_length=10, choices=Risk.choices)
    measures = models.TextField(_("measures taken"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    decision = models.CharField(_("decision on notification"), max_length=20, choices=Decision.choices, blank=True)
    decision_motivation = models.TextField(_("motivation"), blank=True)
    ap_reference = models.CharField(_("AP reference"), max_length=100, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["-discovered_at", "-pk"]
        verbose_name = _("data breach")
        verbose_name_plural = _("data-breach register")

    def __str__(self):
        return f"{_('data breach')} {self.pk} ({self.region_id})"
