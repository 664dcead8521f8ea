"""A provider's endpoints: those configured on the provider, the rest from its discovery document
(<issuer>/.well-known/openid-configuration), which is cached for SSO_DISCOVERY_SECONDS."""

from dataclasses import dataclass

import requests
from django.conf import settings
from django.core.cache import cache

from sso.models import IdentityProvider


class ProviderUnavailable(Exception):
    """The provider's discovery document could not be read, or does not fit the provider."""


@dataclass(frozen=True)
class Endpoints:
    authorization: str
    token: str
    userinfo: str
    jwks: str
    end_session: str


def _document(provider: IdentityProvider) -> dict:
    key = f"sso:discovery:{provider.issuer}"
    document = cache.get(key)
    if document is None:
        url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise ProviderUnavailable(f"discovery failed: {type(exc).__name__}") from exc
        # OpenID Connect Discovery 1.0, 4.3: the document's issuer is exactly the configured one.
        if document.get("issuer") != provider.issuer:
            raise ProviderUnavailable("discovery names another issuer")
        cache.set(key, document, settings.SSO_DISCOVERY_SECONDS)
    return document


def endpoints(provider: IdentityProvider) -> Endpoints:
    configured = {
        "authorization": provider.authorization_endpoint, "token": provider.token_endpoint,
        "userinfo": provider.userinfo_endpoint, "jwks": provider.jwks_uri,
        "end_session": provider.end_session_endpoint,
    }
    needed = ("authorization", "token", "jwks")
    if all(configured[name] for name in needed):  # configured by hand: no discovery document needed
        return Endpoints(**configured)
    document = _document(provider)
    names = {"authorization": "authorization_endpoint", "token": "token_endpoint",
             "userinfo": "userinfo_endpoint", "jwks": "jwks_uri", "end_session": "end_session_endpoint"}
    found = {name: configured[name] or document.get(key, "") for name, key in names.items()}
    if not all(found[name] for name in needed):
        raise ProviderUnavailable("discovery lacks an endpoint")
    return Endpoints(**found)
