"""The child and the case: the case's legal status (its state machine) and who works on it.

Writes happen only in `casework.services`; this module holds structure and the state machine's
transitions (which services call), nothing else.
"""

import unicodedata

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from teams.models import Region, School, Sector, Team

from .fulltext import CHILD_DOCUMENT, PostgresGinIndex


def comparable_name(name: str) -> str:
    """A name as duplicate detection compares it: NFKC, case-folded, diacritics removed, inner white
    space collapsed ("Zoë  de Vries" and "zoe de vries" are the same)."""
    folded = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", name).casefold())
    plain = "".join(char for char in folded if not unicodedata.combining(char))
    return " ".join(unicodedata.normalize("NFC", plain).split())


class Child(models.Model):
    """The child or young person a case is about. Minimal data: no BSN, no medical free text."""

    given_name = models.CharField(_("given name"), max_length=100)
    family_name = models.CharField(_("family name"), max_length=150)
    birth_date = models.DateField(_("birth date"))
    pupil_number = models.CharField(_("pupil number"), max_length=30, blank=True)
    # The qualification duty: a 16/17-year-old without a startkwalificatie is still of compulsory
    # school age; with one (from `startkwalificatie_on`) the duty ends.
    startkwalificatie = models.BooleanField(_("has a startkwalificatie"), default=False)
    startkwalificatie_on = models.DateField(_("startkwalificatie obtained on"), null=True, blank=True)
    # Normalised "given|family|birth date": how a second signal finds the same child.
    # NULL (not "") once pseudonymised, so that the unique index ignores it.
    match_key = models.CharField(max_length=300, unique=True, null=True, editable=False)  # noqa: DJ001

    class Meta:
        verbose_name = _("child")
        verbose_name_plural = _("children")
        # The case search finds a child by these words (casework.search; PostgreSQL only).
        indexes = [PostgresGinIndex(CHILD_DOCUMENT, name="child_search_document")]

    def __str__(self):
        return f"{self.given_name} {self.family_name}"

    @staticmethod
    def key_for(given_name: str, family_name: str, birth_date) -> str:
        """The match key: both names compared as `comparable_name` says, and the birth date."""
        key = f"{comparable_name(given_name)}|{comparable_name(family_name)}|{birth_date.isoformat()}"
        return key[:300]  # the column's length (NFKC may lengthen a name)


