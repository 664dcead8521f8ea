"""The clocks of a case (and of a data breach): one `Deadline` row per clock."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .cases import Case
from .steps import Arrangement, Offer, Vrijstelling


class Deadline(models.Model):
    """One clock of a case. Rules live in `casework.clocks`; the sweeper (`casework.services.sweeper`) acts on the rows
    whose warning or due time has passed, each exactly once (`warned_at`, `breached_at`)."""

    class Kind(models.TextChoices):
        TEAM_ACTION_48H = "team_action_48h", _("Team action within 48 hours")
        LRV_4_WEEKS = "lrv_4_weeks", _("4 weeks of absence (LRV)")
        OFFER_3_MONTHS = "offer_3_months", _("Offer and place within 3 months")
        ARRANGEMENT_EVALUATION = "arrangement_evaluation", _("Evaluation of the arrangement")
        BREACH_NOTIFICATION_72H = "breach_notification_72h", _("Decision on notifying a data breach (72 hours)")
        OFFER_START = "offer_start", _("Start of the offered place")
        EXEMPTION_END = "exemption_end", _("End of the exemption")
        LEERPLICHT_END = "leerplicht_end", _("End of compulsory education")
        ZIEK_REVIEW = "ziek_review", _("Cyclical review of a pupil reported sick")
        THUISWERKPLAN_REVIEW = "thuiswerkplan_review", _("Review of the thuiswerkplan")

    class State(models.TextChoices):
        OPEN = "open", _("running")
        WARNING = "warning", _("warning")
        MET = "met", _("met")
        BREACHED = "breached", _("breached")
        STOPPED = "stopped", _("stopped")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, blank=True, related_name="deadlines",
                             verbose_name=_("case"))
    data_breach = models.ForeignKey("DataBreach", on_delete=models.CASCADE, null=True, blank=True,
                                    related_name="deadlines", verbose_name=_("data breach"))
    kind = models.CharField(_("kind"), max_length=25, choices=Kind.choices)
    sequence = models.PositiveIntegerField(_("sequence"), default=1)
    arrangement = models.ForeignKey(Arrangement, on_delete=models.CASCADE, null=True, blank=True,
                                    related_name="deadlines")
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, null=True, blank=True, related_name="deadlines")
    vrijstelling = models.ForeignKey(Vrijstelling, on_delete=models.CASCADE, null=True, blank=True,
                                     related_name="deadlines")
    due_at = models.DateTimeField(_("due at"))
    warn_at = models.DateTimeField(_("warning at"), null=True, blank=True)
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    stop_reason = models.CharField(_("reason stopped"), max_length=40, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        constraints = [
            models.UniqueConstraint(fields=["case", "kind", "sequence"], name="one_deadline_per_kind_and_sequence"),
            models.CheckConstraint(name="deadline_of_a_case_or_a_breach",
                                   condition=Q(case__isnull=False, data_breach__isnull=True)
                                   | Q(case__isnull=True, data_breach__isnull=False)),
        ]
        indexes = [
            # The sweeper's two questions, answered from the rows still running only.
            models.Index(fields=["due_at"], name="deadline_open_due",
                         condition=Q(breached_at__isnull=True, met_at__isnull=True, stopped_at__isnull=True)),
            models.Index(fields=["warn_at"], name="deadline_open_warn",
                         condition=Q(warned_at__isnull=True, breached_at__isnull=True, met_at__isnull=True,
                                     stopped_at__isnull=True, warn_at__isnull=False)),
            models.Index(fields=["case", "kind"], name="deadline_case_kind"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.case_id or self.data_breach_id})"

    @property
    def is_running(self) -> bool:
        return not (self.met_at or self.breached_at or self.stopped_at)

    def state_at(self, now) -> str:
        """open, warning, met, breached or stopped, at the moment `now`."""
        if self.breached_at:
            return self.State.BREACHED
        if self.met_at:
            return self.State.MET
        if self.stopped_at:
            return self.State.STOPPED
        if self.due_at <= now:
            return self.State.BREACHED
        if self.warn_at and self.warn_at <= now:
            return self.State.WARNING
        return self.State.OPEN

    @property
    def state(self) -> str:
        return self.state_at(timezone.now())

    @property
    def state_label(self) -> str:
        return str(self.State(self.state).label)

    @property
    def is_past_due(self) -> bool:
        return self.due_at <= timezone.now()
