"""How the flows answer the case domain's signals and a new task row (connected in
`WorkflowsConfig.ready`): an opened case starts its flow, a breached clock its escalation, a
clock's review or consult its own flow, a due start date the waiting confirmation; a new human
task is announced to its team."""

from django.utils import timezone
from viewflow.workflow.status import PROCESS, STATUS

from casework.models import Offer
from casework.responsibility import RESPONSIBILITIES, responsible
from notifications.models import Notification
from notifications.services import notify
from workflows.flows import (
    CaseFlow,
    ConsultFlow,
    ExemptionAdviceFlow,
    ReviewFlow,
    open_reviews,
    start_escalation_for,
)
from workflows.models import CaseProcess, CaseTask
from workflows.nodes import step_of
from workflows.queues import may_take
from workflows.waits import release_start as release


def start_case_flow(sender, case, actor, step=None, **kwargs):
    """Every opened case gets its process, in the same transaction (first task: team_review, whose
    notice names the signaller)."""
    CaseFlow.start.run(case=case, step=step.telling_as(actor) if step is not None else None)


def announce_new_task(sender, instance, created, **kwargs):
    """A new human task is in a team's queue: tell the team (inside the same transaction). The
    verification of a public signal has no case yet; its notice names no case."""
    if created and instance.flow_task_type == "HUMAN" and (instance.case_id or instance.public_signal_id):
        notify(kind=Notification.Kind.TASK_AVAILABLE, case=instance.case, task=instance, step=step_of(instance.process))


def start_escalation_flow(sender, case, step=None, **kwargs):
    """A breached clock put the case on the ladder: its escalation flow starts (or keeps running)."""
    start_escalation_for(case, step=step)


def start_review_flow(sender, case, reason, step=None, **kwargs):
    """A clock asks the case team to review the case: a `case_review` task, unless one for the
    same reason is still open (at most one open review per case and reason)."""
    if open_reviews(case, reason).exists():
        return
    ReviewFlow.start.run(case=case, reason=reason, step=step)


# Work a clock started beside the case's own flow: it ends when the case closes.
SIDE_FLOWS = (ReviewFlow, ConsultFlow)


def end_side_work(sender, case, **kwargs):
    """The case closed: its open periodic reviews and clock-started consults are cancelled (each
    task says why, on its page and in the 409 of a late answer); the case's own flow has ended with
    the team review that closed it."""
    processes = CaseProcess.objects.filter(case=case, flow_class__in=SIDE_FLOWS).exclude(
        status__in=[PROCESS.DONE, PROCESS.CANCELED])
    for process in processes:
        with process.flow_class.lock(process.pk):
            for task in CaseTask.objects.filter(process=process).exclude(
                    status__in=[STATUS.DONE, STATUS.CANCELED, STATUS.REVIVED]):
                task.data = {**task.data, "ended": "case_closed"}
                task.flow_task.activation_class(task).cancel()
                task.save()  # viewflow's cancel saves the task before its transition sets the status
            process.status, process.finished = PROCESS.CANCELED, timezone.now()
            process.save(update_fields=["status", "finished"])


def start_consult_flow(sender, case, step=None, **kwargs):
    """A clock started an ECT consult outside the team's review."""
    ConsultFlow.start.run(case=case, step=step)


def start_exemption_advice_flow(sender, case, step=None, **kwargs):
    """A 5a exemption recorded with the signal waits for the SWV's advice: the advice step."""
    ExemptionAdviceFlow.start.run(case=case, step=step)


def release_start(sender, case, offer_id, **kwargs):
    """An offered place's start date has come: the waiting flow asks for the start confirmation."""
    release(case, Offer.objects.get(pk=offer_id))


def move_tasks_to_new_team(sender, case, from_team_ids, step=None, **kwargs):
    """The case was handed over to its new school's team: the open tasks of the teams that held it
    go to the queue of the team now responsible for their step (a task claimed by someone who may
    no longer take it goes back to the queue). The task being completed right now (started) stays."""
    tasks = CaseTask.objects.filter(case=case, team_id__in=from_team_ids, flow_task_type="HUMAN",
                                    status__in=[STATUS.NEW, STATUS.ASSIGNED]).select_related("owner")
    for task in tasks:
        if task.node_name not in RESPONSIBILITIES:
            continue
        task.case = case
        team, role, region_role = responsible(case, task.node_name, step.rows if step is not None else None)
        if team is None or team.pk == task.team_id:
            continue
        task.team, task.required_role, task.region_role = team, role, region_role
        if task.owner_id is not None and not may_take(task.owner, task):
            task.owner, task.status, task.assigned = None, STATUS.NEW, None
        task.save(update_fields=["team", "required_role", "region_role", "owner", "status", "assigned"])
        notify(kind=Notification.Kind.TASK_AVAILABLE, case=case, task=task, step=step)
