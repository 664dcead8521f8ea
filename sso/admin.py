"""Identity providers in the admin. The client secret is never stored nor shown: the admin names
the environment variable and says whether it is set."""

from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from sso.models import IdentityProvider, ProviderLink


@admin.register(IdentityProvider)
class IdentityProviderAdmin(admin.ModelAdmin):
    list_display = ("organisation_name", "slug", "issuer", "active", "trust_mfa", "secret_status")
    list_filter = ("active", "trust_mfa")
    search_fields = ("organisation_name", "slug", "issuer", "client_id")
    raw_id_fields = ("region", "team")
    readonly_fields = ("secret_status",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = (
        (None, {"fields": ("organisation_name", "slug", "region", "team", "active")}),
        (_("Provider"), {"fields": ("issuer", "client_id", "client_secret_env", "secret_status", "scopes")}),
        (_("Linking accounts"), {"fields": ("email_claim", "require_email_verified", "email_domains")}),
        (_("Second factor"), {"fields": ("trust_mfa", "mfa_amr_values", "mfa_acr_values")}),
        (_("Endpoints (empty: from discovery)"), {
            "classes": ("collapse",),
            "fields": ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri",
                       "end_session_endpoint"),
        }),
    )

    @admin.display(description=_("client secret"))
    def secret_status(self, provider):
        if not provider.client_secret_env:
            return "—"
        return _("set in the environment") if provider.secret_configured else _("missing from the environment")


@admin.register(ProviderLink)
class ProviderLinkAdmin(admin.ModelAdmin):
    """Linked accounts: read only; deleting a link unlinks the provider's account."""

    list_display = ("user", "provider", "linked_at", "last_sign_in")
    list_filter = ("provider",)
    search_fields = ("user__username", "user__email", "subject")
    readonly_fields = ("provider", "subject", "user", "linked_at", "last_sign_in")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
