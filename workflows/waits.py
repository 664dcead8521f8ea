"""Letting the flows' waits go on: a team's doorbraak branch waits for the case's escalation,
and a flow waits for an offered place's start date before it asks for the start confirmation.

`release_start` answers the clock's `offer_start_due` signal; `release_finished_escalations`
is the sweeper's safety net for both waits.
"""

from django.utils import timezone
from viewflow.workflow.status import STATUS

from casework import selectors
from casework.models import Case, Offer
from workflows.flows import CaseFlow, EscalationFlow, running_escalation
from workflows.gateways import offer_sources
from workflows.models import CaseTask

AWAIT_START = [CaseFlow.await_start, EscalationFlow.await_start]


def release_finished_escalations() -> int:
    """Safety net for the sweeper: complete waiting doorbraak branches whose escalation ended
    (e.g. when the hand-over after the decision failed), and waits for a start date that has come.
    Returns how many were released."""
    released = 0
    for waiting in CaseTask.objects.filter(flow_task=CaseFlow.await_escalation, status=STATUS.NEW):
        if running_escalation(waiting.case) is None:
            CaseFlow.await_escalation.run(waiting)
            released += 1
    today = timezone.localdate()
    for waiting in CaseTask.objects.filter(flow_task__in=AWAIT_START, status=STATUS.NEW).select_related("case"):
        offer = selectors.pending_offer(waiting.case, offer_sources(waiting.flow_task.flow_class))
        if offer is None or offer.start_date <= today:
            waiting.flow_task.run(waiting)
            released += 1
    return released


def release_start(case: Case, offer: Offer) -> int:
    """The offered place's start date has come: the flow waiting for this offer asks for the
    confirmation (an arrangement's in the case flow, a placement's in the escalation)."""
    if offer.status != Offer.Status.PENDING:
        return 0
    released = 0
    for waiting in CaseTask.objects.filter(case=case, flow_task__in=AWAIT_START, status=STATUS.NEW):
        if offer.source in offer_sources(waiting.flow_task.flow_class):
            waiting.flow_task.run(waiting)
            released += 1
    return released
