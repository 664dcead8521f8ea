"""What the login page and the logout need from single sign-on (read only)."""

from urllib.parse import urlencode

from django.urls import reverse

from sso.discovery import ProviderUnavailable, endpoints
from sso.models import IdentityProvider

# The session keys of a sign-in through a provider (set by sso.views at sign-in).
PROVIDER_SESSION_KEY = "sso_provider"
ID_TOKEN_SESSION_KEY = "sso_id_token"  # noqa: S105 (a session key, not a secret)
# After the local logout: where the signed-out page sends the browser to end the provider's session.
END_SESSION_SESSION_KEY = "sso_end_session_url"


def login_providers() -> list[IdentityProvider]:
    """The active providers, one "Log in via <organisation>" button each."""
    return list(IdentityProvider.objects.active().only("slug", "organisation_name"))


def end_session(request) -> dict | None:
    """RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) for a session signed in through
    a provider that offers an end_session_endpoint: {"url": the provider's address with
    id_token_hint, client_id and post_logout_redirect_uri (the login page), "organisation": its
    name}. None otherwise. Read it before the local session ends."""
    slug = request.session.get(PROVIDER_SESSION_KEY)
    id_token = request.session.get(ID_TOKEN_SESSION_KEY)
    if not slug or not id_token:
        return None
    provider = IdentityProvider.objects.filter(slug=slug).first()
    if provider is None:
        return None
    try:
        endpoint = endpoints(provider).end_session
    except ProviderUnavailable:
        return None
    if not endpoint:
        return None
    query = urlencode({"id_token_hint": id_token, "client_id": provider.client_id,
                       "post_logout_redirect_uri": request.build_absolute_uri(reverse("login"))})
    return {"url": f"{endpoint}{'&' if '?' in endpoint else '?'}{query}",
            "organisation": provider.organisation_name}
