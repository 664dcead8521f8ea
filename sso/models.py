"""The identity providers (one per organisation, several at once) and the accounts they linked.

The rules that decide a sign-in live here, next to the data they read: which e-mail domains a
provider may vouch for, whether its answer counts as a second factor (`amr`/`acr`), and where its
client secret comes from."""

import os
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

ENV_NAME = RegexValidator(r"^[A-Z][A-Z0-9_]*$", _("An environment variable name: capitals, digits and _."))


def _words(value: str) -> set[str]:
    return {word for word in re.split(r"[\s,]+", value or "") if word}


class IdentityProviderQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class IdentityProvider(models.Model):
    """An organisation's OpenID Connect provider: its users sign in with "Inloggen via <organisation>".

    The client secret is never stored in the database: the provider names the environment variable
    that holds it (`client_secret_env`), so that it stays out of backups, fixtures and the admin,
    and is rotated the way the deployment rotates its other secrets."""

    slug = models.SlugField(_("short name in the address"), max_length=50, unique=True,
                            help_text=_("Used in /sso/<short name>/login and /sso/<short name>/callback."))
    organisation_name = models.CharField(_("organisation"), max_length=200,
                                         help_text=_('Shown on the login page as "Log in via <organisation>".'))
    region = models.ForeignKey("teams.Region", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="identity_providers", verbose_name=_("region"))
    team = models.ForeignKey("teams.Team", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="identity_providers", verbose_name=_("team"))
    issuer = models.URLField(_("issuer"), max_length=500,
                             help_text=_("The provider's issuer; its endpoints are read from "
                                         "<issuer>/.well-known/openid-configuration unless given below."))
    client_id = models.CharField(_("client id"), max_length=255)
    client_secret_env = models.CharField(
        _("environment variable with the client secret"), max_length=100, validators=[ENV_NAME],
        help_text=_("The name of the environment variable that holds the secret (e.g. "
                    "CASEWORK_SSO_GEMEENTE_SECRET); the secret itself is never stored or shown."))
    scopes = models.CharField(_("scopes"), max_length=255, default="openid email")
    email_claim = models.CharField(_("claim with the e-mail address"), max_length=100, default="email")
    require_email_verified = models.BooleanField(
        _("require email_verified"), default=True,
        help_text=_("Link only when the provider says the e-mail address is verified (email_verified: true)."))
    email_domains = models.CharField(
        _("e-mail domains"), max_length=500, blank=True,
        help_text=_("Comma-separated domains this provider may vouch for (e.g. gemeente.example); "
                    "empty: any. Keeps one organisation's provider from signing in another's staff."))
    trust_mfa = models.BooleanField(
        _("trust the provider's second factor"), default=False,
        help_text=_("When the provider asserts a second factor (amr/acr below), casework does not ask "
                    "for its own; otherwise it always does."))
    mfa_amr_values = models.CharField(_("amr values that count as a second factor"), max_length=255,
                                      default="mfa", blank=True)
    mfa_acr_values = models.CharField(_("acr values that count as a second factor"), max_length=500,
                                      blank=True)
    authorization_endpoint = models.URLField(_("authorization endpoint"), max_length=500, blank=True)
    token_endpoint = models.URLField(_("token endpoint"), max_length=500, blank=True)
    userinfo_endpoint = models.URLField(_("userinfo endpoint"), max_length=500, blank=True)
    jwks_uri = models.URLField(_("JWKS address"), max_length=500, blank=True)
    end_session_endpoint = models.URLField(
        _("end-session endpoint"), max_length=500, blank=True,
        help_text=_("RP-initiated logout; empty: from discovery, when the provider offers it."))
    active = models.BooleanField(_("active"), default=True)

    objects = IdentityProviderQuerySet.as_manager()

    class Meta:
        ordering = ["organisation_name"]
        verbose_name = _("identity provider")
        verbose_name_plural = _("identity providers")

    def __str__(self):
        return self.organisation_name

    def clean(self):
        if not self.region_id and not self.team_id:
            raise ValidationError(_("Choose the region or the team whose organisation this provider is."))
        if "openid" not in self.scope_list():
            raise ValidationError({"scopes": _("The scopes must include openid.")})

    def scope_list(self) -> list[str]:
        return sorted(_words(self.scopes), key=lambda scope: scope != "openid")

    @property
    def client_secret(self) -> str:
        return os.environ.get(self.client_secret_env, "")

    @property
    def secret_configured(self) -> bool:
        return bool(self.client_secret)

    def email_allowed(self, email: str) -> bool:
        domains = {domain.lower().lstrip("@") for domain in _words(self.email_domains)}
        return not domains or email.rsplit("@", 1)[-1].lower() in domains

    def asserts_second_factor(self, claims: dict) -> bool:
        """The ID token says the user passed a second factor at the provider, in a way this
        provider is trusted for: one of its MFA `amr` values, or one of its MFA `acr` values."""
        if not self.trust_mfa:
            return False
        amr = claims.get("amr") or []
        if isinstance(amr, str):
            amr = [amr]
        acr = claims.get("acr")
        return bool(set(map(str, amr)) & _words(self.mfa_amr_values)) or (
            isinstance(acr, str) and acr in _words(self.mfa_acr_values))


class ProviderLink(models.Model):
    """A provider's account (its stable `sub`) linked to a casework user at the first sign-in by a
    verified e-mail; later sign-ins follow the link. Deleting the link unlinks the account."""

    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="links",
                                 verbose_name=_("identity provider"))
    subject = models.CharField(_("subject (sub)"), max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_links",
                             verbose_name=_("user"))
    linked_at = models.DateTimeField(_("linked at"), auto_now_add=True)
    last_sign_in = models.DateTimeField(_("last sign-in"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="sso_link_one_subject"),
            models.UniqueConstraint(fields=["provider", "user"], name="sso_link_one_per_user"),
        ]
        verbose_name = _("linked account")
        verbose_name_plural = _("linked accounts")

    def __str__(self):
        return f"{self.provider} · {self.user}"
