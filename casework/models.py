"""The case domain: the child, the case with its legal status, its history and who reads it.

Writes happen only in `casework.services`; this module holds structure and the state
machine's transitions (which services call), nothing else.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from teams.models import Region, School, Sector, Team


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

    def __str__(self):
        return f"{self.given_name} {self.family_name}"

    @staticmethod
    def key_for(given_name: str, family_name: str, birth_date) -> str:
        def norm(s):
            return " ".join(s.split()).casefold()

        return f"{norm(given_name)}|{norm(family_name)}|{birth_date.isoformat()}"


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
        """How far the pupil takes part in education or care (seed 002 §8: "naar vermogen")."""

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

    @transition(field=status, source=Status.PLACED, target=Status.ACTIVE)
    def offer_fell_through(self):
        """The offered place did not start: the case is back with the team."""

    @transition(field=status, source=list(OPEN_STATUSES), target=Status.CLOSED)
    def close(self, *, outcome: str, at):
        self.outcome = outcome
        self.closed_at = at


class CaseEvent(models.Model):
    """Append-only history of a case; every service writes one."""

    # How the timeline names each kind of event; kinds not listed show their code.
    KIND_LABELS = {
        "signalled": _("Signalled"),
        "signal_received": _("Another signal received"),
        "team_review": _("Team review"),
        "escalated": _("Escalated"),
        "placed": _("Placed"),
        "closed": _("Closed"),
        "ect_advice_drafted": _("ECT advice drafted"),
        "ect_advice_approved": _("ECT advice approved"),
        "ect_advice_rejected": _("ECT advice rejected"),
        "vrijstelling_requested": _("Exemption advice requested"),
        "vrijstelling_advised": _("Exemption advice given"),
        "vrijstelling_decided": _("Exemption decided"),
        "registration_changed": _("Registration changed"),
        "participation_changed": _("Taking part changed"),
        "offer_recorded": _("Offer with a start date recorded"),
        "offer_started": _("Place started"),
        "offer_failed": _("Place did not start"),
        "exemption_ended": _("Exemption ended"),
        "leerplicht_ended": _("End of compulsory education (18 or startkwalificatie)"),
        "startkwalificatie_recorded": _("Startkwalificatie recorded"),
        "case_reviewed": _("Case reviewed"),
        "ect_consult_started": _("ECT consult started by a clock"),
        "doorbraak_decided": _("Doorbraak decided"),
        "doe_advised": _("DOE-team advised"),
        "director_decided": _("SWV director decided"),
        "mentor_assigned": _("JIM mentor recorded"),
        "arrangement_set_up": _("Arrangement set up"),
        "arrangement_evaluated": _("Arrangement evaluated"),
        "access_link_created": _("Personal link sent"),
        "consent_given": _("Consent given"),
        "consent_withdrawn": _("Consent withdrawn"),
        "note_added": _("Note added"),
        "note_edited": _("Note edited"),
        "note_corrected": _("Correction note added"),
        "document_uploaded": _("Document added"),
        "document_withdrawn": _("Document removed by its uploader"),
        "task_assigned": _("Task assigned"),
        "task_released": _("Task released to the queue"),
    }

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", verbose_name=_("case"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("actor")
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    kind = models.CharField(_("kind"), max_length=40)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        indexes = [
            models.Index(fields=["case", "at"], name="caseevent_case_at"),
            models.Index(fields=["kind", "at"], name="caseevent_kind_at"),
            # The monitor reads each case's dated facts (registration, taking part) on a peildatum.
            models.Index(fields=["case", "kind"], name="caseevent_dated_facts",
                         condition=Q(kind__in=["registration_changed", "participation_changed"])),
        ]

    def __str__(self):
        return f"{self.kind} @ {self.at:%Y-%m-%d %H:%M}"

    CLOCK_LABELS = {
        "deadline_warning": _("%(clock)s: warning"),
        "deadline_breached": _("%(clock)s: breached"),
        "deadline_met": _("%(clock)s: met"),
        "deadline_stopped": _("%(clock)s: stopped"),
    }

    @property
    def label(self) -> str:
        if self.kind in self.CLOCK_LABELS:
            clock = Deadline.Kind(self.data.get("deadline_kind")).label
            return str(self.CLOCK_LABELS[self.kind]) % {"clock": clock}
        return str(self.KIND_LABELS.get(self.kind, self.kind))

    # Events that carry a free-text reason or note (shown in the timeline, removed at retention).
    DISTRIBUTION_KINDS = ("task_assigned", "task_released")
    REASON_KINDS = (*DISTRIBUTION_KINDS, "registration_changed", "participation_changed", "offer_failed",
                    "exemption_ended", "case_reviewed")

    @property
    def detail(self) -> str:
        """What the timeline shows under the label: the reason or note that came with the event."""
        if self.kind not in self.REASON_KINDS:
            return ""
        return self.data.get("reason", "") or self.data.get("note", "")

    @classmethod
    def record(cls, case: Case, actor, kind: str, *, at=None, **data) -> "CaseEvent":
        return cls.objects.create(case=case, actor=actor, kind=kind, at=at or timezone.now(), data=data)


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


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove a row of an append-only log."""


