"""The scopes a connected system can be given: one vocabulary for the token endpoint, the API's
permission checks and the OpenAPI document's `oauth2` scheme."""

from django.utils.translation import gettext_lazy as _

CASES_READ = "cases:read"
CASES_SIGNAL = "cases:signal"
TASKS_READ = "tasks:read"
EVENTS_READ = "events:read"
MONITOR_READ = "monitor:read"
SUBSCRIPTIONS_MANAGE = "subscriptions:manage"
ABSENCE_IMPORT = "absence:import"
ENROLMENTS_IMPORT = "enrolments:import"

SCOPES = {
    CASES_READ: _("Read the cases of the system's regions (and schools), each read logged."),
    CASES_SIGNAL: _("Signal a (threatened) thuiszitter, as the system's organisation."),
    TASKS_READ: _("Read the open and done tasks of those cases (never complete one)."),
    EVENTS_READ: _("Read the typed events of those cases, and receive them by subscription."),
    MONITOR_READ: _("Read the monitor's counts (no personal data) of the system's regions."),
    SUBSCRIPTIONS_MANAGE: _("Create, read and end the system's own event subscriptions."),
    ABSENCE_IMPORT: _("Send absence reports (verzuimmeldingen) of the system's regions."),
    ENROLMENTS_IMPORT: _("Send enrolment changes (in- en uitschrijvingen) of the system's regions."),
}


def parse(text: str) -> list[str]:
    """Scopes from a space-separated text, in the vocabulary's order; unknown ones raise ValueError."""
    given = set(text.split())
    unknown = given - SCOPES.keys()
    if unknown:
        raise ValueError(f"unknown scope: {', '.join(sorted(unknown))}")
    return [scope for scope in SCOPES if scope in given]
