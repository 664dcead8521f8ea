"""Who works on cases: regions (samenwerkingsverbanden), schools, teams and their members."""

import datetime as dt

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A professional (or, later, a JIM mentor) who signs in to casework."""

    class InboxLanding(models.TextChoices):
        FOCUS = "focus", _("My tasks and what is urgent in my teams")
        MINE = "mine", _("My tasks")
        QUEUE = "queue", _("Team tasks")
        TEAM = "team", _("Team overview")

    class AfterComplete(models.TextChoices):
        CASE = "case", _("the case")
        NEXT = "next", _("the next task in the same list")

    # Personal preferences, remembered across devices: the interface language chosen with the
    # language switch ("" = the default, Dutch), the inbox view to land on, and where to go after
    # completing a task.
    language = models.CharField(_("language"), max_length=8, blank=True, default="")
    inbox_landing = models.CharField(_("inbox landing view"), max_length=10, choices=InboxLanding.choices,
                                     default=InboxLanding.FOCUS)
    after_complete = models.CharField(_("after completing a task, go to"), max_length=10,
                                      choices=AfterComplete.choices, default=AfterComplete.CASE)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.get_full_name() or self.username


class Sector(models.TextChoices):
    PO = "po", _("Primary education (PO)")
    VO = "vo", _("Secondary education (VO)")
    SO = "so", _("Special primary education (SO)")
    VSO = "vso", _("Special secondary education (VSO)")
    MBO = "mbo", _("Vocational education (MBO)")


# Sectors whose schools work their cases in a kindteam; all others in an AOJ-team.
KINDTEAM_SECTORS = frozenset({Sector.PO, Sector.SO})

# The schools a pupil of a sector can be placed at: primary or special primary for a PO/SO pupil,
# secondary or special secondary for a VO/VSO pupil, an MBO institution for an MBO student.
FITTING_SECTORS = {
    Sector.PO: (Sector.PO, Sector.SO), Sector.SO: (Sector.PO, Sector.SO),
    Sector.VO: (Sector.VO, Sector.VSO), Sector.VSO: (Sector.VO, Sector.VSO),
    Sector.MBO: (Sector.MBO,),
}


def fitting_sectors(sector: str) -> tuple[str, ...]:
    return FITTING_SECTORS.get(sector, tuple(Sector.values))


class Region(models.Model):
    """A samenwerkingsverband (SWV): responsible for suitable education in its region."""

    class RegionSector(models.TextChoices):
        PO = "po", _("PO")
        VO = "vo", _("VO")

    name = models.CharField(_("name"), max_length=200, unique=True)
    sector = models.CharField(_("sector"), max_length=2, choices=RegionSector.choices)

    class Meta:
        ordering = ["name"]
        verbose_name = _("region (samenwerkingsverband)")
        verbose_name_plural = _("regions (samenwerkingsverbanden)")

    def __str__(self):
        return self.name


class SchoolBoard(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("school board")
        verbose_name_plural = _("school boards")

    def __str__(self):
        return self.name


class School(models.Model):
    name = models.CharField(_("name"), max_length=200)
    brin = models.CharField(
        _("BRIN code"),
        max_length=6,
        unique=True,
        validators=[RegexValidator(r"^\d{2}[A-Z]{2}(\d{2})?$", _("A BRIN code is 2 digits and 2 capitals, e.g. 12AB."))],
    )
    sector = models.CharField(_("sector"), max_length=3, choices=Sector.choices)
    board = models.ForeignKey(SchoolBoard, on_delete=models.PROTECT, related_name="schools", verbose_name=_("school board"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="schools", verbose_name=_("region"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("school")
        verbose_name_plural = _("schools")

    def __str__(self):
        return self.name

    @property
    def team_kind(self) -> str:
        """The kind of team that works this school's cases."""
        if self.sector == Sector.MBO:
            return Team.Kind.MBO
        return Team.Kind.KINDTEAM if self.sector in KINDTEAM_SECTORS else Team.Kind.AOJ


