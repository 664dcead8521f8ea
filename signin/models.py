"""API tokens (django-rest-knox's token model, swapped in by `KNOX_TOKEN_MODEL`): one row per token
a user asked for (one per device or script), stored as a SHA-512 digest, never in plain text.

A token expires `CASEWORK_API_TOKEN_HOURS` after it was issued (never renewed) and ends earlier at
the API's logout, on the account page, and when the user's password changes, their second factor
is reset or their account is deactivated (signin.tokens)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken
from knox.settings import CONSTANTS


class ApiToken(AbstractAuthToken):
    # A number of its own: the account page and the admin name a token without its digest.
    id = models.BigAutoField(primary_key=True)
    digest = models.CharField(_("digest"), max_length=CONSTANTS.DIGEST_LENGTH, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="auth_token_set",
                             verbose_name=_("user"))
    created = models.DateTimeField(_("created"), auto_now_add=True)
    expiry = models.DateTimeField(_("expires"))  # every token expires
    # Written at most once a minute per token (signin.tokens.ApiTokenAuthentication).
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)
    # The User-Agent of the request that asked for it: which program or device the token is for.
    client = models.CharField(_("client"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.user} ({timezone.localtime(self.created):%Y-%m-%d %H:%M})" if self.created else str(self.user)
