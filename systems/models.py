"""A connected system: the integrator's side of an OAuth 2.0 client (django-oauth-toolkit's
`Application`, which holds the client id, the hashed secret and the grant type), with what casework
needs besides: the organisation it speaks for, the regions (and optionally schools) whose cases it
may see, the scopes it may ask for, how it authenticates at the token endpoint, and the account its
reads and signals are recorded under (in the access log and on the case, by the system's name)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from oauth2_provider.settings import oauth2_settings

from casework.models import Case
from systems import scopes as scope_vocabulary
from teams.models import Region, School

# The parties a system may signal for (a parent or a young person is never a system).
ORGANISATIONS = [(value, label) for value, label in Case.SignallerRole.choices
                 if value in {"school", "leerplicht", "wij", "jgz"}]


class ConnectedSystem(models.Model):
    class AuthMethod(models.TextChoices):
        # NL GOV Assurance profile for OAuth 2.0: clients authenticate with a signed JWT (RFC 7523).
        PRIVATE_KEY_JWT = "private_key_jwt", _("private_key_jwt (signed assertion, the profile's method)")
        # A deviation from that profile, per system, for integrators that cannot sign (docs/integrations.md).
        CLIENT_SECRET_BASIC = "client_secret_basic", _("client_secret_basic (secret, a documented deviation)")

    application = models.OneToOneField(oauth2_settings.APPLICATION_MODEL, on_delete=models.CASCADE,
                                       related_name="system", verbose_name=_("OAuth client"))
    account = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="system",
                                   verbose_name=_("account"), editable=False)
    organisation = models.CharField(_("organisation (signals as)"), max_length=12, choices=ORGANISATIONS)
    organisation_name = models.CharField(_("organisation's name"), max_length=200)
    regions = models.ManyToManyField(Region, related_name="systems", verbose_name=_("regions"))
    schools = models.ManyToManyField(School, related_name="systems", blank=True, verbose_name=_("schools"),
                                     help_text=_("Only these schools' cases (within the regions); none: all."))
    scopes = models.CharField(_("scopes"), max_length=200,
                              help_text=format_lazy(_("Space-separated: {scopes}"),
                                                    scopes=" ".join(scope_vocabulary.SCOPES)))
    auth_method = models.CharField(_("client authentication"), max_length=20, choices=AuthMethod.choices,
                                   default=AuthMethod.PRIVATE_KEY_JWT)
    public_key = models.TextField(_("public key"), blank=True,
                                  help_text=_("PEM, a JWK or a JWK set: the key the system signs its assertions with."))
    jwks_url = models.URLField(_("JWKS URL"), blank=True, help_text=_("Or where the system publishes its keys (https)."))
    # During a secret's rotation the one before it still works until `previous_secret_until`.
    previous_secret = models.CharField(_("previous secret (hashed)"), max_length=255, blank=True, editable=False)
    previous_secret_until = models.DateTimeField(_("previous secret valid until"), null=True, blank=True,
                                                 editable=False)
    contact = models.EmailField(_("technical contact"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("connected system")
        verbose_name_plural = _("connected systems")

    def __str__(self):
        return self.application.name

    @property
    def scope_list(self) -> list[str]:
        return scope_vocabulary.parse(self.scopes)

    def region_ids(self) -> list[int]:
        return list(self.regions.values_list("pk", flat=True))

    def school_ids(self) -> list[int]:
        return list(self.schools.values_list("pk", flat=True))

    def case_filter(self, prefix: str = "") -> Q:
        """The cases this system may see: those of its regions, and of its schools when it has any
        (a case without a school is the region's: only a system without schools sees it)."""
        where = Q(**{f"{prefix}region_id__in": self.region_ids()})
        schools = self.school_ids()
        if schools:
            where &= Q(**{f"{prefix}school_id__in": schools})
        return where


class UsedAssertion(models.Model):
    """A client assertion's `jti`, kept until the assertion expires: the same assertion is never
    accepted twice (RFC 7523 §3, NL GOV Assurance profile: replay protection)."""

    system = models.ForeignKey(ConnectedSystem, on_delete=models.CASCADE, related_name="+")
    jti = models.CharField(max_length=255)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["system", "jti"], name="one_use_per_assertion")]

    def __str__(self):
        return self.jti


class Subscription(models.Model):
    """A connected system's subscription to the case events it may see, pushed as CloudEvents to its
    callback URL (systems.subscriptions, systems.delivery). The filters narrow what the system sees
    (empty: everything it sees): event types, and regions and schools among its own. The secret
    signs every delivery (Standard Webhooks, `whsec_<base64>`); it is kept as given, since signing
    needs it, and shown only in the answer that created it."""

    system = models.ForeignKey(ConnectedSystem, on_delete=models.CASCADE, related_name="subscriptions",
                               verbose_name=_("connected system"))
    callback_url = models.URLField(_("callback URL"), max_length=500)
    event_types = models.JSONField(_("event types"), default=list, blank=True,
                                   help_text=_("CloudEvent types (nl.casework.case.<kind>); none: all."))
    region_ids = models.JSONField(_("regions"), default=list, blank=True, help_text=_("Region ids; none: all."))
    school_ids = models.JSONField(_("schools"), default=list, blank=True, help_text=_("School ids; none: all."))
    secret = models.CharField(_("signing secret"), max_length=120, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("event subscription")
        verbose_name_plural = _("event subscriptions")
        indexes = [models.Index(fields=["system"], name="subscription_active",
                                condition=Q(ended_at__isnull=True))]

    def __str__(self):
        return self.callback_url

    @property
    def active(self) -> bool:
        return self.ended_at is None


class Delivery(models.Model):
    """One case event on its way to one subscription (the transactional outbox: written in the
    transaction that records the event). Delivered in event order per (subscription, case); tried
    until the receiver answers 2xx, always with the same `webhook_id`; a failure waits out its
    back-off and holds the later events of its case, and a day after its first try it is marked
    failed (the later ones go on). Only the HTTP status and the error's class are kept, never what
    the receiver answered."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries",
                                     verbose_name=_("subscription"))
    event = models.ForeignKey("casework.CaseEvent", on_delete=models.CASCADE, related_name="+",
                              verbose_name=_("case event"))
    case_id = models.BigIntegerField(_("case"))
    webhook_id = models.CharField(_("webhook-id"), max_length=64, unique=True, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    first_tried_at = models.DateTimeField(_("first tried at"), null=True, blank=True)
    last_tried_at = models.DateTimeField(_("last tried at"), null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=100, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("event delivery")
        verbose_name_plural = _("event deliveries")
        constraints = [models.UniqueConstraint(fields=["subscription", "event"], name="one_delivery_per_event")]
        indexes = [
            # A stream's head: its pending deliveries in event order.
            models.Index(fields=["subscription", "case_id", "event"], name="delivery_stream",
                         condition=Q(status="pending")),
            models.Index(fields=["next_attempt_at"], name="delivery_due", condition=Q(status="pending")),
            models.Index(fields=["subscription", "status", "event"], name="delivery_listing"),
        ]

    def __str__(self):
        return self.webhook_id
