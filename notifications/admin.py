"""The outbox in the admin, read-only: its health above the list (pending, retrying, failed, stuck,
not pushed), a filter by state (the given-up entries at `?state=failed`), and one action: try the
chosen entries again once their cause is repaired. Entries show ids only (case, task), never a
child's data."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy, ngettext

from notifications import delivery
from notifications.models import OutboxEntry


class StateFilter(admin.SimpleListFilter):
    title = gettext_lazy("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("pending", gettext_lazy("pending")), ("retrying", gettext_lazy("retrying")),
                ("failed", gettext_lazy("failed (given up)")), ("done", gettext_lazy("fanned out"))]

    def queryset(self, request, queryset):
        pending = queryset.filter(fanned_out_at__isnull=True, failed_at__isnull=True)
        return {
            "pending": pending,
            "retrying": pending.filter(attempts__gt=0),
            "failed": queryset.filter(failed_at__isnull=False),
            "done": queryset.filter(fanned_out_at__isnull=False),
        }.get(self.value(), queryset)


@admin.action(description=gettext_lazy("Try again (after the cause was repaired)"), permissions=["retry"])
def try_again(modeladmin, request, queryset):
    count = delivery.try_again(queryset.values_list("pk", flat=True))
    messages.success(request, ngettext(
        "%(count)d outbox entry will be tried again within a minute.",
        "%(count)d outbox entries will be tried again within a minute.", count) % {"count": count})


@admin.register(OutboxEntry)
class OutboxEntryAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "case_number", "task_number", "created_at", "attempts", "next_attempt_at",
                    "failed_at", "last_error", "fanned_out_at"]
    list_filter = [StateFilter, "kind"]
    fields = ["kind", "case_number", "task_number", "actor_number", "data", "created_at", "fanned_out_at",
              "attempts", "last_error", "next_attempt_at", "failed_at"]
    readonly_fields = fields
    ordering = ["-created_at", "-pk"]
    date_hierarchy = "created_at"
    actions = [try_again]

    @admin.display(description=gettext_lazy("case"), ordering="case_id")
    def case_number(self, entry):
        return entry.case_id

    @admin.display(description=gettext_lazy("task"))
    def task_number(self, entry):
        return entry.task_id

    @admin.display(description=gettext_lazy("actor"))
    def actor_number(self, entry):
        return entry.actor_id

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "health": delivery.health(),
                         "stuck_minutes": delivery.STUCK_SECONDS // 60}
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        return request.user.has_perm("notifications.change_outboxentry")
