from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _

from casework.signals import (
    case_closed,
    case_handed_over,
    case_opened,
    consult_needed,
    escalation_needed,
    exemption_advice_needed,
    offer_start_due,
    review_needed,
)
from notifications.registry import register_tasks


class WorkflowsConfig(AppConfig):
    """The viewflow case flow (CaseFlow), its inbox and task pages."""

    name = "workflows"
    verbose_name = _("Workflows")

    def ready(self):
        # The receivers use the flows and the models, which can be imported only once the app
        # registry is ready, that is here; so does the task source notifications read.
        from workflows import receivers
        from workflows.models import CaseTask
        from workflows.queues import TASK_SOURCE

        register_tasks(TASK_SOURCE)

        case_opened.connect(receivers.start_case_flow, dispatch_uid="workflows.start_case_flow")
        escalation_needed.connect(receivers.start_escalation_flow, dispatch_uid="workflows.start_escalation_flow")
        review_needed.connect(receivers.start_review_flow, dispatch_uid="workflows.start_review_flow")
        consult_needed.connect(receivers.start_consult_flow, dispatch_uid="workflows.start_consult_flow")
        exemption_advice_needed.connect(receivers.start_exemption_advice_flow,
                                        dispatch_uid="workflows.start_exemption_advice_flow")
        offer_start_due.connect(receivers.release_start, dispatch_uid="workflows.release_start")
        case_closed.connect(receivers.end_side_work, dispatch_uid="workflows.end_side_work")
        case_handed_over.connect(receivers.move_tasks_to_new_team, dispatch_uid="workflows.move_tasks_to_new_team")
        post_save.connect(receivers.announce_new_task, sender=CaseTask, dispatch_uid="workflows.announce_new_task")
