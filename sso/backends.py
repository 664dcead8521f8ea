"""mozilla-django-oidc's backend, for the provider of this request instead of the one in settings.

The backend takes the authorization code to the provider's token endpoint (with the PKCE verifier),
verifies the ID token (RS256 signature by a key from the provider's JWKS, issuer, audience,
authorized party, expiry, issued-at, nonce), and finds the casework user: the account linked to the
provider's `sub`, or at a first sign-in an existing active user with the verified e-mail address.
It never creates a user. Anything else is a `Refused` with a reason the login page explains."""

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from sso.discovery import ProviderUnavailable, endpoints
from sso.models import IdentityProvider, ProviderLink

ALGORITHMS = ["RS256"]


class Refused(Exception):
    """A sign-in through a provider that does not go through; `reason` is one of REASONS."""

    REASONS = ("cancelled", "state", "unavailable", "invalid_token", "no_email", "email_unverified",
               "email_domain", "unknown_email", "ambiguous", "relinked")

    def __init__(self, reason: str, detail: str = ""):
        if reason not in self.REASONS:
            raise ValueError(reason)
        super().__init__(reason, detail)
        self.reason, self.detail = reason, detail


def _truthy(value) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


class ProviderBackend(OIDCAuthenticationBackend):
    """Authenticates only when called with a `provider` (the callback view does); a username and
    password never reach it. In AUTHENTICATION_BACKENDS so that the session finds its user."""

    def __init__(self, *args, **kwargs):
        # Not the parent's: it reads one provider's endpoints and client from settings.
        self.UserModel = get_user_model()
        self.provider = None
        self.claims: dict = {}
        self.id_token = ""

    def authenticate(self, request, provider: IdentityProvider | None = None, nonce: str | None = None,
                     code_verifier: str | None = None, **kwargs):
        if provider is None or request is None:
            return None
        self.request, self.provider = request, provider
        try:
            found = endpoints(provider)
        except ProviderUnavailable as exc:
            raise Refused("unavailable", str(exc)) from exc
        self.OIDC_OP_TOKEN_ENDPOINT, self.OIDC_OP_USER_ENDPOINT = found.token, found.userinfo
        self.OIDC_OP_JWKS_ENDPOINT = found.jwks
        self.OIDC_RP_CLIENT_ID, self.OIDC_RP_CLIENT_SECRET = provider.client_id, provider.client_secret
        self.OIDC_RP_SIGN_ALGO, self.OIDC_RP_IDP_SIGN_KEY = "RS256", None
        code = request.GET.get("code")
        if not code or not nonce or not code_verifier:
            raise Refused("state", "no code, nonce or verifier")
        try:
            token_info = self.get_token({
                "client_id": provider.client_id,
                "client_secret": provider.client_secret,
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": request.build_absolute_uri(reverse("sso:callback", args=[provider.slug])),
                "code_verifier": code_verifier,
            })
        except (requests.RequestException, ValueError) as exc:
            raise Refused("unavailable", f"token request failed: {type(exc).__name__}") from exc
        id_token = token_info.get("id_token")
        if not isinstance(id_token, str):
            raise Refused("invalid_token", "no id_token")
        self.claims = self.verify_token(id_token, nonce=nonce)
        self.id_token = id_token
        claims = {**self.get_userinfo(token_info.get("access_token"), id_token, self.claims), **self.claims}
        return self.get_or_create_user(token_info.get("access_token"), id_token, claims)

    def retrieve_matching_jwk(self, token):
        try:
            return super().retrieve_matching_jwk(token)
        except SuspiciousOperation as exc:
            raise Refused("invalid_token", "no matching key in the JWKS") from exc
        except (requests.RequestException, ValueError, KeyError, jwt.PyJWKError) as exc:
            raise Refused("unavailable", f"JWKS: {type(exc).__name__}") from exc

    def verify_token(self, token, **kwargs):
        """Signature, issuer, audience, expiry, issued-at and nonce; never an unsigned token."""
        nonce = kwargs.get("nonce")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise Refused("invalid_token", "unreadable header") from exc
        if header.get("alg") not in ALGORITHMS:
            raise Refused("invalid_token", f"algorithm {header.get('alg')!r}")
        key = self.retrieve_matching_jwk(token)
        try:
            payload = jwt.decode(
                token, key, algorithms=ALGORITHMS, audience=self.provider.client_id,
                issuer=self.provider.issuer, leeway=settings.SSO_CLOCK_SKEW_SECONDS,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
        except jwt.InvalidTokenError as exc:
            raise Refused("invalid_token", type(exc).__name__) from exc
        if not nonce or payload.get("nonce") != nonce:
            raise Refused("invalid_token", "nonce")
        audience = payload["aud"]
        if isinstance(audience, list) and len(audience) > 1 and payload.get("azp") != self.provider.client_id:
            raise Refused("invalid_token", "azp")
        return payload

    def get_userinfo(self, access_token, id_token, payload):
        """The userinfo endpoint's claims (JSON), for the same subject; the ID token's alone when
        the provider has no userinfo endpoint."""
        if not self.OIDC_OP_USER_ENDPOINT or not access_token:
            return {}
        try:
            response = requests.get(self.OIDC_OP_USER_ENDPOINT, headers={"Authorization": f"Bearer {access_token}"},
                                    timeout=settings.OIDC_TIMEOUT)
            response.raise_for_status()
            userinfo = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise Refused("unavailable", f"userinfo: {type(exc).__name__}") from exc
        if not isinstance(userinfo, dict) or userinfo.get("sub") != payload["sub"]:
            raise Refused("invalid_token", "userinfo for another subject")
        # Only what the ID token does not say: amr/acr and the identity come from the signed token.
        return {name: value for name, value in userinfo.items() if name not in {"amr", "acr", "sub", "iss", "aud"}}

    def get_or_create_user(self, access_token, id_token, claims):
        """The linked user, or at a first sign-in the one active user with the verified e-mail
        address (then linked). Never creates a user: memberships are granted by a coordinator."""
        provider, subject = self.provider, str(claims["sub"])
        link = ProviderLink.objects.filter(provider=provider, subject=subject).select_related("user").first()
        if link is not None:
            if not link.user.is_active:
                raise Refused("unknown_email", "linked user is inactive")
            ProviderLink.objects.filter(pk=link.pk).update(last_sign_in=timezone.now())
            return link.user
        email = claims.get(provider.email_claim)
        if not isinstance(email, str) or "@" not in email:
            raise Refused("no_email", f"no {provider.email_claim} claim")
        if provider.require_email_verified and not _truthy(claims.get("email_verified")):
            raise Refused("email_unverified", email)
        if not provider.email_allowed(email):
            raise Refused("email_domain", email)
        users = list(self.UserModel.objects.filter(email__iexact=email, is_active=True)[:2])
        if not users:
            raise Refused("unknown_email", email)
        if len(users) > 1:
            raise Refused("ambiguous", email)
        user = users[0]
        try:
            with transaction.atomic():
                ProviderLink.objects.create(provider=provider, subject=subject, user=user,
                                            last_sign_in=timezone.now())
        except IntegrityError as exc:
            # A parallel first sign-in of the same account linked it a moment ago: follow that link.
            if ProviderLink.objects.filter(provider=provider, subject=subject, user=user).exists():
                return user
            raise Refused("relinked", email) from exc  # linked to another account of this provider
        return user

    def filter_users_by_claims(self, claims):
        return self.UserModel.objects.none()  # see get_or_create_user: never the parent's e-mail match

    def create_user(self, claims):
        raise Refused("unknown_email", "never creates users")
