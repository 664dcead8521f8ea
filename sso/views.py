"""Signing in through an organisation's provider: /sso/<slug>/login sends the browser to the
provider, /sso/<slug>/callback takes its answer (mozilla-django-oidc's views, with the provider
chosen by the address instead of settings), /sso/signed-out hands a signed-out browser on to the
provider's end-session endpoint (RP-initiated logout)."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import auth, messages
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from django.views.generic import View
from mozilla_django_oidc.utils import (
    add_state_and_verifier_and_nonce_to_session,
    generate_code_challenge,
)
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
    get_next_url,
)

from casework.http.cookies import mark_signed_in
from signin.events import log_signin
from signin.factors import second_factor_passed
from sso.backends import ProviderBackend, Refused
from sso.discovery import ProviderUnavailable, endpoints
from sso.models import IdentityProvider
from sso.selectors import END_SESSION_SESSION_KEY, ID_TOKEN_SESSION_KEY, PROVIDER_SESSION_KEY

BACKEND = "sso.backends.ProviderBackend"


def refusal_message(reason: str, organisation: str) -> str:
    """What the login page says when a sign-in through `organisation` did not go through."""
    messages_by_reason = {
        "cancelled": _("Signing in via %(organisation)s was cancelled or refused by %(organisation)s. "
                       "Try again, or log in with your username."),
        "state": _("Signing in via %(organisation)s took too long or was started in another window. "
                   "Please try again."),
        "unavailable": _("%(organisation)s cannot be reached at the moment. Try again later, or log in "
                         "with your username."),
        "invalid_token": _("The answer from %(organisation)s could not be verified, so you have not been "
                           "signed in. Try again; if this keeps happening, contact the administrator."),
        "no_email": _("%(organisation)s did not pass on a verified e-mail address, so casework cannot tell "
                      "which account is yours. Ask the administrator of %(organisation)s."),
        "email_domain": _("You cannot sign in via %(organisation)s with this e-mail address. Choose your own "
                          "organisation's button, or log in with your username."),
        "unknown_email": _("There is no casework account for the e-mail address that %(organisation)s passed "
                           "on. Accounts are not created automatically: ask the coordinator of your team or "
                           "the administrator to give you access."),
        "ambiguous": _("Several casework accounts use the e-mail address that %(organisation)s passed on. "
                       "Ask the administrator to resolve this."),
        "relinked": _("This casework account is already linked to another account at %(organisation)s. "
                      "Ask the administrator to check this."),
    }
    messages_by_reason["email_unverified"] = messages_by_reason["no_email"]
    return messages_by_reason[reason] % {"organisation": organisation}


class ProviderLoginView(OIDCAuthenticationRequestView):
    """Starts the authorization code flow (state, nonce, PKCE S256) at the provider in the address;
    the state remembers which provider it was sent to."""

    def __init__(self, **kwargs):
        View.__init__(self, **kwargs)  # not the parent's: it reads one provider from settings

    def get(self, request, slug):
        provider = get_object_or_404(IdentityProvider.objects.active(), slug=slug)
        if not provider.secret_configured:
            return refuse(request, provider, Refused("unavailable", f"{provider.client_secret_env} is not set"))
        try:
            authorization_endpoint = endpoints(provider).authorization
        except ProviderUnavailable as exc:
            return refuse(request, provider, Refused("unavailable", str(exc)))
        state = get_random_string(settings.OIDC_STATE_SIZE)
        code_verifier = get_random_string(64)
        params = {
            "response_type": "code",
            "scope": " ".join(provider.scope_list()),
            "client_id": provider.client_id,
            "redirect_uri": request.build_absolute_uri(reverse("sso:callback", args=[provider.slug])),
            "state": state,
            "nonce": get_random_string(settings.OIDC_NONCE_SIZE),
            "code_challenge": generate_code_challenge(code_verifier, "S256"),
            "code_challenge_method": "S256",
        }
        add_state_and_verifier_and_nonce_to_session(request, state, params, code_verifier)
        request.session["oidc_states"][state]["provider"] = provider.slug
        request.session["oidc_login_next"] = get_next_url(request, "next")
        request.session.modified = True  # the states are a nested dict
        return redirect(f"{authorization_endpoint}?{urlencode(params)}")


class ProviderCallbackView(OIDCAuthenticationCallbackView):
    """The provider's answer: a code for this browser's state, exchanged and verified by
    ProviderBackend; then the casework session, with the second factor passed when the provider
    asserted one it is trusted for. A refusal is written to the access log and explained on the
    login page."""

    def get(self, request, slug):
        provider = get_object_or_404(IdentityProvider.objects.active(), slug=slug)
        states = request.session.get("oidc_states") or {}
        state = request.GET.get("state", "")
        entry = states.pop(state, None) if state else None  # one use only, also when it fails
        if entry is not None:
            request.session.modified = True
        if request.GET.get("error"):
            return refuse(request, provider, Refused("cancelled", request.GET["error"][:100]))
        if entry is None or entry.get("provider") != provider.slug:
            return refuse(request, provider, Refused("state", "unknown state or another provider's"))
        # RFC 9207: a provider that names itself in the answer must be this one (mix-up attacks).
        if "iss" in request.GET and request.GET["iss"] != provider.issuer:
            return refuse(request, provider, Refused("state", "the answer names another issuer"))
        backend = ProviderBackend()
        try:
            user = backend.authenticate(request, provider=provider, nonce=entry.get("nonce"),
                                        code_verifier=entry.get("code_verifier"))
        except Refused as refusal:
            return refuse(request, provider, refusal)
        next_url = request.session.pop("oidc_login_next", None)
        request.signin_sso = True  # signin.events: this view writes `sso_login`, not `login`
        auth.login(request, user, backend=BACKEND)
        request.session[PROVIDER_SESSION_KEY] = provider.slug
        request.session[ID_TOKEN_SESSION_KEY] = backend.id_token  # the id_token_hint at logout
        provider_mfa = provider.asserts_second_factor(backend.claims)
        if provider_mfa:
            second_factor_passed(request, "idp")
        log_signin(request, "sso_login", user=user,
                   detail=f"{provider.slug}; second factor: {'provider' if provider_mfa else 'asked'}")
        return mark_signed_in(redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL)))


def refuse(request, provider: IdentityProvider, refusal: Refused):
    """Written to the access log, explained on the login page; nobody is signed in."""
    log_signin(request, "sso_refused", detail=f"{provider.slug}: {refusal.reason} {refusal.detail}".strip())
    messages.error(request, refusal_message(refusal.reason, provider.organisation_name))
    return redirect("login")


def signed_out(request):
    """After the local logout of a provider's session: on to the provider to end its session too
    (a script follows the link at once; without script the user clicks it)."""
    handoff = request.session.pop(END_SESSION_SESSION_KEY, None)
    if not handoff:
        return redirect("login")
    return render(request, "sso/signed_out.html", {"end_session_url": handoff["url"],
                                                    "organisation": handoff["organisation"]})
