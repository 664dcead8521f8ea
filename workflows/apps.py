from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    """The viewflow case flow (CaseFlow), its inbox and task pages."""

    name = "workflows"
    verbose_name = _("Workflows")

    def ready(self):
        from django.db.models.signals import post_save

        from casework.signals import (
            case_opened,
            consult_needed,
            escalation_needed,
            offer_start_due,
            review_needed,
        )
        from workflows.models import CaseTask

        case_opened.connect(start_case_flow, dispatch_uid="workflows.start_case_flow")
        escalation_needed.connect(start_escalation_flow, dispatch_uid="workflows.start_escalation_flow")
        review_needed.connect(start_review_flow, dispatch_uid="workflows.start_review_flow")
        consult_needed.connect(start_consult_flow, dispatch_uid="workflows.start_consult_flow")
        offer_start_due.connect(release_start, dispatch_uid="workflows.release_start")
        post_save.connect(announce_new_task, sender=CaseTask, dispatch_uid="workflows.announce_new_task")


def start_case_flow(sender, case, actor, **kwargs):
    """Every opened case gets its process, in the same transaction (first task: team_review)."""
    from notifications.services import acting_as
    from workflows.flows import CaseFlow

    with acting_as(actor):
        CaseFlow.start.run(case=case)


def announce_new_task(sender, instance, created, **kwargs):
    """A new human task is in a team's queue: tell the team (inside the same transaction). The
    verification of a public signal has no case yet; its notice names no case."""
    if created and instance.flow_task_type == "HUMAN" and (instance.case_id or instance.public_signal_id):
        from notifications.services import notify

        notify(kind="task_available", case=instance.case, task=instance)


def start_escalation_flow(sender, case, **kwargs):
    """A breached clock put the case on the ladder: its escalation flow starts (or keeps running)."""
    from workflows.flows import start_escalation_for

    start_escalation_for(case)


def start_review_flow(sender, case, reason, **kwargs):
    """A clock asks the case team to review the case: a `case_review` task."""
    from workflows.flows import ReviewFlow

    ReviewFlow.start.run(case=case, reason=reason)


def start_consult_flow(sender, case, **kwargs):
    """A clock started an ECT consult outside the team's review."""
    from workflows.flows import ConsultFlow

    ConsultFlow.start.run(case=case)


def release_start(sender, case, offer_id, **kwargs):
    """An offered place's start date has come: the waiting flow asks for the start confirmation."""
    from casework.models import Offer
    from workflows.flows import release_start as release

    release(case, Offer.objects.get(pk=offer_id))
