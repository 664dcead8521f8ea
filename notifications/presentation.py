"""How a notification reads (title and link) in the user's language; never a child's name."""

from django.urls import reverse
from django.utils.translation import gettext as _

from casework.models import Deadline, EctAdvice
from notifications.models import Notification

Kind = Notification.Kind

TITLES = {
    Kind.TASK_AVAILABLE: lambda n: (_("New task: %(task)s (case %(case)s)") if n.case_id
                                    else _("New signal from a parent or young person to verify: %(task)s")),
    Kind.ECT_ADVICE_REVIEWED: lambda n: (_("ECT advice approved (case %(case)s)") if n.data.get("approved")
                                         else _("ECT advice rejected (case %(case)s): %(reason)s")),
    Kind.VRIJSTELLING_ADVISED: lambda n: _("Exemption advice given (case %(case)s)"),
    Kind.PLACEMENT_DECIDED: lambda n: _("Placement decided (case %(case)s)"),
    Kind.REGISTRATION_CHANGED: lambda n: _("Registration changed (case %(case)s)"),
    Kind.DEADLINE_WARNING: lambda n: _("Clock about to run out: %(clock)s (case %(case)s)"),
    Kind.DEADLINE_BREACHED: lambda n: _("Clock run out: %(clock)s (case %(case)s)"),
    Kind.CASE_CLOSED: lambda n: _("Case %(case)s closed"),
    Kind.OFFER_FAILED: lambda n: _("The offered place did not start: back to the team (case %(case)s)"),
    Kind.DOORBRAAK_STALLED: lambda n: _("No decision after %(days)s days: the SWV director decides now (case %(case)s)"),
    Kind.STAGNATIE_ESCALATED: lambda n: _("MBO placement escalated to the institution's management after %(days)s days "
                                          "(case %(case)s)"),
    Kind.EXEMPTION_ENDED: lambda n: _("Exemption ended: review the registration (case %(case)s)"),
    Kind.LEERPLICHT_ENDED: lambda n: _("No longer of compulsory school age: close the case with outcome 18 "
                                       "(case %(case)s)"),
    Kind.AGENDA_PUBLISHED: lambda n: _("Agenda published for the meeting of %(when)s"),
    Kind.MEETING_ITEM_ADDED: lambda n: _("Item added to the meeting of %(when)s"),
    Kind.MENTIONED: lambda n: _("You were mentioned in a note (case %(case)s)"),
    Kind.TASK_ASSIGNED: lambda n: _("Task assigned to you: %(task)s (case %(case)s)"),
    Kind.TASK_RELEASED: lambda n: _("Your task was released to the team queue: %(task)s (case %(case)s)"),
    Kind.FOLLOW_UP_DUE: lambda n: _("Follow up today: %(task)s (case %(case)s)"),
    Kind.CONSENT_CHANGED: lambda n: (_("Consent given (case %(case)s)") if n.data.get("given")
                                     else _("Consent withdrawn (case %(case)s)")),
    # The signaller's name, organisation and e-mail (never the child's name): the team calls them back.
    Kind.SIGNAL_FORWARDED: lambda n: _("Signal forwarded to your team by %(signaller)s (%(organisation)s, "
                                       "%(email)s) (case %(case)s)"),
}


# Each kind in a few words, for the filter on the list and the choice of channel (the kinds' labels).
KIND_LABELS = dict(Notification.Kind.choices)


def kind_choices() -> list[tuple[str, str]]:
    """(kind, label) of every kind, in the order of `Notification.Kind`."""
    return [(kind, str(label)) for kind, label in KIND_LABELS.items()]


def rejection_reason(notification) -> str:
    """The reason a rejected advice came back with (read from the advice: removed there at
    retention, so never kept in the notice itself)."""
    if notification.kind != Kind.ECT_ADVICE_REVIEWED or notification.data.get("approved"):
        return ""
    reason = EctAdvice.objects.filter(pk=notification.data.get("advice_id")).values_list("reason", flat=True).first()
    return reason or ""


def rejection_reasons(notifications) -> dict:
    """`rejection_reason` of each rejected advice among these notifications, by advice id, in one query."""
    ids = {n.data.get("advice_id") for n in notifications
           if n.kind == Kind.ECT_ADVICE_REVIEWED and not n.data.get("approved") and n.data.get("advice_id")}
    if not ids:
        return {}
    return {pk: reason or "" for pk, reason in EctAdvice.objects.filter(pk__in=ids).values_list("pk", "reason")}


def describe(notification, *, reasons: dict | None = None) -> tuple[str, str]:
    """(title, url) of a notification. `reasons`: the rejection reasons by advice id, read
    beforehand for a list (`rejection_reasons`), so that a page of notices reads them in one query."""
    task_title = str(notification.task.title) if notification.task_id and notification.task else ""
    clock = notification.data.get("deadline_kind")
    values = {"case": notification.case_id, "task": task_title,
              "clock": str(Deadline.Kind(clock).label) if clock in Deadline.Kind.values else "",
              "when": notification.data.get("starts", ""),
              "reason": (rejection_reason(notification) if reasons is None
                         else reasons.get(notification.data.get("advice_id"), "")),
              "signaller": notification.data.get("signaller_name", ""),
              "organisation": notification.data.get("signaller_organisation", ""),
              "email": notification.data.get("signaller_email", ""),
              "days": notification.data.get("days_open", notification.data.get("days", ""))}
    title = TITLES.get(notification.kind, lambda n: notification.kind)(notification) % values
    if "meeting_id" in notification.data:
        url = reverse("meeting", args=[notification.data["meeting_id"]])
    elif notification.kind in (Kind.TASK_AVAILABLE, Kind.TASK_ASSIGNED, Kind.FOLLOW_UP_DUE) \
            and notification.task is not None:
        url = reverse("task-detail", args=[notification.task_id])
    elif notification.case_id:
        url = reverse("case-detail", args=[notification.case_id])
    else:
        url = reverse("notifications")
    return title, url
