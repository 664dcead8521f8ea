"""Dutch by default, whatever the browser says: the language is the one the user chose, remembered
on the account of a signed-in user (`User.language`, set by the switch at /i18n/setlang/, so it
follows the user to another device), else the language cookie the switch sets, else LANGUAGE_CODE
(`nl`). The browser's Accept-Language is not consulted: the users are Dutch professionals on shared
or English-set machines, and a page that switches language by itself confuses them.

SessionRenewalMiddleware renews the idle session at most once a minute instead of on every request."""

import time

from django.conf import settings
from django.contrib.auth.middleware import get_user
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


def chosen_language(request) -> str:
    languages = dict(settings.LANGUAGES)
    # This middleware runs before AuthenticationMiddleware; get_user caches the user on the
    # request (`_cached_user`), so request.user later costs no second query.
    user = get_user(request)
    if user.is_authenticated and user.language in languages:
        return user.language
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return cookie if cookie in languages else settings.LANGUAGE_CODE


class ChosenLanguageMiddleware(LocaleMiddleware):
    def process_request(self, request):
        translation.activate(chosen_language(request))
        request.LANGUAGE_CODE = translation.get_language()


# --- the idle session, saved only when its expiry would move noticeably ----------------------------

SAVED_AT = "_saved_at"  # in the session itself: when it (and so its expiry) was last written
# When the user signed in (set by signin.events): the session ends CASEWORK_SESSION_MAX_HOURS later.
SIGNED_IN_AT = "signin_started_at"


def seconds_to_absolute_end(session) -> float | None:
    """Seconds until the session's absolute end (None: no sign-in time recorded)."""
    started = session.get(SIGNED_IN_AT)
    if started is None:
        return None
    return started + settings.CASEWORK_SESSION_MAX_HOURS * 3600 - time.time()


def seconds_to_end(session) -> float:
    """The one rule of a session's lifetime, for the pages and the websocket alike: seconds until
    the session ends, whichever end comes first (zero or less: it has ended).

    - Idle: SESSION_COOKIE_AGE (CASEWORK_SESSION_IDLE_MINUTES) after it was last saved; the whole
      of it from now on when this request saves it (`modified`), or when no save time is known
      (the session store's own expiry then ends it: a session loaded from the store has not).
    - Absolute: CASEWORK_SESSION_MAX_HOURS after the sign-in, however active the session was.

    SessionLifetimeMiddleware ends a page's session by it, the keep-alive and the pages' warning
    count down with it (session_seconds_left), and the notification websocket is refused and
    closed by it (notifications.consumers)."""
    idle = session.get_expiry_age()
    saved_at = session.get(SAVED_AT)
    if not (session.modified or saved_at is None):
        idle -= time.time() - saved_at
    absolute = seconds_to_absolute_end(session)
    return idle if absolute is None else min(idle, absolute)


def session_seconds_left(session) -> int:
    """How long this session lasts from this response on, in whole seconds (seconds_to_end): the
    whole SESSION_COOKIE_AGE when the response saves it, else what is left since its last save
    (never more than a minute less); never beyond its absolute end."""
    return max(0, round(seconds_to_end(session)))


class SessionRenewalMiddleware:
    """Renews the idle session only when that moves its expiry by more than
    SESSION_RENEW_AFTER_SECONDS (60): a request within a minute of the last save writes nothing,
    so the idle timeout is SESSION_COOKIE_AGE to the minute (instead of SESSION_SAVE_EVERY_REQUEST
    writing the session on every request). A session changed for any other reason is saved as
    always, and then also records when. Sits right after SessionMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.session_key is not None:  # no cookie: nothing to renew
            saved_at = session.get(SAVED_AT)
            if saved_at is None or time.time() - saved_at > settings.SESSION_RENEW_AFTER_SECONDS:
                session.modified = True
        response = self.get_response(request)
        if session is not None and session.modified and not session.is_empty():
            session[SAVED_AT] = time.time()  # saved with it by SessionMiddleware (not on a 500: then neither)
        return response
