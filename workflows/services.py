"""The write path for tasks: claim, release and complete; follow-up dates; distribution of
several tasks at once by a coordinator. Each call is one transaction under
the flow's process lock; completing a task records its step through a core service and lets
the flow create what comes next.

Errors: Http404 (the case is not visible), PermissionDenied (visible, but not this user's
task: 403), TaskConflict (no longer open or claimed by someone else: 409), ValidationError
(bad payload, field errors: 400). Nothing changes on any error.
"""

import random
import time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.lock import lock_scope
from viewflow.workflow.models import Process
from viewflow.workflow.status import STATUS

from casework import services
from casework.access import MAX_ID, is_id, log_case_read, log_signal_read, parse_id
from casework.clocks import add_years
from casework.models import AccessLog, CaseEvent, CaseParticipant
from casework.responsibility import REGION_ROLE_DEPUTIES
from notifications.models import Notification
from notifications.services import acting_as, notify
from teams.models import Membership, RegionRole, User
from workflows.models import OPEN_STATUSES, CaseTask
from workflows.queues import may_take, visible_tasks


class TaskConflict(Exception):
    """The task changed under the user: done already, or claimed by someone else."""


def _visible_to(user) -> Q:
    """The task's case (or public signal) is visible to `user`: the rule of `visible_tasks`, written
    as EXISTS on the one task's row, so that a lookup by id needs no query before it."""
    my_teams = Membership.objects.filter(user=user).values("team_id")
    on_case = Exists(CaseParticipant.objects.filter(case_id=OuterRef("case_id")).filter(
        Q(team_id__in=my_teams) | (Q(user=user) & ~Q(reason=CaseParticipant.Reason.MENTOR))))
    return Q(on_case) | Q(case__isnull=True, public_signal__isnull=False, team_id__in=my_teams)


def _may_take(user) -> ExpressionWrapper:
    """`queues.may_take` as a column of the task's row (the same rule, read in the same query):
    not the four-eyes excluded user; a member of the task's team (with its required role), or for
    a region role, holding it in the case's region."""
    member = Membership.objects.filter(user=user, team_id=OuterRef("team_id"))
    in_team = Q(region_role="", team_id__isnull=False) & (
        Q(Exists(member), required_role="") | Q(Exists(member.filter(role=OuterRef("required_role")))))
    by_region = ~Q(region_role="") & Q(Exists(RegionRole.objects.filter(
        user=user, role=OuterRef("region_role"), region_id=OuterRef("case__region_id"))))
    for task_role, deputies in REGION_ROLE_DEPUTIES.items():  # e.g. the coördinator deelverband (PO)
        for deputy, sectors in deputies:
            by_region |= Q(Exists(RegionRole.objects.filter(user=user, role=deputy, region_id=OuterRef("case__region_id"))),
                           region_role=task_role, case__sector__in=sorted(sectors))
    return ExpressionWrapper(~Q(excluded_user_id=user.pk) & (in_team | by_region), output_field=BooleanField())


def _step_tasks(user) -> QuerySet[CaseTask]:
    return (CaseTask.objects.filter(_visible_to(user), flow_task_type="HUMAN")
            .select_related("case__child", "case__school", "team", "owner", "public_signal")
            .annotate(may_take=_may_take(user)))


def task_for_user(user, task_id, *, request=None, log: bool = False) -> CaseTask:
    """The task if its case is visible to `user`, else Http404 (one query; `task.may_take` says
    whether the user may take it). With `log`, the case read is logged."""
    if not user.is_authenticated:
        raise Http404
    task = _step_tasks(user).filter(pk=parse_id(task_id)).first()
    if task is None:
        raise Http404
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


def _ensure_open_for(user, task: CaseTask) -> None:
    if task.status == STATUS.CANCELED:
        raise TaskConflict(stalled_message(task))
    if task.status not in (STATUS.NEW, STATUS.ASSIGNED):
        raise TaskConflict(_("This task is no longer open."))
    if task.owner_id not in (None, user.pk):
        raise TaskConflict(_("Someone else has claimed this task."))
    if not task.may_take:
        raise PermissionDenied(refusal(user, task))


def stalled_message(task: CaseTask) -> str:
    """Why a cancelled task can no longer be answered (the 409's and the page's message)."""
    if task.data.get("ended") == "case_closed":
        return _("The case was closed, so this task lapsed. Your answer was not recorded.")
    stalled = task.data.get("stalled") or {}
    if stalled.get("to") == "stagnatie_escalation":
        return _("This task was not answered within %(days)s days: the MBO institution's management has taken the "
                 "case over. Your answer was not recorded.") % {"days": stalled.get("days_open", "")}
    if stalled:
        return _("This task was not answered within %(days)s days: the SWV director decides now. Your answer was not "
                 "recorded.") % {"days": stalled.get("days_open", "")}
    return _("This task was cancelled. Your answer was not recorded.")


# The process row lock, as the flows take it (`workflows.flows.ProcessRowLock`): NOWAIT, retried.
LOCK_ATTEMPTS = 5


