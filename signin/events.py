"""The sign-in events in the access log the privacy officer reads: every sign-in, failure,
sign-out, second factor, enrolment, reset and re-authentication, written by one function.

Django's signals write the local sign-in, its failures and the sign-out (once per event, through
`signin.receivers`); the views write the rest. A row names the user's regions (`shown_regions`),
so the privacy officer of those regions finds it in the access log beside the case reads."""

from casework.access import client_ip, logged_path
from casework.http.middleware import SIGNED_IN_AT
from casework.models import AccessLog
from teams import directory

STARTED_AT = SIGNED_IN_AT  # epoch seconds of the sign-in (the session's absolute lifetime)

ACTIONS = {
    "login": AccessLog.Action.LOGIN,
    "login_failed": AccessLog.Action.LOGIN_FAILED,
    "logout": AccessLog.Action.LOGOUT,
    "sso_login": AccessLog.Action.SSO_LOGIN,
    "sso_refused": AccessLog.Action.SSO_REFUSED,
    "factor_verified": AccessLog.Action.FACTOR_VERIFIED,
    "factor_enrolled": AccessLog.Action.FACTOR_ENROLLED,
    "factor_reset": AccessLog.Action.FACTOR_RESET,
    "reauth": AccessLog.Action.REAUTH,
}


def regions_of(user) -> str:
    """",1,2," for the regions of the user's teams and region roles (empty without either)."""
    if user is None or not getattr(user, "pk", None):
        return ""
    return AccessLog.id_list(directory.regions_of(user).values_list("pk", flat=True))


def log_signin(request, action: str, user=None, detail: str = "") -> AccessLog:
    """One access-log row for a sign-in event (`action`: a key of ACTIONS). `user` defaults to the
    request's signed-in user; a failure names no user when the username is unknown."""
    if user is None and request is not None:
        current = getattr(request, "user", None)
        user = current if current is not None and current.is_authenticated else None
    return AccessLog.objects.create(
        user=user if user is not None and user.pk else None, action=ACTIONS[action],
        path=logged_path(request), ip=client_ip(request), shown_regions=regions_of(user),
        detail=str(detail)[:200])
