"""Re-authentication: a second factor passed within the last CASEWORK_REAUTH_MINUTES before an
export of personal data (access-log CSV, subject access, the quarterly CSV) or a change of team
memberships in the admin. `fresh_second_factor` decorates a view; the middleware guards the admin
paths (REAUTH_ADMIN_PATHS). A user who needs no second factor (the demo exemption) is not asked."""

import re
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from signin.factors import factor_age_seconds, requires_second_factor

# The admin's pages that change who is in which team (or holds a region role).
REAUTH_ADMIN_PATHS = re.compile(r"^/admin/teams/(membership|team|regionrole)/(add/|[^/]+/(change|delete)/)")


def needs_reauth(request) -> bool:
    if not requires_second_factor(request.user):
        return False
    age = factor_age_seconds(request)
    return age is None or age > settings.CASEWORK_REAUTH_MINUTES * 60


def reauth_redirect(request):
    return redirect(f"{reverse('signin:verify')}?{urlencode({'next': request.get_full_path(), 'reauth': '1'})}")


def fresh_second_factor(view):
    """The view runs only with a second factor younger than CASEWORK_REAUTH_MINUTES; else the user
    confirms it first (signin:verify?reauth=1) and comes back."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.user.is_authenticated and needs_reauth(request):
            return reauth_redirect(request)
        return view(request, *args, **kwargs)

    return wrapped