class _Busy(Exception):
    """Another transaction holds the task's process (NOWAIT)."""


def _load_locked(user, pk: int, *, with_case: bool) -> CaseTask:
    """Load the task, lock it with its process (and its case), and read whether `user` may take it:
    one query. On SQLite, which has no row locks, the transaction itself serialises writers."""
    tasks = _step_tasks(user).select_related("process__caseprocess", "process__signalprocess")
    if connection.vendor == "postgresql":
        # The query joins ten tables around one task row (by primary key): the join order as
        # written is the best one, and searching for another cost PostgreSQL 4-5 ms of planning
        # per step (the query itself runs in 0.2-0.4 ms). Only for this transaction.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL join_collapse_limit = 1")
    lock = ("self", "process")
    if with_case:
        # the case's row too (an INNER JOIN: a row lock cannot reach the nullable side of an
        # outer join); a verification task has no case and is read without it
        found = tasks.filter(pk=pk, case__isnull=False).select_for_update(nowait=True, of=(*lock, "case")).first()
        if found is not None:
            return _linked(found)
    found = tasks.filter(pk=pk).select_for_update(nowait=True, of=lock).first()
    if found is None:
        raise Http404
    return _linked(found)


def _linked(task: CaseTask) -> CaseTask:
    """The process's case is the task's case row (already read): viewflow's activation and the
    gateways read `process.case` without another query."""
    process = task.process.coerced
    if task.case_id and getattr(process, "case_id", None) == task.case_id:
        process.case = task.case
    return task


def _step(user, task_id, action, *, with_case: bool = False):
    """Run `action(task)` in one transaction under the task's process lock, with the task loaded,
    locked and authorised in one query (Http404 when the user cannot see it). Work queued with
    viewflow's `after_lock_released` runs after the commit, as under the flows' own lock.

    The lock must not be nested in another atomic block, or a failed NOWAIT attempt on
    PostgreSQL would poison the outer transaction."""
    pk = parse_id(task_id)
    if not user.is_authenticated:
        raise Http404
    for attempt in range(LOCK_ATTEMPTS):
        try:
            with lock_scope(_one_transaction, None, pk):
                try:
                    task = _load_locked(user, pk, with_case=with_case)
                except DatabaseError as error:
                    raise _Busy from error
                with services.step_of(task.case if task.case_id else None, user, task.node_name):
                    return action(task)
        except _Busy as busy:
            if attempt == LOCK_ATTEMPTS - 1:
                raise TaskConflict(_("Someone else is working on this case right now; try again.")) from busy
            time.sleep((((attempt + 1) * random.random()) + 2**attempt) / 2.5)  # noqa: S311 (viewflow's back-off jitter)
        except FlowLockFailed as error:
            raise TaskConflict(_("Someone else is working on this case right now; try again.")) from error
    raise AssertionError("unreachable")  # pragma: no cover


class _OneTransaction:
    """viewflow's `lock_scope` takes a lock implementation: here only the transaction (the lock is
    the loading query's FOR UPDATE)."""

    def __call__(self, flow_class, process_pk):
        return transaction.atomic()


_one_transaction = _OneTransaction()


def _claim_for(task: CaseTask, user) -> None:
    """The task is now `user`'s (the task row is saved by the caller)."""
    task.owner, task.status, task.assigned = user, STATUS.ASSIGNED, timezone.now()


def claim_task(*, user, task_id) -> CaseTask:
    def claim(task):
        if task.owner_id == user.pk and task.status == STATUS.ASSIGNED:
            return task  # already mine
        _ensure_open_for(user, task)
        _claim_for(task, user)
        task.save(update_fields=["owner", "status", "assigned"])
        return task

    return _step(user, task_id, claim)


def unclaim_task(*, user, task_id) -> CaseTask:
    def unclaim(task):
        if task.status != STATUS.ASSIGNED:
            raise TaskConflict(_("This task is not claimed."))
        if task.owner_id != user.pk:
            raise PermissionDenied(_("Only the person who claimed this task can release it."))
        task.owner, task.status, task.assigned = None, STATUS.NEW, None
        task.save(update_fields=["owner", "status", "assigned"])
        return task

    return _step(user, task_id, unclaim)


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

    def complete(task):
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
        _ensure_open_for(user, task)
        activation = task.flow_task.activation_class(task)
        if task.status == STATUS.NEW:
            _claim_for(task, user)  # saved with the completion below
        activation.start(None)
        with CaseEvent.collected() as recorded:
            task.flow_task.perform(task, user, form.cleaned_data)
        # What this task recorded, for its page once done (event ids only: the events carry the text).
        task.data = {**task.data, "recorded_events": [event.pk for event in recorded if event.actor_id == user.pk]}
        activation.execute()
        return task

    with acting_as(user):
        return _step(user, task_id, complete, with_case=True)


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

    def snooze(task):
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

    return _step(user, task_id, snooze)


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
