"""The write path for tasks: claim, release and complete; follow-up dates; distribution of
several tasks at once by a coordinator. Each call is one transaction under
the flow's process lock; completing a task records its step through a core service and lets
the flow create what comes next.

Errors: Http404 (the case is not visible), PermissionDenied (visible, but not this user's
task: 403), TaskConflict (no longer open or claimed by someone else: 409), ValidationError
(bad payload, field errors: 400). Nothing changes on any error.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Process
from viewflow.workflow.status import STATUS

from casework import services
from casework.access import MAX_ID, is_id, log_case_read, log_signal_read, parse_id
from casework.clocks import add_years
from casework.models import AccessLog, CaseEvent
from notifications.services import acting_as, notify
from teams.models import Membership, User
from workflows.models import OPEN_STATUSES, CaseTask
from workflows.queues import may_take, visible_tasks


class TaskConflict(Exception):
    """The task changed under the user: done already, or claimed by someone else."""


def task_for_user(user, task_id, *, request=None, log: bool = False) -> CaseTask:
    """The task if its case is visible to `user`, else Http404. With `log`, the case read is logged."""
    try:
        task = visible_tasks(user).get(pk=parse_id(task_id))
    except (CaseTask.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    if log and task.case_id:
        log_case_read(user, task.case, action=AccessLog.Action.VIEW, request=request)
    elif log and task.public_signal_id:
        log_signal_read(user, task.public_signal, request=request)
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
    """The node's form: bound to `data`, or pre-filled by the node for the page."""
    if data is not None:
        return task.flow_task.form_class(data=data, case=task.case)
    return task.flow_task.form_class(initial=task.flow_task.initial_values(task), case=task.case)


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
        last_event = CaseEvent.objects.filter(case_id=task.case_id).order_by("-pk").values_list("pk", flat=True).first()
        task.flow_task.perform(task, user, form.cleaned_data)
        # What this task recorded, for its page once done (event ids only: the events carry the text).
        task.data = {**task.data, "recorded_events": list(CaseEvent.objects.filter(
            case_id=task.case_id, actor=user, pk__gt=last_event or 0).values_list("pk", flat=True))}
        activation.execute()
        return task

    with acting_as(user):
        return _under_lock(task, complete)


# --- follow-up dates ------------------------------------------------------------------------------

def is_coordinator_of(user, task: CaseTask) -> bool:
    """Coordinators (and chairs) of the task's team distribute its work."""
    return bool(task.team_id) and Membership.objects.filter(
        user=user, team_id=task.team_id, role__in=Membership.LEAD_ROLES).exists()


def set_follow_up(*, user, task_id, follow_up_on) -> CaseTask:
    """Snooze an open task until `follow_up_on` (a date after today, at most a year ahead), or
    wake it (None).

    Allowed for its assignee, for anyone who may take it while it is in the queue, and for a
    coordinator of its team."""
    task = task_for_user(user, task_id)
    today = timezone.localdate()
    if follow_up_on is not None and follow_up_on <= today:
        raise ValidationError({"follow_up_on": [_("Choose a date after today.")]})
    if follow_up_on is not None and follow_up_on > add_years(today, 1):
        raise ValidationError({"follow_up_on": [_("Choose a date at most a year ahead.")]})

    def snooze(task):
        if task.status not in OPEN_STATUSES:
            raise TaskConflict(_("This task is no longer open."))
        allowed = (task.owner_id == user.pk or (task.owner_id is None and may_take(user, task))
                   or is_coordinator_of(user, task))
        if not allowed:
            raise PermissionDenied(_("Only the person who claimed this task, or a coordinator, can set its "
                                     "follow-up date."))
        task.follow_up_on = follow_up_on
        task.save(update_fields=["follow_up_on"])
        return task

    return _under_lock(task, snooze)


def announce_follow_ups(now=None, *, batch: int = 200) -> int:
    """Tasks whose follow-up date has come are back in the default lists from that day on; this
    tells their assignee (or their team) once, and clears the date. Safe with several sweepers
    (rows are taken with SKIP LOCKED)."""
    today = timezone.localdate(now)
    announced = 0
    while True:
        with transaction.atomic():
            due = list(CaseTask.objects.select_for_update(skip_locked=True, of=("self",))
                       .filter(follow_up_on__lte=today).select_related("case", "team").order_by("pk")[:batch])
            if not due:
                return announced
            for task in due:
                if task.status in OPEN_STATUSES:
                    notify(kind="follow_up_due", case=task.case, task=task,
                           data={"follow_up_on": task.follow_up_on.isoformat()})
                    announced += 1
            CaseTask.objects.filter(pk__in=[task.pk for task in due]).update(follow_up_on=None)


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
    with acting_as(actor), transaction.atomic():
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
            _distribute(actor, task, action, assignee, reason)
            changed.append(task)
    return changed


def _distribute(actor, task: CaseTask, action: str, assignee, reason: str) -> None:
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
    services.record_task_distribution(case=task.case, actor=actor, task=task, node=task.node_name,
                                      assigned_to_id=assignee.pk if assignee else None,
                                      previous_owner_id=previous, reason=reason, at=now)