class AppendOnlyQuerySet(models.QuerySet):
    """A queryset with no path to change or remove rows (insert only)."""

    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} is append-only")

    def delete(self):
        raise AppendOnlyError(f"{self.model.__name__} is append-only")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError(f"{self.model.__name__} is append-only")

    def update_or_create(self, *args, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} is append-only")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} is append-only")


class AccessLog(AppendOnlyModel):
    """Who read which case (or which public signal, before it is a case), when, how and from
    where. Append-only: no update or delete path."""

    class Action(models.TextChoices):
        VIEW = "view", _("viewed")
        API_VIEW = "api_view", _("viewed through the API")
        SIGNAL = "signal", _("signalled")
        MENTOR_VIEW = "mentor_view", _("viewed as JIM mentor")
        LINK_VIEW = "link_view", _("viewed through a personal link")
        DOWNLOAD = "download", _("downloaded a document")
        SIGNAL_VIEW = "signal_view", _("viewed a signal to verify")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+", verbose_name=_("user"))
    access_link = models.ForeignKey("AccessLink", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name=_("personal link"), help_text=_("For views through a personal link."))
    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("case"))
    public_signal = models.ForeignKey("PublicSignal", on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+", verbose_name=_("public signal"),
                                      help_text=_("For reads of a signal from a parent or young person before "
                                                  "it is a case."))
    at = models.DateTimeField(_("at"), default=timezone.now, editable=False)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    path = models.CharField(_("path"), max_length=500, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        indexes = [
            models.Index(fields=["case", "at"], name="accesslog_case_at"),
            models.Index(fields=["user", "at"], name="accesslog_user_at"),
        ]
        constraints = [models.CheckConstraint(
            name="accesslog_case_or_signal",
            condition=Q(case__isnull=False) | Q(public_signal__isnull=False))]

    def __str__(self):
        return f"{self.user_id} {self.action} {self.case_id} @ {self.at:%Y-%m-%d %H:%M}"



# --- What the team and its partners decide about a case (written by services only) ------------


class Route(models.TextChoices):
    """The routes a team can choose after reviewing a case; they run in parallel."""

    ECT_CONSULT = "ect_consult", _("ECT consult")
    VRIJSTELLING_ADVIES = "vrijstelling_advies", _("Exemption advice (vrijstelling 5a)")
    DOORBRAAK = "doorbraak", _("Escalation for a place (doorbraak)")
    JIM = "jim", _("JIM mentor")
    ARRANGEMENT = "arrangement", _("Education-and-care arrangement")


class Plan(models.Model):
    """A team review: the plan of action (plan van aanpak) and the routes chosen."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="plans", verbose_name=_("case"))
    text = models.TextField(_("plan of action"))
    routes = models.JSONField(_("routes"), default=list, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Case.Outcome.choices, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        verbose_name = _("plan of action")
        verbose_name_plural = _("plans of action")

    def __str__(self):
        return f"{_('plan of action')} {self.case_id} @ {self.recorded_at:%Y-%m-%d}"

    @property
    def route_labels(self) -> list[str]:
        return [str(Route(route).label) for route in self.routes]


class RouteRun(models.Model):
    """One run of a route, from the review that chose it until its branch ends."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="route_runs", verbose_name=_("case"))
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, null=True, blank=True, related_name="route_runs",
                             help_text=_("The review that chose the route; empty when a clock started it."))
    route = models.CharField(_("route"), max_length=20, choices=Route.choices)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        ordering = ["started_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "route"], condition=Q(ended_at__isnull=True), name="one_running_route_of_a_kind"
            )
        ]

    def __str__(self):
        return f"{self.route} ({self.case_id})"


