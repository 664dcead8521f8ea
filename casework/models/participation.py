"""The parent's and the young person's part: personal links, consent, and signals through the
public form."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from teams.models import Region, School

from .cases import Case


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
    """The current consent of one person on one subject: the parent and the young person each hold
    their own (`by`, their link's audience), neither overwrites the other (history: CaseEvents)."""

    class Subject(models.TextChoices):
        JIM = "jim", _("the JIM mentor sees what is shared with them")
        CARE_PROVIDER = "care_provider", _("information is shared with the care provider")
        SURVEY = "survey", _("a short survey after the ECT's help")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="consents")
    subject = models.CharField(max_length=15, choices=Subject.choices)
    given = models.BooleanField(default=False)
    by = models.CharField(_("whose consent"), max_length=8, choices=AccessLink.Audience.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "subject", "by"],
                                               name="one_consent_per_subject_and_person")]

    def __str__(self):
        return f"{self.subject}={self.given} by {self.by} ({self.case_id})"


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
