"""How a notification reads (title and link) in the user's language; never a child's name."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework.models import Deadline, EctAdvice

TITLES = {
    "task_available": lambda n: (_("New task: %(task)s (case %(case)s)") if n.case_id
                                 else _("New signal from a parent or young person to verify: %(task)s")),
    "ect_advice_reviewed": lambda n: (_("ECT advice approved (case %(case)s)") if n.data.get("approved")
                                      else _("ECT advice rejected (case %(case)s): %(reason)s")),
    "vrijstelling_advised": lambda n: _("Exemption advice given (case %(case)s)"),
    "placement_decided": lambda n: _("Placement decided (case %(case)s)"),
    "registration_changed": lambda n: _("Registration changed (case %(case)s)"),
    "deadline_warning": lambda n: _("Clock about to run out: %(clock)s (case %(case)s)"),
    "deadline_breached": lambda n: _("Clock run out: %(clock)s (case %(case)s)"),
    "case_closed": lambda n: _("Case %(case)s closed"),
    "offer_failed": lambda n: _("The offered place did not start: back to the team (case %(case)s)"),
    "doorbraak_stalled": lambda n: _("No decision after %(days)s days: the SWV director decides now (case %(case)s)"),
    "stagnatie_escalated": lambda n: _("MBO placement escalated to the institution's management after %(days)s days "
                                       "(case %(case)s)"),
    "exemption_ended": lambda n: _("Exemption ended: review the registration (case %(case)s)"),
    "leerplicht_ended": lambda n: _("No longer of compulsory school age: close the case with outcome 18 "
                                    "(case %(case)s)"),
    "agenda_published": lambda n: _("Agenda published for the meeting of %(when)s"),
    "meeting_item_added": lambda n: _("Item added to the meeting of %(when)s"),
    "mentioned": lambda n: _("You were mentioned in a note (case %(case)s)"),
    "task_assigned": lambda n: _("Task assigned to you: %(task)s (case %(case)s)"),
    "task_released": lambda n: _("Your task was released to the team queue: %(task)s (case %(case)s)"),
    "follow_up_due": lambda n: _("Follow up today: %(task)s (case %(case)s)"),
    "consent_changed": lambda n: (_("Consent given (case %(case)s)") if n.data.get("given")
                                  else _("Consent withdrawn (case %(case)s)")),
    # The signaller's name, organisation and e-mail (never the child's name): the team calls them back.
    "signal_forwarded": lambda n: _("Signal forwarded to your team by %(signaller)s (%(organisation)s, "
                                    "%(email)s) (case %(case)s)"),
}


# Each kind in a few words, for the filter on the list and the choice of channel: the same keys as TITLES.
KIND_LABELS = {
    "task_available": gettext_lazy("New task"),
    "task_assigned": gettext_lazy("Task assigned to you"),
    "task_released": gettext_lazy("Your task released to the team queue"),
    "follow_up_due": gettext_lazy("Follow-up due"),
    "mentioned": gettext_lazy("Mentioned in a note"),
    "deadline_warning": gettext_lazy("Clock about to run out"),
    "deadline_breached": gettext_lazy("Clock run out"),
    "ect_advice_reviewed": gettext_lazy("ECT advice approved or rejected"),
    "vrijstelling_advised": gettext_lazy("Exemption advice given"),
    "placement_decided": gettext_lazy("Placement decided"),
    "registration_changed": gettext_lazy("Registration changed"),
    "consent_changed": gettext_lazy("Consent given or withdrawn"),
    "signal_forwarded": gettext_lazy("Signal forwarded to your team"),
    "offer_failed": gettext_lazy("Offered place did not start"),
    "doorbraak_stalled": gettext_lazy("No doorbraak decision in time"),
    "stagnatie_escalated": gettext_lazy("MBO placement escalated"),
    "exemption_ended": gettext_lazy("Exemption ended"),
    "leerplicht_ended": gettext_lazy("No longer of compulsory school age"),
    "case_closed": gettext_lazy("Case closed"),
    "agenda_published": gettext_lazy("Meeting agenda published"),
    "meeting_item_added": gettext_lazy("Item added to a meeting"),
}


def kind_choices() -> list[tuple[str, str]]:
    """(kind, label) of every kind, in the order of KIND_LABELS."""
    return [(kind, str(label)) for kind, label in KIND_LABELS.items()]


def rejection_reason(notification) -> str:
    """The reason a rejected advice came back with (read from the advice: removed there at
    retention, so never kept in the notice itself)."""
    if notification.kind != "ect_advice_reviewed" or notification.data.get("approved"):
        return ""
    reason = EctAdvice.objects.filter(pk=notification.data.get("advice_id")).values_list("reason", flat=True).first()
    return reason or ""


def rejection_reasons(notifications) -> dict:
    """`rejection_reason` of each rejected advice among these notifications, by advice id, in one query."""
    ids = {n.data.get("advice_id") for n in notifications
           if n.kind == "ect_advice_reviewed" and not n.data.get("approved") and n.data.get("advice_id")}
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
    elif notification.task_id and notification.kind in ("task_available", "task_assigned", "follow_up_due"):
        url = reverse("task-detail", args=[notification.task_id])
    elif notification.case_id:
        url = reverse("case-detail", args=[notification.case_id])
    else:
        url = reverse("notifications")
    return title, url
