"""How the flows answer the case domain's signals and a new task row (connected in
`WorkflowsConfig.ready`): an opened case starts its flow, a breached clock its escalation, a
clock's review or consult its own flow, a due start date the waiting confirmation; a new human
task is announced to its team."""

from casework.models import Offer
from notifications.services import acting_as, notify
from workflows.flows import (
    CaseFlow,
    ConsultFlow,
    ExemptionAdviceFlow,
    ReviewFlow,
    start_escalation_for,
)
from workflows.waits import release_start as release


def start_case_flow(sender, case, actor, **kwargs):
    """Every opened case gets its process, in the same transaction (first task: team_review)."""
    with acting_as(actor):
        CaseFlow.start.run(case=case)


def announce_new_task(sender, instance, created, **kwargs):
    """A new human task is in a team's queue: tell the team (inside the same transaction). The
    verification of a public signal has no case yet; its notice names no case."""
    if created and instance.flow_task_type == "HUMAN" and (instance.case_id or instance.public_signal_id):
        notify(kind="task_available", case=instance.case, task=instance)


def start_escalation_flow(sender, case, **kwargs):
    """A breached clock put the case on the ladder: its escalation flow starts (or keeps running)."""
    start_escalation_for(case)


def start_review_flow(sender, case, reason, **kwargs):
    """A clock asks the case team to review the case: a `case_review` task."""
    ReviewFlow.start.run(case=case, reason=reason)


def start_consult_flow(sender, case, **kwargs):
    """A clock started an ECT consult outside the team's review."""
    ConsultFlow.start.run(case=case)


def start_exemption_advice_flow(sender, case, **kwargs):
    """A 5a exemption recorded with the signal waits for the SWV's advice: the advice step."""
    ExemptionAdviceFlow.start.run(case=case)


def release_start(sender, case, offer_id, **kwargs):
    """An offered place's start date has come: the waiting flow asks for the start confirmation."""
    release(case, Offer.objects.get(pk=offer_id))