class Case(ConcurrentTransitionMixin, models.Model):
    class Registration(models.TextChoices):
        LRV = "lrv", _("Long-term relative absence (LRV)")
        AV = "av", _("Absolute absence (AV)")
        DREIGEND = "dreigend", _("Threatened thuiszitter (dreigend)")
        ZIEK = "ziek", _("Reported sick (ziekgemeld)")
        VRIJ = "vrij", _("Exempted (vrijstelling)")

    class Category(models.TextChoices):
        SCHOOLWEIGERAAR = "schoolweigeraar", _("School refuser (schoolweigeraar)")
        SCHOOLONTHOUDING = "schoolonthouding", _("Kept home by parents (schoolonthouding)")
        SPIJBELAAR = "spijbelaar", _("Truant (spijbelaar)")
        MEDISCH_PSYCHOSOCIAAL = "medisch_psychosociaal", _("Medical / physical / psychosocial")
        ONBEKEND = "onbekend", _("Unknown")

    class SignallerRole(models.TextChoices):
        SCHOOL = "school", _("School")
        LEERPLICHT = "leerplicht", _("Leerplicht")
        WIJ = "wij", _("WIJ-team")
        JGZ = "jgz", _("JGZ / GGD")
        OUDER = "ouder", _("Parent")
        JONGERE = "jongere", _("Young person")

    class Status(models.TextChoices):
        SIGNALLED = "signalled", _("Signalled")
        ACTIVE = "active", _("Active")
        ESCALATED = "escalated", _("Escalated")
        PLACED = "placed", _("Placed")
        CLOSED = "closed", _("Closed")

    class Outcome(models.TextChoices):
        TERUG_NAAR_SCHOOL = "terug_naar_school", _("Back in education")
        PASSEND_AANBOD = "passend_aanbod", _("Suitable offer with a place")
        VRIJSTELLING = "vrijstelling", _("Exemption granted")
        VERHUISD = "verhuisd", _("Moved out of the region")
        ACHTTIEN = "achttien", _("Turned 18")
        ANDERS = "anders", _("Other")

    class Participation(models.TextChoices):
        """How far the pupil takes part in education or care (Thuiszitterspact Groningen, §8: "naar vermogen")."""

        GEEN = "geen", _("Not taking part")
        GEDEELTELIJK = "gedeeltelijk", _("Taking part partly")
        VOLLEDIG = "volledig", _("Taking part fully, as far as they can")

    class Setting(models.TextChoices):
        """Where the pupil takes part."""

        EIGEN_SCHOOL = "eigen_school", _("Own school")
        ANDERE_SCHOOL = "andere_school", _("Another school")
        ARRANGEMENT = "arrangement", _("Education-and-care arrangement")
        OPDC_DOORSTART = "opdc_doorstart", _("OPDC / Doorstart")
        REBOUND = "rebound", _("Rebound")
        DAGBESTEDING = "dagbesteding", _("Day activities (dagbesteding)")
        ZORG = "zorg", _("Care as the offer")
        ANDER_ONDERWIJS = "ander_onderwijs", _("Other education")

    OPEN_STATUSES = (Status.SIGNALLED, Status.ACTIVE, Status.ESCALATED, Status.PLACED)

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="cases", verbose_name=_("child"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="cases", verbose_name=_("region"))
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, null=True, blank=True, related_name="cases", verbose_name=_("school")
    )
    sector = models.CharField(_("sector"), max_length=3, choices=Sector.choices)
    registration = models.CharField(_("registration"), max_length=10, choices=Registration.choices)
    category = models.CharField(_("category"), max_length=25, choices=Category.choices)
    absent_since = models.DateField(_("absent since"))
    signalled_at = models.DateTimeField(_("signalled at"), default=timezone.now)
    signalled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signalled_cases", verbose_name=_("signalled by")
    )
    signaller_role = models.CharField(_("signalled by (party)"), max_length=12, choices=SignallerRole.choices)
    summary = models.TextField(_("summary"), blank=True)
    status = FSMField(_("status"), default=Status.SIGNALLED, choices=Status.choices, protected=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The current level of taking part; its dated history is in `participation_changed` events.
    participation = models.CharField(_("taking part"), max_length=12, choices=Participation.choices,
                                     default=Participation.GEEN)
    participation_setting = models.CharField(_("taking part in"), max_length=20, choices=Setting.choices,
                                             blank=True)
    # Milestones: the first moment it happened, written once by `CaseEvent`'s recording (the
    # monitor's timings read them instead of every event).
    first_reviewed_at = models.DateTimeField(_("first reviewed at"), null=True, blank=True, db_index=True)
    escalated_at = models.DateTimeField(_("first escalated at"), null=True, blank=True, db_index=True)
    offer_started_at = models.DateTimeField(_("place first started at"), null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-signalled_at", "-pk"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.UniqueConstraint(
                fields=["child"], condition=~Q(status="closed"), name="one_open_case_per_child"
            ),
            # An absoluut verzuimer is enrolled nowhere. (A case without a school can later become
            # e.g. `vrij` when Leerplicht exempts the child; the intake rules ask a school otherwise.)
            models.CheckConstraint(
                name="case_av_has_no_school",
                condition=~Q(registration="av", school__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["status", "region"], name="case_status_region")]

    def __str__(self):
        return f"{_('Case')} {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED

    # --- the legal status (only services call these) -----------------------------------------
    @transition(field=status, source=Status.SIGNALLED, target=Status.ACTIVE)
    def take_up(self):
        """The team has acted on the signal."""

    @transition(field=status, source=[Status.SIGNALLED, Status.ACTIVE, Status.PLACED], target=Status.ESCALATED)
    def escalate(self):
        """No school place found: the case climbs the escalation ladder."""

    @transition(field=status, source=[Status.ACTIVE, Status.ESCALATED], target=Status.PLACED)
    def place(self):
        """An offer with a place is there."""

    @transition(field=status, source=Status.ESCALATED, target=Status.PLACED)
    def start_in_place(self):
        """The child started in an offered place: the escalation has done its work."""

    @transition(field=status, source=Status.PLACED, target=Status.ACTIVE)
    def offer_fell_through(self):
        """The offered place did not start: the case is back with the team."""

    @transition(field=status, source=list(OPEN_STATUSES), target=Status.CLOSED)
    def close(self, *, outcome: str, at):
        self.outcome = outcome
        self.closed_at = at


class CaseParticipant(models.Model):
    """A team or a single user that works on a case; this is what gives access to it."""

    class Reason(models.TextChoices):
        SCHOOL_TEAM = "school_team", _("the school's team")
        LEERPLICHT = "leerplicht", _("Leerplicht for an absolute verzuimer")
        SIGNALLER = "signaller", _("signalled the case")
        CONSULT = "consult", _("consulted")
        ESCALATION = "escalation", _("escalation")
        MENTOR = "mentor", _("JIM mentor")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="participants", verbose_name=_("case"))
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="case_participations", verbose_name=_("team")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="case_participations", verbose_name=_("user"),
    )
    reason = models.CharField(_("why"), max_length=20, choices=Reason.choices)
    since = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        verbose_name = _("case participant")
        verbose_name_plural = _("case participants")
        constraints = [
            models.CheckConstraint(
                name="participant_team_xor_user",
                condition=(Q(team__isnull=False, user__isnull=True) | Q(team__isnull=True, user__isnull=False)),
            ),
            models.UniqueConstraint(fields=["case", "team"], condition=Q(team__isnull=False), name="one_participation_per_team"),
            models.UniqueConstraint(fields=["case", "user"], condition=Q(user__isnull=False), name="one_participation_per_user"),
        ]
        indexes = [
            models.Index(fields=["team", "case"], name="participant_team_case"),
            models.Index(fields=["user", "case"], name="participant_user_case"),
        ]

    def __str__(self):
        return f"{self.team or self.user} @ {self.case}"
