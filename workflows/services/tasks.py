"""Claiming, releasing and completing a task, each one step (`task_step`); a task's follow-up
date (snoozing it, and the sweep's announcement when the date has come).
"""


from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.status import STATUS

from casework.access import log_case_read, log_signal_read
from casework.clocks import add_years
from casework.models import AccessLog
from notifications.models import Notification
from notifications.services import notify
from teams.models import Membership
from workflows.models import OPEN_STATUSES, CaseTask
from workflows.services.step import (
    TaskConflict,
    ensure_open_for,
    refusal,
    stalled_message,
    task_step,
)


def _claim_for(task: CaseTask, user) -> None:
    """The task is now `user`'s (the task row is saved by the caller)."""
    task.owner, task.status, task.assigned = user, STATUS.ASSIGNED, timezone.now()


def claim_task(*, user, task_id) -> CaseTask:
    def claim(task, step):
        if task.owner_id == user.pk and task.status == STATUS.ASSIGNED:
            return task  # already mine
        ensure_open_for(user, task)
        _claim_for(task, user)
        task.save(update_fields=["owner", "status", "assigned"])
        return task

    return task_step(user, task_id, claim)


def unclaim_task(*, user, task_id) -> CaseTask:
    def unclaim(task, step):
        if task.status != STATUS.ASSIGNED:
            raise TaskConflict(_("This task is not claimed."))
        if task.owner_id != user.pk:
            raise PermissionDenied(_("Only the person who claimed this task can release it."))
        task.owner, task.status, task.assigned = None, STATUS.NEW, None
        task.save(update_fields=["owner", "status", "assigned"])
        return task

    return task_step(user, task_id, unclaim)


def task_form(task: CaseTask, data=None):
    """The node's form: bound to `data`, or pre-filled by the node for the page."""
    if data is not None:
        return task.flow_task.form_class(data=data, case=task.case)
    return task.flow_task.form_class(initial=task.flow_task.initial_values(task), case=task.case)


def complete_task(*, user, task_id, data, request=None, node=None, strict=False) -> CaseTask:
    """Validate the node's payload, claim the task if needed, record the step, move the flow on:
    one transaction, the task loaded, locked and authorised in its first query. With `request`
    (the task page's POST), the read of the case is logged in the same transaction.

    `node` (the API's optional discriminator): the node the client means; another node is a 400 on
    `node` (a task's node never changes, so a mismatch is the client's mistake, not a conflict).
    `strict`: a key the node's form does not have is a 400 (the typed API), instead of ignored."""

    def complete(task, step):
        if request is not None:
            log_task_read(user, task, request)
        if not task.may_take:  # 403 before looking at the payload
            raise PermissionDenied(refusal(user, task))
        if task.status == STATUS.CANCELED:  # e.g. a stalled task the director took over: 409 whatever the payload
            raise TaskConflict(stalled_message(task))
        if node is not None and node != task.node_name:
            raise ValidationError({"node": [_("This task is a %(node)s task.") % {"node": task.node_name}]})
        if strict:
            unknown = sorted(set(data) - set(task.flow_task.form_class.base_fields))
            if unknown:
                raise ValidationError({key: [_("This task has no such field.")] for key in unknown})
        form = task_form(task, data)
        if not form.is_valid():
            raise ValidationError(form.errors.as_data())
        ensure_open_for(user, task)
        activation = task.flow_task.activation_class(task)
        if task.status == STATUS.NEW:
            _claim_for(task, user)  # saved with the completion below
        activation.start(None)
        task.flow_task.perform(task, step, form.cleaned_data)
        recorded = step.flush()  # the step's events so far, with their ids
        # What this task recorded, for its page once done (event ids only: the events carry the text).
        task.data = {**task.data, "recorded_events": [event.pk for event in recorded if event.actor_id == user.pk]}
        activation.execute()
        return task

    return task_step(user, task_id, complete, with_case=True)


def log_task_read(user, task: CaseTask, request) -> None:
    if task.case_id:
        log_case_read(user, task.case, action=AccessLog.Action.VIEW, request=request)
    elif task.public_signal_id:
        log_signal_read(user, task.public_signal, request=request)


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
    today = timezone.localdate()
    if follow_up_on is not None and follow_up_on <= today:
        raise ValidationError({"follow_up_on": [_("Choose a date after today.")]})
    if follow_up_on is not None and follow_up_on > add_years(today, 1):
        raise ValidationError({"follow_up_on": [_("Choose a date at most a year ahead.")]})

    def snooze(task, step):
        if task.status not in OPEN_STATUSES:
            raise TaskConflict(_("This task is no longer open."))
        allowed = (task.owner_id == user.pk or (task.owner_id is None and task.may_take)
                   or is_coordinator_of(user, task))
        if not allowed:
            raise PermissionDenied(_("Only the person who claimed this task, or a coordinator, can set its "
                                     "follow-up date."))
        task.follow_up_on = follow_up_on
        task.save(update_fields=["follow_up_on"])
        return task

    return task_step(user, task_id, snooze)


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
                    notify(kind=Notification.Kind.FOLLOW_UP_DUE, case=task.case, task=task,
                           data={"follow_up_on": task.follow_up_on.isoformat()})
                    announced += 1
            CaseTask.objects.filter(pk__in=[task.pk for task in due]).update(follow_up_on=None)
