"""No page without the second factor, and no session beyond its absolute lifetime.

SecondFactorRequiredMiddleware (after AuthenticationMiddleware and OTPMiddleware): a user who
signed in with a password but has not passed the second factor (signin.factors.is_verified) is
sent to verify it (or to enrol one, without a device) for every HTML page, the admin included, and
gets 403 JSON for a session-authenticated API call. The admin's membership pages also ask for a
fresh second factor (signin.reauth). Open: sign-in and sign-out, the factor pages
and their passkey endpoints, static files, the language switch and the health check. A verified
session costs no query here; an unverified one the few EXISTS of requires_second_factor.

SessionLifetimeMiddleware: a session past its end ends here, by the one rule of a session's lifetime
(casework.http.middleware.seconds_to_end, which the websocket obeys too): CASEWORK_SESSION_MAX_HOURS
after the sign-in however active it was, and SESSION_COOKIE_AGE after its last save (the session
store's expiry ends it first; the keep-alive never reaches past either)."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from casework.http.middleware import seconds_to_end
from signin.devices import has_any_device
from signin.factors import is_verified
from signin.reauth import REAUTH_ADMIN_PATHS, needs_reauth, reauth_redirect

OPEN_PREFIXES = ("/static/", "/i18n/", "/signin/", "/favicon.ico", "/health", "/login/", "/logout/",
                 "/session/keep-alive/", "/webauthn/", "/melden/", "/inzage/",
                 "/tevredenheid/")


def is_open(path: str) -> bool:
    """Pages a first-factor-only session may reach: nothing of a child's file. `/melden/` (the public
    signal form), `/inzage/<token>/` (a parent's personal link) and `/tevredenheid/<token>/` (KPI 9's
    survey) are public anyway."""
    return path.startswith(OPEN_PREFIXES)


def is_api(request) -> bool:
    return request.path.startswith("/api/")


class SecondFactorRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not is_open(request.path) and not is_verified(request):
            if is_api(request):
                return JsonResponse({"detail": _("Pass the second factor first (sign in on the website).")},
                                    status=403)
            target = "signin:verify" if has_any_device(user) else "signin:enrol"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        if user.is_authenticated and REAUTH_ADMIN_PATHS.match(request.path) and needs_reauth(request):
            return reauth_redirect(request)
        return self.get_response(request)


class SessionLifetimeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            if seconds_to_end(request.session) <= 0:
                logout(request)  # the login page then says the session expired (marker cookie kept)
                if is_api(request):
                    return JsonResponse({"detail": _("Your session has expired.")}, status=401)
                return redirect(f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
