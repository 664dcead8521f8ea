"""What a connected system may call: each view names, per action (or HTTP method), the scope a
system needs (`system_scopes`); what a view does not name is for persons only (403 for a system:
completing or claiming a task, recording on a case, notes, documents, notifications, worklists,
colleagues). Persons are not affected: their rights are the per-object rules as before. Which
cases a system sees is the per-object rule in casework.access (its regions and schools: 404
outside)."""

from django.utils.translation import gettext as _
from rest_framework.permissions import BasePermission

from systems.clients import system_of

# A view open to every connected system whatever its scopes (reference lists without personal data).
ANY_SCOPE = "*"


def required_scope(view, request) -> str | None:
    """The scope a system needs for this request, or None when systems may not make it."""
    wanted = getattr(view, "system_scopes", {})
    action = getattr(view, "action", None)
    if action and action in wanted:
        return wanted[action]
    return wanted.get(request.method.lower())


class SystemScopes(BasePermission):
    def has_permission(self, request, view) -> bool:
        system = system_of(request.user)
        if system is None:
            return True
        needed = required_scope(view, request)
        if needed is None:
            self.message = _("This is not open to connected systems.")
            return False
        if needed == ANY_SCOPE:
            return True
        granted = set((getattr(request.auth, "scope", "") or "").split())
        if needed not in granted:
            self.message = _("The access token lacks the scope %(scope)s.") % {"scope": needed}
            return False
        return True
