"""What the chain told casework: each import (who, when, how many rows, what became of them), the
absence reports it kept (matched to a case, or waiting on the reconciliation page) and the
enrolment changes it read. No BSN or onderwijsnummer is ever stored: such a column is dropped
before a row is read (chain.formats)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.models import Case
from teams.models import Region, School


class Outcome(models.TextChoices):
    """What became of one row of an import."""

    CREATED = "created", _("kept: no case yet (on the reconciliation page)")
    LINKED = "linked", _("linked to the child's open case")
    DUPLICATE = "duplicate", _("already known (this file or an earlier import)")
    UPDATED = "updated", _("an earlier report updated")
    REJECTED = "rejected", _("rejected (nothing stored)")


class ImportBatch(models.Model):
    """One import: a file uploaded on the page or a request of a connected system. Kept as the
    import log the privacy officer reads (who, when, how many rows, matches); the rows' personal
    data live only in the reports kept."""

    class Kind(models.TextChoices):
        ABSENCE = "absence", _("absence reports")
        ENROLMENT = "enrolment", _("enrolment changes")
        MIXED = "mixed", _("absence reports and enrolment changes")

    class Source(models.TextChoices):
        UPLOAD = "upload", _("file upload")
        API = "api", _("API")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    filename = models.CharField(_("file"), max_length=200, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    outcomes = models.JSONField(_("outcomes"), default=dict, help_text=_("Rows per outcome."))
    dropped_columns = models.JSONField(_("columns dropped"), default=list,
                                       help_text=_("BSN or onderwijsnummer columns, dropped unread."))
    # The regions imported for, as ",1,2," (one is found with a plain `contains` on every database).
    regions = models.CharField(_("regions"), max_length=200, default="", editable=False)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M} ({self.rows})"


class AbsenceReport(models.Model):
    """One verzuimmelding as the chain reported it, kept once (by DUO's reference, or by school,
    pupil, kind and first day when it has none)."""

    class Kind(models.TextChoices):
        ONGEOORLOOFD_16_UUR = "ongeoorloofd_16_uur", _("unauthorised absence, 16 hours in 4 weeks")
        SIGNAALVERZUIM = "signaalverzuim", _("signal absence (signaalverzuim)")
        LANGDURIG_RELATIEF = "langdurig_relatief", _("long-term relative absence (4 weeks or more)")
        ABSOLUUT = "absoluut", _("absolute absence (not enrolled)")
        OVERIG = "overig", _("other")

    class State(models.TextChoices):
        OPEN = "open", _("to reconcile")
        LINKED = "linked", _("linked to a case")
        SIGNALLED = "signalled", _("signalled as a new case")
        DISMISSED = "dismissed", _("dismissed")

    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="absence_reports")
    fingerprint = models.CharField(max_length=64, unique=True, editable=False)
    melding_id = models.CharField(_("DUO reference"), max_length=40, blank=True, db_index=True)
    brin = models.CharField(_("BRIN"), max_length=4)
    vestiging = models.CharField(_("location"), max_length=2, blank=True)
    school = models.ForeignKey(School, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    pupil_number = models.CharField(_("pupil number"), max_length=30, blank=True)
    family_name = models.CharField(_("family name"), max_length=150)
    given_names = models.CharField(_("given names"), max_length=200)
    birth_date = models.DateField(_("birth date"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    reported_on = models.DateField(_("reported on"), null=True, blank=True)
    # Less than 28 days out of school when it was imported: a threatened thuiszitter (dreigend)
    # until day 29, not yet long-term relative absence.
    dreigend = models.BooleanField(_("threatened (under 4 weeks)"), default=False)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    case = models.ForeignKey(Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="absence_reports")
    dismissed_reason = models.CharField(_("why dismissed"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("absence report")
        verbose_name_plural = _("absence reports")
        indexes = [models.Index(fields=["region", "state"], name="absence_report_open"),
                   models.Index(fields=["school", "pupil_number"], name="absence_report_pupil")]

    def __str__(self):
        return f"{self.brin}{self.vestiging} {self.kind} {self.first_day}"


class EnrolmentChange(models.Model):
    """One in- or uitschrijving, kept once (school, pupil, change and date)."""

    class Change(models.TextChoices):
        IN = "in", _("enrolled")
        OUT = "out", _("unenrolled")

    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="enrolments")
    fingerprint = models.CharField(max_length=64, unique=True, editable=False)
    brin = models.CharField(_("BRIN"), max_length=4)
    vestiging = models.CharField(_("location"), max_length=2, blank=True)
    school = models.ForeignKey(School, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    pupil_number = models.CharField(_("pupil number"), max_length=30, blank=True)
    family_name = models.CharField(_("family name"), max_length=150)
    given_names = models.CharField(_("given names"), max_length=200)
    birth_date = models.DateField(_("birth date"))
    change = models.CharField(_("change"), max_length=3, choices=Change.choices)
    date = models.DateField(_("date"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="enrolment_changes")
    # An unenrolment without a case waits on the reconciliation page (enrolled nowhere else?).
    state = models.CharField(_("state"), max_length=10, choices=AbsenceReport.State.choices,
                             default=AbsenceReport.State.LINKED)
    dismissed_reason = models.CharField(_("why dismissed"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("enrolment change")
        verbose_name_plural = _("enrolment changes")

    def __str__(self):
        return f"{self.brin}{self.vestiging} {self.change} {self.date}"
