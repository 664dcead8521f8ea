"""The layout's own endpoints: signing in and out (with the marker that tells an expired session from
a first visit), keeping the session alive from the page, and the favicon."""

import datetime as dt

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import RedirectView

from casework.http.cookies import mark_signed_in, session_expired
from casework.http.middleware import session_seconds_left
from sso.selectors import END_SESSION_SESSION_KEY, end_session, login_providers


class LoginView(auth_views.LoginView):
    """Django's sign-in page, which also says when the user is here because the session expired
    (the marker cookie outlived the session) and sets that marker at sign-in."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["session_expired"] = session_expired(self.request)
        context["sso_providers"] = login_providers()  # "Log in via <organisation>", one per provider
        context["two_factor_demo_exempt"] = settings.CASEWORK_TWO_FACTOR_DEMO_EXEMPT
        return context

    def form_valid(self, form):
        return mark_signed_in(super().form_valid(form))


class LogoutView(auth_views.LogoutView):
    """Signing out on purpose: the next login page is not about an expired session. A session
    signed in through an organisation's provider that offers RP-initiated logout goes on to the
    provider (through sso's signed-out page: the page's CSP form-action keeps this form from
    redirecting to another origin itself)."""

    def post(self, request, *args, **kwargs):
        at_provider = end_session(request)  # read before the session ends
        response = super().post(request, *args, **kwargs)
        if at_provider:
            request.session[END_SESSION_SESSION_KEY] = at_provider
            response = redirect("sso:signed-out")
        response.delete_cookie(settings.SIGNED_IN_MARKER_COOKIE, samesite=settings.SESSION_COOKIE_SAMESITE)
        return response


@require_POST
def keep_alive(request):
    """The page's "Ingelogd blijven" and typing in a form: this request itself renews the session
    (SESSION_SAVE_EVERY_REQUEST); the answer says for how long. 401 once the session is gone."""
    if not request.user.is_authenticated:
        return JsonResponse({"expired": True}, status=401)
    request.session.modified = True
    seconds = session_seconds_left(request.session)  # never beyond the absolute end
    return JsonResponse({"expired": False, "seconds": seconds,
                         "expires_at": (timezone.now() + dt.timedelta(seconds=seconds)).isoformat()})


class FaviconView(RedirectView):
    """Browsers ask for /favicon.ico whatever the page links to."""

    permanent = False

    def get_redirect_url(self, *args, **kwargs):
        return static("favicon.svg")


favicon = require_GET(FaviconView.as_view())
