"""API tokens with a lifecycle (django-rest-knox, the model is signin.models.ApiToken): the only
place that issues, uses and ends them.

- `issue_token`: a new token per sign-in (one per device or script), stored as a digest; it
  expires `CASEWORK_API_TOKEN_HOURS` after it was issued, however much it is used.
- `ApiTokenAuthentication`: knox's `Authorization: Token <token>`, noting when a token was last
  used (at most one write a minute per token); one query per request (the token with its user).
- `end_token` (the API's logout, the account page) and `end_all_tokens` (logout-all, a second-factor
  reset): written in the sign-in log as `logout` with what ended them.
- A password change and a deactivation end every token of the user (the receivers below), whoever
  makes the change and however (the admin, `changepassword`, the shell).
"""

import datetime as dt

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication
from knox.settings import knox_settings
from knox.signals import token_expired
from rest_framework.exceptions import AuthenticationFailed

from signin.events import log_signin
from signin.models import ApiToken
from teams.models import User

LAST_USED_EVERY = dt.timedelta(minutes=1)
CLIENT_LENGTH = ApiToken._meta.get_field("client").max_length


def token_lifetime() -> dt.timedelta:
    """How long a new token lives (REST_KNOX's TOKEN_TTL, from CASEWORK_API_TOKEN_HOURS)."""
    return knox_settings.TOKEN_TTL


def issue_token(user, client: str = "") -> tuple[ApiToken, str]:
    """A new token for `user`, as (row, text): the text is shown once and stored only as a digest.
    `client` names what asked for it (the request's User-Agent). The user's expired tokens go."""
    ApiToken.objects.filter(user=user, expiry__lte=timezone.now()).delete()
    return ApiToken.objects.create(user=user, expiry=token_lifetime(), client=str(client)[:CLIENT_LENGTH])


def live_tokens(user):
    """The user's tokens that still work, newest first."""
    return ApiToken.objects.filter(user=user, expiry__gt=timezone.now()).order_by("-created", "-id")


def end_token(token: ApiToken, request=None, how: str = "") -> None:
    """End one token; from now on it is refused (401)."""
    number, user = token.pk, token.user
    token.delete()
    log_signin(request, "logout", user=user, detail=f"api token {number} ended: {how}")


def end_all_tokens(user, request=None, why: str = "") -> int:
    """End every token of `user` (expired ones included); how many there were. Logged when any."""
    count, _by_model = ApiToken.objects.filter(user=user).delete()
    if count:
        log_signin(request, "logout", user=user, detail=f"{count} api token(s) ended: {why}")
    return count


class ApiTokenAuthentication(TokenAuthentication):
    """knox's token authentication (`Authorization: Token <token>`; an expired token is removed and
    refused), also noting when the token was last used: one UPDATE a minute at most per token. A
    token is hexadecimal: one with other bytes is refused as wrong (knox would fail decoding it)."""

    def authenticate_credentials(self, token: bytes):
        if not token.isascii():
            raise AuthenticationFailed(_("Invalid token."))
        return super().authenticate_credentials(token)

    def _cleanup_token(self, auth_token) -> bool:
        """Whether the token has expired: then it is removed and refused (401), as knox does. knox
        also reads every other token of the user on every request, to remove the expired ones;
        here that is done when the user signs in (`issue_token`), and an expired token is refused
        whether it is still stored or not, so a request costs one query: the token with its user."""
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False

    def validate_user(self, auth_token):
        user, token = super().validate_user(auth_token)
        now = timezone.now()
        if token.last_used is None or now - token.last_used >= LAST_USED_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used=now)
            token.last_used = now
        return user, token


# --- A password change or a deactivation ends every token ------------------------------------

def _why_tokens_end(user, update_fields) -> str:
    """Why saving `user` ends their tokens ("" when it does not): deactivated, or a new password.
    A save that names its fields and names neither costs nothing (the sign-in's `last_login`)."""
    fields = None if update_fields is None else set(update_fields)
    if not user.is_active and (fields is None or "is_active" in fields):
        return "account deactivated"
    if fields is not None and "password" not in fields:
        return ""
    if getattr(user, "_password", None) is not None:  # set_password() since the last save
        return "password changed"
    if fields == {"password"}:  # check_password() storing the same password with a newer hasher
        return ""
    stored = User.objects.filter(pk=user.pk).values_list("password", flat=True).first()
    return "password changed" if stored is not None and stored != user.password else ""


@receiver(pre_save, sender=User, dispatch_uid="signin-tokens-user-changing")
def _user_changing(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or instance.pk is None:
        return
    why = _why_tokens_end(instance, update_fields)
    if why:
        instance._end_api_tokens = why


@receiver(post_save, sender=User, dispatch_uid="signin-tokens-user-changed")
def _user_changed(sender, instance, raw=False, **kwargs):
    why = instance.__dict__.pop("_end_api_tokens", "")
    if why and not raw:
        end_all_tokens(instance, why=why)
