"""Two factors: who needs a second one, whether this session passed it, and marking that it did.

This module is a contract (the SSO app `sso` calls it): keep the three names and their meaning.

- `requires_second_factor(user)`: CASEWORK_REQUIRE_TWO_FACTOR (default True) and the user can see
  a child's data (staff, a team membership, a region role, or a case participation such as a JIM
  mentor's); never under the demo exemption (CASEWORK_TWO_FACTOR_DEMO_EXEMPT, `make run` only).
- `is_verified(request)`: the session passed the second factor (a django-otp device, or an identity
  provider that asserted MFA: method "idp"), or the user needs none.
- `second_factor_passed(request, method, device=None)`: marks the session, remembers when (for
  re-authentication before exports) and writes `factor_verified` to the access log (`reauth` when
  the session had passed it before). The first time in a session it also gives the session a new
  key: the key seen with the password alone never carries the second factor (session fixation).

The marker lives in the session and is cleared at every sign-in (`signin.events`), so a password
alone never inherits an earlier session's second factor."""

import time

from django.conf import settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login

from casework.models import CaseParticipant
from signin.events import log_signin

FACTOR_METHOD = "signin_factor_method"  # "totp", "backup", "webauthn", "idp", ...
FACTOR_AT = "signin_factor_at"  # epoch seconds of the last second factor (re-authentication)
METHODS = ("totp", "backup", "webauthn", "idp")


def requires_second_factor(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if not settings.CASEWORK_REQUIRE_TWO_FACTOR or settings.CASEWORK_TWO_FACTOR_DEMO_EXEMPT:
        return False
    if user.is_staff or user.is_superuser:
        return True
    # Three cheap EXISTS queries, asked only while the session has not passed the second factor.
    if user.memberships.exists() or user.region_roles.exists():
        return True
    return CaseParticipant.objects.filter(user=user).exists()


def passed_second_factor(request) -> bool:
    """The session itself carries a passed second factor (whatever the user needs)."""
    session = getattr(request, "session", None)
    if session is not None and session.get(FACTOR_METHOD):
        return True
    user = getattr(request, "user", None)
    verified = getattr(user, "is_verified", None)  # django-otp's OTPMiddleware
    return bool(verified and verified())


def session_is_verified(session, user) -> bool:
    """is_verified for a session without a request (a websocket's scope)."""
    if user is None or not user.is_authenticated:
        return False
    if session is not None and (session.get(FACTOR_METHOD) or session.get(DEVICE_ID_SESSION_KEY)):
        return True
    return not requires_second_factor(user)


def is_verified(request) -> bool:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    return passed_second_factor(request) or not requires_second_factor(user)


def second_factor_passed(request, method: str, device=None) -> None:
    """The session passed the second factor by `method` (with `device` when a django-otp device
    verified it: it is then also django-otp's verified device for this session).

    Passing it the first time rotates the session key (the data stays; the old key's row is
    deleted): whoever learnt the key between the password and the second factor holds a key that
    no longer works. A re-authentication keeps the key (the session had passed the factor, and
    its notification websockets stay open)."""
    again = bool(request.session.get(FACTOR_METHOD))  # a session that passed it before: re-authentication
    if not again:
        request.session.cycle_key()
    if device is not None:
        otp_login(request, device)
    request.session[FACTOR_METHOD] = method
    request.session[FACTOR_AT] = time.time()
    log_signin(request, "reauth" if again else "factor_verified", detail=method)


def factor_age_seconds(request) -> float | None:
    """Seconds since this session last passed a second factor (None: never)."""
    at = request.session.get(FACTOR_AT)
    return None if at is None else max(0.0, time.time() - at)


def forget_second_factor(session) -> None:
    """A new sign-in starts without a second factor (Django keeps the session's data for the same
    user at login)."""
    for key in (FACTOR_METHOD, FACTOR_AT, DEVICE_ID_SESSION_KEY):
        session.pop(key, None)
