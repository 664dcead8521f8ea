"""A lost phone or passkey: the administrator resets the user's second factor (an action on the
users in the admin); the next sign-in enrols anew. Logged as `factor_reset` in the access log."""

from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from signin.devices import reset_devices
from signin.events import log_signin
from teams.models import User


@admin.action(description=gettext_lazy("Reset the second factor (lost phone or passkey)"))
def reset_second_factor(modeladmin, request, queryset):
    for user in queryset:
        removed = reset_devices(user)
        log_signin(request, "factor_reset", user=user, detail=f"by {request.user.username}: {removed} device(s)")
    messages.success(request, _("Second factor reset: they set up a new one at their next sign-in."))


# teams.admin registers the user admin (teams sits below signin: it cannot import this action).
if User in admin.site._registry:
    user_admin = admin.site._registry[User]
    user_admin.actions = [*(user_admin.actions or []), reset_second_factor]
