"""Cases are not edited in the admin (services are the only write path and every read is
logged). The access log is shown read-only: no add, change or delete."""

from django.contrib import admin

from casework.models import AccessLog, Provision


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "case", "action", "path", "ip"]
    list_filter = ["action"]
    list_select_related = ["user"]
    search_fields = ["user__username", "case__id"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Provision)
class ProvisionAdmin(admin.ModelAdmin):
    """The regions' maatwerkvoorzieningen (reference data, kept here): what a referral names."""

    list_display = ["name", "kind", "region", "term_months", "active"]
    list_filter = ["region", "kind", "active"]
    search_fields = ["name"]
