"""The admin's part of signing in.

- A lost phone or passkey: the administrator resets the user's second factor (an action on the
  users); the next sign-in enrols anew, and every API token of the user ends (one minted with the
  lost phone's codes must not outlive it). Logged as `factor_reset` in the access log.
- API tokens: who has which, since when, last used and until when, never a key nor a digest; an
  administrator can end one (delete), not make one (a token is asked for through the API)."""

from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from signin.devices import reset_devices
from signin.events import log_signin
from signin.models import ApiToken
from signin.tokens import end_all_tokens, end_token
from teams.models import User


@admin.action(description=gettext_lazy("Reset the second factor (lost phone or passkey)"))
def reset_second_factor(modeladmin, request, queryset):
    ended = 0
    for user in queryset:
        removed = reset_devices(user)
        log_signin(request, "factor_reset", user=user, detail=f"by {request.user.username}: {removed} device(s)")
        ended += end_all_tokens(user, request, why=f"second factor reset by {request.user.username}")
    messages.success(request, _("Second factor reset: they set up a new one at their next sign-in."))
    if ended:
        messages.info(request, ngettext("%(count)d API token ended.", "%(count)d API tokens ended.", ended)
                      % {"count": ended})


# teams.admin registers the user admin (teams sits below signin: it cannot import this action).
if User in admin.site._registry:
    user_admin = admin.site._registry[User]
    user_admin.actions = [*(user_admin.actions or []), reset_second_factor]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "created", "last_used", "expiry", "client"]
    list_select_related = ["user"]
    list_filter = ["created", "expiry"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    fields = ["user", "created", "last_used", "expiry", "client"]  # never `digest` nor `token_key`
    readonly_fields = fields
    date_hierarchy = "created"

    def has_add_permission(self, request):
        return False  # a token is asked for through the API, where its text is shown once

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        end_token(obj, request, how=f"ended in the admin by {request.user.username}")

    def delete_queryset(self, request, queryset):
        for token in queryset.select_related("user"):
            end_token(token, request, how=f"ended in the admin by {request.user.username}")
