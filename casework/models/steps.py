"""What the team and its partners decide about a case: the review with its routes, and each
route's records (ECT advice, exemption, placement decisions, JIM mentor, arrangement, offer).

Written by services only.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from teams.models import School

from .cases import Case


class Route(models.TextChoices):
    """The routes a team can choose after reviewing a case; they run in parallel."""

    ECT_CONSULT = "ect_consult", _("ECT consult")
    VRIJSTELLING_ADVIES = "vrijstelling_advies", _("Exemption advice (vrijstelling 5a)")
    DOORBRAAK = "doorbraak", _("Escalation for a place (doorbraak)")
    JIM = "jim", _("JIM mentor")
    ARRANGEMENT = "arrangement", _("Education-and-care arrangement")


class Plan(models.Model):
    """A team review: the plan of action (plan van aanpak) and the routes chosen."""

    class EctQuestionKind(models.TextChoices):
        """What the team asks the ECT (the ECT's caseload by its nature: Jaarkalender & jaarplan SWV VO
        Groningen Stad, KPI 8 "aantal en aard casussen")."""

        PLAATSING = "plaatsing", _("Placement (which school or provision)")
        VRIJSTELLING = "vrijstelling", _("Exemption (vrijstelling)")
        HANDELINGSADVIES = "handelingsadvies", _("Advice on what to do (handelingsadvies)")
        THUISWERKPLAN = "thuiswerkplan", _("A plan for working at home (thuiswerkplan)")
        TERUGKEER = "terugkeer", _("Return to school")
        OVERIG = "overig", _("Other")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="plans", verbose_name=_("case"))
    text = models.TextField(_("plan of action"))
    routes = models.JSONField(_("routes"), default=list, blank=True)
    ect_question = models.TextField(_("question to the ECT"), blank=True)
    # With the ECT consult route: what kind of question (required then, empty otherwise).
    ect_question_kind = models.CharField(_("kind of question to the ECT"), max_length=20,
                                         choices=EctQuestionKind.choices, blank=True)
    pupil_preference = models.TextField(_("the pupil's preference"), blank=True)
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
    # Granted by Leerplicht before the case was signalled, and recorded with the signal. A 5a so
    # recorded waits for the SWV's advice (`granted` null) and is granted from the advice's day.
    recorded_with_signal = models.BooleanField(_("recorded with the signal"), default=False)

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
        STAGNATIE = "stagnatie", _("placement by the MBO institution (stagnatiemeldpunt)")

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
    """An offer of suitable education and/or care with a start date (Thuiszitterspact Groningen, §2: the three-month
    promise is kept on the day the place is there and the child starts). The flow waits for the
    start date, then the case team confirms whether the child started."""

    class Source(models.TextChoices):
        DOORBRAAK = "doorbraak", _("doorbraak decision")
        DIRECTOR = "director", _("decision of the SWV director")
        ARRANGEMENT = "arrangement", _("education-and-care arrangement")
        DOE_ADVICE = "doe_advice", _("advice of the DOE-team")
        STAGNATIE = "stagnatie", _("placement by the MBO institution")

    # An arrangement and a placement decision are offers of different routes that may run side by
    # side; a new offer replaces only a pending one of its own route.
    PLACEMENT_SOURCES = (Source.DOORBRAAK, Source.DIRECTOR, Source.DOE_ADVICE, Source.STAGNATIE)
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
    # The maatwerkvoorziening the place is at, when it is one (a referral: KPI 6).
    provision = models.ForeignKey("Provision", on_delete=models.PROTECT, null=True, blank=True, related_name="offers",
                                  verbose_name=_("provision"))
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


class Thuiswerkplan(models.Model):
    """A plan for a pupil who works at home (thuiswerkplan): from when until when, what the school
    provides, the contact moments and who at school keeps them. The team keeps it; a new plan is
    the review of the one before (which ends the day before the new one starts). The monitor counts
    the thuiszitters with a running plan as a verbijzondering of KPI 1, beside the sick ones
    (Jaarkalender & jaarplan SWV VO Groningen Stad, KPI 1)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="thuiswerkplannen", verbose_name=_("case"))
    starts_on = models.DateField(_("from"))
    until = models.DateField(_("until"), null=True, blank=True)
    provides = models.TextField(_("what the school provides"))
    contact_moments = models.TextField(_("contact moments"))
    school_contact = models.CharField(_("who at school"), max_length=200)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ["-starts_on", "-pk"]
        verbose_name = _("thuiswerkplan")
        verbose_name_plural = _("thuiswerkplannen")

    def __str__(self):
        return f"{_('thuiswerkplan')} {self.case_id} {self.starts_on}..{self.until or ''}"

    def runs_on(self, day) -> bool:
        return self.starts_on <= day and (self.until is None or day <= self.until)


class Provision(models.Model):
    """A maatwerkvoorziening of a region that pupils are referred to (the SWV's reference list, kept
    in the admin): Rebound, TTVO, Maatwerk cluster 3 and 4, the OPDC/Doorstart. KPI 6 counts the
    referrals per provision and the returns to a regular school (Jaarkalender & jaarplan SWV VO
    Groningen Stad, KPI's, 6); `term_months` is the provision's term (the OPDC's two years,
    jaarkalender 1.5), against which the returns are measured."""

    class Kind(models.TextChoices):
        REBOUND = "rebound", _("Rebound")
        TTVO = "ttvo", _("TTVO")
        MAATWERK_CL3 = "maatwerk_cl3", _("Maatwerk cluster 3")
        MAATWERK_CL4 = "maatwerk_cl4", _("Maatwerk cluster 4")
        OPDC_DOORSTART = "opdc_doorstart", _("OPDC / Doorstart")

    region = models.ForeignKey("teams.Region", on_delete=models.PROTECT, related_name="provisions",
                               verbose_name=_("region"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    term_months = models.PositiveSmallIntegerField(_("term in months"), null=True, blank=True,
                                                   help_text=_("The OPDC: 24. Empty: no fixed term."))
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["region", "kind", "name"]
        verbose_name = _("provision (maatwerkvoorziening)")
        verbose_name_plural = _("provisions (maatwerkvoorzieningen)")
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="one_provision_name_per_region")]

    def __str__(self):
        return self.name
