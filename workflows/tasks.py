"""The write path for tasks: claim, release and complete. Each call is one transaction under
the flow's process lock; completing a task records its step through a core service and lets
the flow create what comes next.

Errors: Http404 (the case is not visible), PermissionDenied (visible, but not this user's
task: 403), TaskConflict (no longer open or claimed by someone else: 409), ValidationError
(bad payload, field errors: 400). Nothing changes on any error.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.status import STATUS

from casework.access import log_case_read
from casework.models import AccessLog
from notifications.services import acting_as
from workflows.inbox import may_take, visible_tasks
from workflows.models import CaseTask


class TaskConflict(Exception):
    """The task changed under the user: done already, or claimed by someone else."""


def task_for_user(user, task_id, *, request=None, log: bool = False) -> CaseTask:
    """The task if its case is visible to `user`, else Http404. With `log`, the case read is logged."""
    try:
        task = visible_tasks(user).get(pk=int(task_id))
    except (CaseTask.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    if log and task.case_id:
        log_case_read(user, task.case, action=AccessLog.Action.VIEW, request=request)
    return task


def refusal(user, task: CaseTask) -> str:
    """Why `user` may not take this task (for a clear 403)."""
    if task.excluded_user_id == user.pk:
        return _("Four eyes: another ECT consultant must approve the advice you drafted.")
    return _("This task is for another team or role.")


def _locked(task: CaseTask) -> CaseTask:
    return CaseTask.objects.select_for_update(of=("self",)).select_related("case").get(pk=task.pk)


def _ensure_open_for(user, task: CaseTask) -> None:
    if task.status not in (STATUS.NEW, STATUS.ASSIGNED):
        raise TaskConflict(_("This task is no longer open."))
    if task.owner_id not in (None, user.pk):
        raise TaskConflict(_("Someone else has claimed this task."))
    if not may_take(user, task):
        raise PermissionDenied(refusal(user, task))


def _under_lock(task: CaseTask, action):
    """Run `action(task)` in one transaction under the process lock.

    The flow's lock opens the transaction itself; it must not be nested in another atomic
    block, or a failed NOWAIT attempt on PostgreSQL would poison the outer transaction.
    """
    try:
        with task.flow_task.flow_class.lock(task.process_id):
            return action(_locked(task))
    except FlowLockFailed as error:
        raise TaskConflict(_("Someone else is working on this case right now; try again.")) from error


def _assign(task: CaseTask, user) -> None:
    task.assigned = timezone.now()
    task.flow_task.activation_class(task).assign(user)


def claim_task(*, user, task_id) -> CaseTask:
    task = task_for_user(user, task_id)

    def claim(task):
        if task.owner_id == user.pk and task.status == STATUS.ASSIGNED:
            return task  # already mine
        _ensure_open_for(user, task)
        _assign(task, user)
        return task

    return _under_lock(task, claim)


def unclaim_task(*, user, task_id) -> CaseTask:
    task = task_for_user(user, task_id)

    def unclaim(task):
        if task.status != STATUS.ASSIGNED:
            raise TaskConflict(_("This task is not claimed."))
        if task.owner_id != user.pk:
            raise PermissionDenied(_("Only the person who claimed this task can release it."))
        task.assigned = None
        task.flow_task.activation_class(task).unassign()
        return task

    return _under_lock(task, unclaim)


def task_form(task: CaseTask, data=None):
    return task.flow_task.form_class(data=data)


def complete_task(*, user, task_id, data) -> CaseTask:
    """Validate the node's payload, claim the task if needed, record the step, move the flow on."""
    task = task_for_user(user, task_id)
    if not may_take(user, task):  # answer 403 before looking at the payload (re-checked under the lock)
        raise PermissionDenied(refusal(user, task))
    form = task_form(task, data)
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())

    def complete(task):
        _ensure_open_for(user, task)
        activation = task.flow_task.activation_class(task)
        if task.status == STATUS.NEW:
            task.assigned = timezone.now()
            activation.assign(user)
        activation.start(None)
        task.flow_task.perform(task, user, form.cleaned_data)
        activation.execute()
        return task

    with acting_as(user):
        return _under_lock(task, complete)
