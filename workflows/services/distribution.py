"""Distribution by a coordinator: several tasks assigned to a colleague or released to the queue
at once, all or nothing, with a reason written in each case's history.
"""


from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.models import Process
from viewflow.workflow.status import STATUS

from casework import services
from casework.access import MAX_ID, is_id
from casework.step import Step
from teams.models import User
from workflows.models import CaseTask
from workflows.queues import may_take, visible_tasks
from workflows.services.step import TaskConflict, refusal
from workflows.services.tasks import is_coordinator_of

# --- distribution by a coordinator ------------------------------------------------------------------

BULK_ACTIONS = ("assign", "release")
MAX_BULK_TASKS = 200
REASON_MAX_CHARS = 500


def _bulk_input(action, task_ids, reason, assignee_id) -> tuple[list[int], str, User | None]:
    errors = {}
    if action not in BULK_ACTIONS:
        errors["action"] = [_("Choose assign or release.")]
    ids = []
    if not isinstance(task_ids, (list, tuple)) or not task_ids:
        errors["tasks"] = [_("Select at least one task.")]
    else:
        try:
            ids = sorted({int(task_id) for task_id in task_ids})
            if any(not 0 < task_id <= MAX_ID for task_id in ids):
                raise ValueError
        except (TypeError, ValueError):
            errors["tasks"] = [_("Tasks are given by their numbers.")]
        if len(ids) > MAX_BULK_TASKS:
            errors["tasks"] = [_("At most %(max)s tasks at a time.") % {"max": MAX_BULK_TASKS}]
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        errors["reason"] = [_("Give a reason; it is written in the history of each case.")]
    elif len(reason) > REASON_MAX_CHARS:
        errors["reason"] = [_("A reason is at most %(max)s characters.") % {"max": REASON_MAX_CHARS}]
    assignee = None
    if action == "assign":
        assignee = User.objects.filter(pk=int(assignee_id), is_active=True).first() if is_id(assignee_id) else None
        if assignee is None:
            errors["assignee"] = [_("Choose the colleague who gets the tasks.")]
    if errors:
        raise ValidationError(errors)
    return ids, reason, assignee


def _check_distribution(actor, task: CaseTask, action: str, assignee) -> None:
    """Raise the first reason this task cannot be distributed as asked (nothing has changed yet)."""
    number = task.pk
    if task.case_id is None:
        raise ValidationError({"tasks": [_("Task %(n)s is the verification of a signal; claim it from its own "
                                           "page.") % {"n": number}]})
    if task.status not in (STATUS.NEW, STATUS.ASSIGNED):
        raise TaskConflict(_("Task %(n)s is no longer open.") % {"n": number})
    coordinator = is_coordinator_of(actor, task)
    if task.owner_id not in (None, actor.pk) and not coordinator:
        raise PermissionDenied(_("Task %(n)s is claimed by a colleague: only a coordinator of the team can "
                                 "reassign or release it.") % {"n": number})
    if task.owner_id is None and not (coordinator or may_take(actor, task)):
        raise PermissionDenied(refusal(actor, task))
    if action == "release" and task.owner_id is None:
        raise TaskConflict(_("Task %(n)s is not claimed.") % {"n": number})
    if action == "assign" and not may_take(assignee, task):
        raise ValidationError({"assignee": [
            _("%(name)s cannot take task %(n)s (another team or role, or four eyes).")
            % {"name": assignee.get_full_name() or assignee.username, "n": number}]})


def bulk_distribute(*, actor, action: str, task_ids, reason: str, assignee_id=None) -> list[CaseTask]:
    """Assign several tasks to a colleague, or release them to the queue, with a reason that is
    written in each case's history; each assignee (and each person who loses a task) is told.

    All or nothing: every task is checked under its process lock before any changes. Reassigning
    or releasing a task a colleague claimed is a coordinator's right only (PermissionDenied: 403).
    Tasks the actor cannot see give Http404, as everywhere."""
    ids, reason, assignee = _bulk_input(action, task_ids, reason, assignee_id)
    found = list(visible_tasks(actor).filter(pk__in=ids).values_list("pk", "process_id"))
    if len(found) != len(ids):
        raise Http404
    with Step.begin(actor, notice_actor=actor) as step:
        # the flow's lock, taken for all the processes at once, in a fixed order (no deadlock)
        list(Process.objects.select_for_update().filter(pk__in={process for _, process in found})
             .order_by("pk").values_list("pk", flat=True))
        tasks = list(CaseTask.objects.select_for_update(of=("self",)).filter(pk__in=ids)
                     .select_related("case").order_by("pk"))
        for task in tasks:
            _check_distribution(actor, task, action, assignee)
        changed = []
        for task in tasks:
            if action == "assign" and task.owner_id == assignee.pk:
                continue  # already theirs: nothing to change, nothing to record
            _distribute(step, task, action, assignee, reason)
            changed.append(task)
    return changed


def _distribute(step: Step, task: CaseTask, action: str, assignee, reason: str) -> None:
    previous = task.owner_id
    activation = task.flow_task.activation_class(task)
    now = timezone.now()
    if action == "release":
        task.assigned = None
        activation.unassign()
    elif task.status == STATUS.NEW:
        task.assigned = now
        activation.assign(assignee)
    else:
        task.assigned = now
        activation.reassign(assignee)
    services.record_task_distribution(step=step, case=task.case, task=task, node=task.node_name,
                                      assigned_to_id=assignee.pk if assignee else None,
                                      previous_owner_id=previous, reason=reason, at=now)
