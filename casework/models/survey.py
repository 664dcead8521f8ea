"""KPI 9: the satisfaction survey after an ECT consult. An invitation per person asked (its token
shown or mailed once, only its digest stored); an answer stored without any link to the person or
the invitation (no time, a random key): only what the counts need."""

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from teams.models import Region, School, Sector

from .steps import EctAdvice

IMPROVE_MAX_LENGTH = 500


class SurveyAudience(models.TextChoices):
    OUDER = "ouder", _("parent")
    JONGERE = "jongere", _("young person")
    JEUGDHULP = "jeugdhulp", _("youth care")
    SCHOOL = "school", _("school")


class SurveyInvitation(models.Model):
    """One invitation to answer the survey about one ECT consult (its approved advice). Parents and
    young people reach it from their personal link, youth care and the school's contact by e-mail.
    No recipient is stored: once answered, `used_at` says only that someone of the audience did."""

    advice = models.ForeignKey(EctAdvice, on_delete=models.CASCADE, related_name="survey_invitations")
    audience = models.CharField(max_length=10, choices=SurveyAudience.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    school = models.ForeignKey(School, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    sector = models.CharField(max_length=3, choices=Sector.choices)
    school_year = models.CharField(max_length=9, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["school_year", "region"], name="survey_invitation_year")]

    def __str__(self):
        return f"{self.get_audience_display()} ({self.school_year})"


class SurveyResponse(models.Model):
    """One answer: where and when (school year) the consult was, who answered (the audience only),
    and the three answers. No person, case, consult, invitation or time; a random key."""

    class Listened(models.TextChoices):
        JA = "ja", _("yes")
        BEETJE = "beetje", _("a little")
        NEE = "nee", _("no")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    school = models.ForeignKey(School, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    sector = models.CharField(max_length=3, choices=Sector.choices)
    school_year = models.CharField(max_length=9, db_index=True)
    audience = models.CharField(max_length=10, choices=SurveyAudience.choices)
    score = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(10)])
    listened = models.CharField(max_length=6, choices=Listened.choices)
    improve = models.TextField(blank=True, max_length=IMPROVE_MAX_LENGTH)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=10),
                                              name="survey_score_1_to_10")]

    def __str__(self):
        return f"{self.school_year} {self.audience}"