class Team(models.Model):
    class Kind(models.TextChoices):
        AOJ = "aoj", _("AOJ-team")
        KINDTEAM = "kindteam", _("Kindteam")
        ECT = "ect", _("Expertise- & Consultatieteam (ECT)")
        MPL = "mpl", _("MPL commission")
        DOE = "doe", _("DOE-team")
        LEERPLICHT = "leerplicht", _("Leerplicht")
        WIJ = "wij", _("WIJ-team")
        JGZ = "jgz", _("JGZ / GGD")
        MBO = "mbo", _("MBO institution team")

    # Teams that belong to one school (an MBO institution's own team works its students' cases).
    SCHOOL_KINDS = (Kind.AOJ, Kind.KINDTEAM, Kind.MBO)

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="teams", verbose_name=_("region"))
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, null=True, blank=True, related_name="teams", verbose_name=_("school")
    )
    members = models.ManyToManyField(User, through="Membership", related_name="teams")
    # The team's meeting rhythm (weekly): meeting tasks are due at the next meeting.
    meeting_weekday = models.PositiveSmallIntegerField(
        _("meeting day"), null=True, blank=True, choices=[(0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")),
                                                          (3, _("Thursday")), (4, _("Friday"))])
    meeting_time = models.TimeField(_("meeting time"), null=True, blank=True)
    meeting_minutes = models.PositiveSmallIntegerField(_("meeting length (minutes)"), default=90)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
            models.CheckConstraint(
                name="team_school_iff_school_kind",
                condition=(Q(kind__in=["aoj", "kindteam", "mbo"], school__isnull=False)
                           | (~Q(kind__in=["aoj", "kindteam", "mbo"]) & Q(school__isnull=True))),
            ),
            models.UniqueConstraint(fields=["school", "kind"], name="one_team_of_a_kind_per_school"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.kind in self.SCHOOL_KINDS and not self.school_id:
            raise ValidationError({"school": _("An AOJ-team, kindteam or MBO team belongs to a school.")})
        if self.kind not in self.SCHOOL_KINDS and self.school_id:
            raise ValidationError({"school": _("Only an AOJ-team, kindteam or MBO team belongs to a school.")})


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", _("member")
        COORDINATOR = "coordinator", _("coordinator")
        CONSULTANT = "consultant", _("consultant")
        CHAIR = "chair", _("chair")
        # An MBO institution's team: its stagnatiemeldpunt instroom takes a student's stalled
        # placement, its management the escalation (Thuiszitterspact 2.0 gemeente Groningen:
        # evaluatie 1ste jaar, A.1).
        STAGNATIEMELDPUNT = "stagnatiemeldpunt", _("stagnatiemeldpunt")
        MBO_MANAGEMENT = "mbo_management", _("MBO management")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user"))
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("team"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["user", "team"], name="one_membership_per_team")]

    # Who leads a team: plans its meetings, distributes its work, sees its clocks and numbers.
    LEAD_ROLES = (Role.COORDINATOR, Role.CHAIR)

    def __str__(self):
        return f"{self.user} – {self.team} ({self.get_role_display()})"


class CalendarFeed(models.Model):
    """A member's own address of the team's meeting calendar. Only the token's hash is kept (the
    address is shown once, when made); it ends when the membership ends or a lead renews all."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="calendar_feeds", verbose_name=_("user"))
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="calendar_feeds", verbose_name=_("team"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        constraints = [models.UniqueConstraint(fields=["user", "team"], name="one_calendar_feed_per_member")]

    def __str__(self):
        return f"{self.user} – {self.team}"


@receiver(post_delete, sender=Membership)
def end_calendar_feed(sender, instance, **kwargs):
    """Leaving a team ends that member's calendar feed (however the membership ends)."""
    CalendarFeed.objects.filter(user_id=instance.user_id, team_id=instance.team_id).delete()


def team_ids_of(user) -> list[int]:
    """The ids of the user's teams, as a list (so queries filter on values, not a sub-select)."""
    return list(Membership.objects.filter(user=user).values_list("team_id", flat=True))


class RegionRole(models.Model):
    """A role someone holds for a whole region rather than in a team."""

    class Role(models.TextChoices):
        SWV_DIRECTOR = "swv_director", _("SWV director (doorzettingsmacht)")
        PRIVACY_OFFICER = "privacy_officer", _("privacy officer")
        # PO: decides on a placement as the SWV director does, on the DOE-team's proposal.
        COORDINATOR_DEELVERBAND = "coordinator_deelverband", _("coördinator deelverband")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="region_roles", verbose_name=_("user"))
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="roles", verbose_name=_("region"))
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)

    class Meta:
        verbose_name = _("region role")
        verbose_name_plural = _("region roles")
        constraints = [models.UniqueConstraint(fields=["user", "region", "role"], name="one_region_role")]

    def __str__(self):
        return f"{self.user} – {self.get_role_display()} ({self.region})"


def next_meeting(team: Team, after) -> dt.datetime | None:
    """The start of the team's next weekly meeting after `after`, or None without a rhythm."""
    if team is None or team.meeting_weekday is None or team.meeting_time is None:
        return None
    local = timezone.localtime(after)
    days = (team.meeting_weekday - local.weekday()) % 7
    candidate = timezone.make_aware(dt.datetime.combine(local.date() + dt.timedelta(days=days), team.meeting_time))
    if candidate <= after:
        candidate += dt.timedelta(days=7)
    return candidate


def team_for_school(school: School) -> Team | None:
    """The AOJ-team (VO), kindteam (PO) or MBO institution team that works this school's cases."""
    return Team.objects.filter(school=school, kind=school.team_kind).first()


def leerplicht_team(region: Region) -> Team | None:
    """The region's Leerplicht team, which works the cases of absolute verzuimers."""
    return Team.objects.filter(region=region, kind=Team.Kind.LEERPLICHT).first()
