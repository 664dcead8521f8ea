"""What a sign-in, a failed sign-in and a sign-out do besides Django's own work: a new sign-in
forgets any earlier second factor and starts the session's absolute lifetime; each event is one
access-log row (`signin.events.log_signin`, called through its module so that there is one place
that writes a sign-in event). Connected by `SigninConfig.ready`."""

import time

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from signin import events
from signin.factors import forget_second_factor
from teams.models import User


@receiver(user_logged_in, dispatch_uid="signin-logged-in")
def _logged_in(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    # A new sign-in starts without a second factor and starts the absolute lifetime.
    forget_second_factor(request.session)
    request.session[events.STARTED_AT] = time.time()
    if not getattr(request, "signin_sso", False):  # the SSO app sets it and logs its own `sso_login`
        events.log_signin(request, "login", user=user)


@receiver(user_login_failed, dispatch_uid="signin-login-failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    user = User.objects.filter(username=username).first() if username else None
    # An unknown username is not written: it may be a password typed in the wrong field.
    events.log_signin(request, "login_failed", user=user, detail="" if user is not None else "unknown user")


@receiver(user_logged_out, dispatch_uid="signin-logged-out")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        events.log_signin(request, "logout", user=user)
