"""The token endpoint's rules for connected systems (django-oauth-toolkit's validator, specialised).

Client authentication follows the NL GOV Assurance profile for OAuth 2.0 for the client credentials
grant:

- `private_key_jwt` (RFC 7523 §2.2): the client sends a JWT it signed with its private key as
  `client_assertion` (type `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`). We check the
  signature against the system's registered public key or JWKS URL (PyJWT), `iss` and `sub` equal
  to the client id, `aud` the token endpoint's URL (as reached, or under CASEWORK_BASE_URL), an `exp` at most five minutes ahead, and a
  `jti` never seen before (kept until the assertion expires).
- `client_secret_basic` (RFC 6749 §2.3.1), per system, as a documented deviation: the secret in
  HTTP Basic. During a rotation the previous secret is accepted until its overlap ends.
- The secret in the request body (`client_secret_post`) is refused: the profile does not allow it.

Only the scopes registered for the system can be asked for; without `scope` it gets all of them.
"""

import base64
import binascii
import json
import logging
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from urllib.parse import unquote_plus, urlsplit

import jwt
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from oauth2_provider.oauth2_backends import OAuthLibCore
from oauth2_provider.oauth2_validators import OAuth2Validator

from systems import scopes as scope_vocabulary
from systems.models import ConnectedSystem, UsedAssertion

log = logging.getLogger(__name__)

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
MAX_ASSERTION_LIFETIME = timedelta(minutes=5)
LEEWAY_SECONDS = 30


class AssertionRefused(Exception):
    """Why a client assertion was not accepted (logged, never told to the client)."""


@lru_cache(maxsize=64)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    # One client per URL for the process: it caches the keys it fetched (and fetches again for an
    # unknown key id, so a system can roll its keys).
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=10)


def signing_key(system: ConnectedSystem, assertion: str):
    """The key that must have signed `assertion`: from the JWKS URL, or the registered key (PEM,
    a JWK, or a JWK set chosen by the assertion's `kid`)."""
    if system.jwks_url:
        return _jwks_client(system.jwks_url).get_signing_key_from_jwt(assertion).key
    text = system.public_key.strip()
    if not text:
        raise AssertionRefused("no key registered")
    if not text.startswith("{"):
        return text  # PEM
    data = json.loads(text)
    if "keys" not in data:
        return jwt.PyJWK.from_dict(data).key
    kid = jwt.get_unverified_header(assertion).get("kid")
    keys = jwt.PyJWKSet.from_dict(data).keys
    chosen = [key for key in keys if kid is None or key.key_id == kid]
    if len(chosen) != 1:
        raise AssertionRefused("no single key matches the assertion's kid")
    return chosen[0].key


def verify_assertion(system: ConnectedSystem, assertion: str, *, audience: list[str]) -> dict:
    """The assertion's claims when it is valid for `system` at the token endpoint `audience`, and
    its `jti` is marked as used; AssertionRefused otherwise."""
    client_id = system.application.client_id
    try:
        claims = jwt.decode(assertion, signing_key(system, assertion), algorithms=ALGORITHMS, audience=audience,
                            issuer=client_id, leeway=LEEWAY_SECONDS,
                            options={"require": ["iss", "sub", "aud", "exp", "jti"]})
    except (jwt.PyJWTError, ValueError, TypeError) as error:
        raise AssertionRefused(f"{type(error).__name__}: {error}") from None
    if claims["sub"] != client_id:
        raise AssertionRefused("sub is not the client id")
    expires = datetime.fromtimestamp(claims["exp"], tz=UTC)
    if expires > timezone.now() + MAX_ASSERTION_LIFETIME + timedelta(seconds=LEEWAY_SECONDS):
        raise AssertionRefused("exp is too far ahead")
    UsedAssertion.objects.filter(expires_at__lt=timezone.now() - timedelta(seconds=LEEWAY_SECONDS)).delete()
    try:
        with transaction.atomic():
            UsedAssertion.objects.create(system=system, jti=str(claims["jti"])[:255],
                                         expires_at=expires + timedelta(seconds=LEEWAY_SECONDS))
    except IntegrityError:
        raise AssertionRefused("jti already used") from None
    return claims


def _token_endpoint(request) -> list[str]:
    """The token endpoint's URL as the client may name it in `aud`: as this request reached us
    (AbsoluteUriCore), or under the installation's public address (CASEWORK_BASE_URL)."""
    here = request.uri.split("?", 1)[0]
    urls = [here]
    if settings.CASEWORK_BASE_URL:
        urls.append(settings.CASEWORK_BASE_URL + urlsplit(here).path)
    return urls


class AbsoluteUriCore(OAuthLibCore):
    """django-oauth-toolkit's bridge to oauthlib, giving the token endpoint the request's absolute
    URL (it passes only the path), which an assertion's `aud` is checked against."""

    def _get_escaped_full_path(self, request):
        return request.build_absolute_uri(super()._get_escaped_full_path(request))


class SystemOAuth2Validator(OAuth2Validator):
    def client_authentication_required(self, request, *args, **kwargs):
        return True

    def authenticate_client(self, request, *args, **kwargs):
        params = request._params  # oauthlib's parsed form (the attributes raise for absent keys)
        if params.get("client_secret"):
            log.info("token request refused: client_secret in the body (client_secret_post)")
            return False
        if params.get("client_assertion") or params.get("client_assertion_type"):
            return self._authenticate_private_key_jwt(request, params)
        return self._authenticate_secret_basic(request)

    def _system(self, client_id: str, request, method: str) -> ConnectedSystem | None:
        application = self._load_application(client_id, request)
        if application is None:
            return None
        system = ConnectedSystem.objects.select_related("account").filter(application=application).first()
        if system is None or not system.account.is_active or system.auth_method != method:
            log.info("token request refused: client %s is no active system using %s", client_id, method)
            return None
        return system

    def _authenticate_private_key_jwt(self, request, params) -> bool:
        assertion = params.get("client_assertion") or ""
        if params.get("client_assertion_type") != JWT_BEARER or not assertion:
            return False
        try:
            client_id = jwt.decode(assertion, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError:
            return False
        if not isinstance(client_id, str) or (params.get("client_id") not in (None, client_id)):
            return False
        system = self._system(client_id, request, ConnectedSystem.AuthMethod.PRIVATE_KEY_JWT)
        if system is None:
            return False
        try:
            verify_assertion(system, assertion, audience=_token_endpoint(request))
        except AssertionRefused as refusal:
            log.info("token request refused: client %s's assertion: %s", client_id, refusal)
            return False
        request.client_id = client_id
        return True

    def _authenticate_secret_basic(self, request) -> bool:
        encoded = self._extract_basic_auth(request)
        if not encoded:
            return False
        try:
            client_id, secret = map(unquote_plus, base64.b64decode(encoded).decode("utf-8").split(":", 1))
        except (TypeError, ValueError, binascii.Error, UnicodeDecodeError):
            return False
        system = self._system(client_id, request, ConnectedSystem.AuthMethod.CLIENT_SECRET_BASIC)
        if system is None:
            return False
        if self._check_secret(secret, request.client.client_secret):
            return True
        overlap = system.previous_secret_until
        if system.previous_secret and overlap is not None and overlap > timezone.now():
            return self._check_secret(secret, system.previous_secret)
        return False

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        try:
            allowed = set(client.system.scope_list)
        except ConnectedSystem.DoesNotExist:
            return False
        return set(scopes) <= allowed and set(scopes) <= scope_vocabulary.SCOPES.keys()

    def get_default_scopes(self, client_id, request, *args, **kwargs):
        return request.client.system.scope_list
