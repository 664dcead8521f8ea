"""The signed-in marker: a cookie set at any sign-in and removed at sign-out, so that a login page
seen with it and without a session knows the session expired (and says so)."""

from django.conf import settings


def mark_signed_in(response):
    """Sets the marker at any sign-in (the login page in casework.web.shell, or an organisation's
    provider in sso.views): a browser-session cookie like the session itself; it holds no secret,
    only "was signed in"."""
    response.set_cookie(settings.SIGNED_IN_MARKER_COOKIE, "1", httponly=True,
                        samesite=settings.SESSION_COOKIE_SAMESITE, secure=settings.SESSION_COOKIE_SECURE)
    return response


def session_expired(request) -> bool:
    """Signed in before in this browser, and no session now."""
    return bool(request.COOKIES.get(settings.SIGNED_IN_MARKER_COOKIE)) and not request.user.is_authenticated