class EctAdvice(models.Model):
    """An ECT consultant's advice; a second consultant approves it (four eyes)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting approval")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="ect_advices", verbose_name=_("case"))
    question = models.TextField(_("question"))
    advice = models.TextField(_("advice"))
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("reason for rejection"), blank=True)

    class Meta:
        ordering = ["-drafted_at", "-pk"]
        verbose_name = _("ECT advice")
        verbose_name_plural = _("ECT advices")

    def __str__(self):
        return f"{_('ECT advice')} {self.case_id} ({self.status})"


class Vrijstelling(models.Model):
    """Leerplicht's request for an exemption (art. 5 onder a), the SWV's advice, the decision."""

    class Grounds(models.TextChoices):
        ART_5A = "5a", _("Article 5 under a (not fit for school, physical or psychological grounds)")
        ART_5B = "5b", _("Article 5 under b (objection to the denomination of every school in reach)")
        ART_5C = "5c", _("Article 5 under c (enrolled at a school abroad)")
        ART_15 = "15", _("Article 15 (other education instead of regular attendance)")

    class Advice(models.TextChoices):
        POSITIEF = "positief", _("in favour")
        NEGATIEF = "negatief", _("against")
        VOORWAARDELIJK = "voorwaardelijk", _("in favour, with conditions")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="vrijstellingen", verbose_name=_("case"))
    grounds = models.CharField(_("grounds"), max_length=4, choices=Grounds.choices)
    motivation = models.TextField(_("motivation of the request"))
    medical_statement = models.BooleanField(_("a doctor's statement is on file"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    advice = models.CharField(_("advice"), max_length=15, choices=Advice.choices, blank=True)
    advice_motivation = models.TextField(_("motivation of the advice"), blank=True)
    alternatives = models.TextField(_("alternatives"), blank=True)
    advised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    advised_at = models.DateTimeField(null=True, blank=True)
    granted = models.BooleanField(_("granted"), null=True)
    until = models.DateField(_("exempted until"), null=True, blank=True)
    starts_on = models.DateField(_("exempted from"), null=True, blank=True)
    ended_on = models.DateField(_("ended early on"), null=True, blank=True,
                                help_text=_("The last day the exemption held, when it ended before `until`."))
    end_reason = models.TextField(_("reason the exemption ended"), blank=True)
    decision_motivation = models.TextField(_("motivation of the decision"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("exemption (vrijstelling)")
        verbose_name_plural = _("exemptions (vrijstellingen)")

    def __str__(self):
        return f"{_('exemption')} {self.case_id}"


class PlacementDecision(models.Model):
    """The escalation ladder's answers: MPL doorbraak (VO), DOE advice and director decision (PO)."""

    class Decision(models.TextChoices):
        PLAATSING = "plaatsing", _("placement")
        GEEN_OVEREENSTEMMING = "geen_overeenstemming", _("no agreement: to the SWV director")

    class Kind(models.TextChoices):
        DOORBRAAK = "doorbraak", _("doorbraak decision of the MPL commission")
        DOE_ADVICE = "doe_advice", _("placement advice of the DOE-team")
        DIRECTOR = "director", _("decision of the SWV director")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="placements", verbose_name=_("case"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices,
                                default=Decision.PLAATSING)
    school_board = models.ForeignKey("teams.SchoolBoard", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("school board with the duty of care"))
    school = models.ForeignKey(School, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("school"))
    start_date = models.DateField(_("placement starts"), null=True, blank=True)
    preference_followed = models.BooleanField(_("the pupil's first preference is followed"), null=True)
    advice = models.TextField(_("advice"), blank=True)
    motivation = models.TextField(_("motivation"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-pk"]
        verbose_name = _("placement decision")
        verbose_name_plural = _("placement decisions")

    def __str__(self):
        return f"{self.get_kind_display()} ({self.case_id})"


class Mentor(models.Model):
    """The JIM mentor the young person chose; sees only what the young person agreed to share."""

    class Share(models.TextChoices):
        PLAN = "plan", _("the plan of action")
        ADVICE = "advice", _("the advice")
        DECISIONS = "decisions", _("the decisions")
        NOTES = "notes", _("the notes the team marks for the mentor")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="mentors", verbose_name=_("case"))
    name = models.CharField(_("mentor's name"), max_length=200)
    relation = models.CharField(_("relation to the young person"), max_length=200)
    contact = models.CharField(_("contact (phone or e-mail)"), max_length=200)
    share = models.JSONField(_("shared with the mentor"), default=list, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="mentorships", verbose_name=_("mentor's account"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        verbose_name = _("JIM mentor")
        verbose_name_plural = _("JIM mentors")

    def __str__(self):
        return f"{_('JIM mentor')} ({self.case_id})"

    @property
    def share_labels(self) -> list[str]:
        return [str(self.Share(item).label) for item in self.share]


class Arrangement(models.Model):
    """An onderwijs-zorgarrangement: education plus care, with evaluation moments."""

    class Funding(models.TextChoices):
        GEMEENTE = "gemeente", _("municipality")
        SWV = "swv", _("samenwerkingsverband")
        BEIDE = "beide", _("both")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="arrangements", verbose_name=_("case"))
    education = models.CharField(_("education (school / OPDC)"), max_length=200)
    care_provider = models.CharField(_("care provider"), max_length=200)
    funding = models.CharField(_("funding"), max_length=10, choices=Funding.choices)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    evaluation_weeks = models.PositiveSmallIntegerField(_("evaluate every (weeks)"))
    set_up_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_up_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-set_up_at", "-pk"]
        verbose_name = _("education-and-care arrangement")
        verbose_name_plural = _("education-and-care arrangements")

    def __str__(self):
        return f"{_('arrangement')} ({self.case_id})"


class ArrangementEvaluation(models.Model):
    class Result(models.TextChoices):
        VOORTZETTEN = "voortzetten", _("continue")
        BIJSTELLEN = "bijstellen", _("adjust")
        BEEINDIGEN = "beeindigen", _("end")

    arrangement = models.ForeignKey(Arrangement, on_delete=models.CASCADE, related_name="evaluations")
    result = models.CharField(_("result"), max_length=12, choices=Result.choices)
    notes = models.TextField(_("notes"), blank=True)
    evaluated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    evaluated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["evaluated_at", "pk"]

    def __str__(self):
        return f"{self.get_result_display()} ({self.arrangement_id})"


class Offer(models.Model):
    """An offer of suitable education and/or care with a start date (seed 002 §2: the three-month
    promise is kept on the day the place is there and the child starts). The flow waits for the
    start date, then the case team confirms whether the child started."""

    class Source(models.TextChoices):
        DOORBRAAK = "doorbraak", _("doorbraak decision")
        DIRECTOR = "director", _("decision of the SWV director")
        ARRANGEMENT = "arrangement", _("education-and-care arrangement")

    # An arrangement and a placement decision are offers of different routes that may run side by
    # side; a new offer replaces only a pending one of its own route.
    PLACEMENT_SOURCES = (Source.DOORBRAAK, Source.DIRECTOR)
    ARRANGEMENT_SOURCES = (Source.ARRANGEMENT,)

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for the start")
        STARTED = "started", _("started")
        FAILED = "failed", _("did not start")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="offers", verbose_name=_("case"))
    source = models.CharField(_("offer from"), max_length=12, choices=Source.choices)
    placement = models.ForeignKey(PlacementDecision, on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="offers")
    arrangement = models.ForeignKey(Arrangement, on_delete=models.CASCADE, null=True, blank=True,
                                    related_name="offers")
    start_date = models.DateField(_("starts on"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    started_on = models.DateField(_("started on"), null=True, blank=True)
    reason = models.TextField(_("why it did not start"), blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        verbose_name = _("offer with a place")
        verbose_name_plural = _("offers with a place")

    def __str__(self):
        return f"{self.get_source_display()} ({self.case_id}, {self.start_date})"


class Deadline(models.Model):
    """One clock of a case. Rules live in `casework.deadlines`; the sweeper acts on the rows
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


# --- Privacy: reading the access log, retention, the data-breach register ----------------------


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


class AccessLink(models.Model):
    """A personal link through which a parent or a young person (12+) follows their case without
    an account: status in plain language, what the team chose to share, the next step, the
    contact person, and consent. The token is shown once; only its hash is stored."""

    class Audience(models.TextChoices):
        OUDER = "ouder", _("parent")
        JONGERE = "jongere", _("young person")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="access_links", verbose_name=_("case"))
    audience = models.CharField(_("for"), max_length=8, choices=Audience.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    message = models.TextField(_("what the team shares, in plain words"))
    next_step = models.CharField(_("next step"), max_length=300)
    contact = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("contact person"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("valid until"))
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("access link")
        verbose_name_plural = _("access links")

    def __str__(self):
        return f"{self.get_audience_display()} ({self.case_id})"


class Consent(models.Model):
    """The current consent of the parent or young person on one subject (history: CaseEvents)."""

    class Subject(models.TextChoices):
        JIM = "jim", _("the JIM mentor sees what is shared with them")
        CARE_PROVIDER = "care_provider", _("information is shared with the care provider")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="consents")
    subject = models.CharField(max_length=15, choices=Subject.choices)
    given = models.BooleanField(default=False)
    by = models.CharField(max_length=8, choices=AccessLink.Audience.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "subject"], name="one_consent_per_subject")]

    def __str__(self):
        return f"{self.subject}={self.given} ({self.case_id})"


class PublicSignal(models.Model):
    """A signal from a parent or a young person through the public form. It becomes a case only
    after the region's Leerplicht team has verified it (a task in their queue)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("to verify")
        VERIFIED = "verified", _("verified: a case")
        REJECTED = "rejected", _("rejected")

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="public_signals")
    reporter_role = models.CharField(_("reported by"), max_length=8, choices=AccessLink.Audience.choices)
    given_name = models.CharField(_("given name"), max_length=100)
    family_name = models.CharField(_("family name"), max_length=150)
    birth_date = models.DateField(_("birth date"))
    school = models.ForeignKey(School, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    absent_since = models.DateField(_("out of school since"))
    description = models.TextField(_("what is happening"))
    reporter_name = models.CharField(_("your name"), max_length=150)
    reporter_contact = models.CharField(_("phone or e-mail"), max_length=200)
    received_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    case = models.ForeignKey(Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("public signal")
        verbose_name_plural = _("public signals")

    def __str__(self):
        return f"{_('public signal')} {self.pk}"


def document_storage():
    """Where case documents live: the `documents` storage (file system in `make run`, an
    S3-compatible store in production; never a public URL)."""
    from django.core.files.storage import storages

    return storages["documents"]


def document_path(document, filename: str) -> str:
    """A random name per upload under the case's folder: the original name is kept in the row only."""
    import uuid

    return f"cases/{document.case_id}/{uuid.uuid4().hex}"


class Note(models.Model):
    """A short text on a case by one of its participants. Editable by its author for a short
    window (CASEWORK_NOTE_EDIT_MINUTES); after that only a correction note can follow it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes", verbose_name=_("case"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("author"))
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    corrects = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections",
                                 verbose_name=_("corrects note"))
    shared_with_mentor = models.BooleanField(
        _("share with the JIM mentor"), default=False,
        help_text=_("Only when the young person agreed to share notes with their JIM mentor."))
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+",
                                      verbose_name=_("mentioned"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        indexes = [models.Index(fields=["case", "created_at"], name="note_case_created")]

    def __str__(self):
        return f"{_('note')} {self.pk}"


class Document(models.Model):
    """A file on a case (plan van aanpak, school report, advice). Stored under a random name in
    the `documents` storage; read only through the download view, which checks access and logs."""

    class Kind(models.TextChoices):
        PLAN = "plan", _("plan of action")
        SCHOOL_REPORT = "school_report", _("school report")
        ADVICE = "advice", _("advice")
        DECISION = "decision", _("decision")
        CORRESPONDENCE = "correspondence", _("correspondence")
        OTHER = "other", _("other")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents", verbose_name=_("case"))
    kind = models.CharField(_("kind of document"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    file = models.FileField(_("file"), storage=document_storage, upload_to=document_path, max_length=200)
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64, editable=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self):
        return f"{_('document')} {self.pk}"
