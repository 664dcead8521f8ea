"""One step of a task: the task loaded, locked (with its process and its case) and authorised in
one query, in one transaction under the flow's process lock; what a user may not do with it and
why (403 and 409 messages).
"""

import random
import time

from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.lock import lock_scope
from viewflow.workflow.status import STATUS

from casework.access import log_case_read, log_signal_read, parse_id
from casework.models import AccessLog, CaseParticipant
from casework.responsibility import REGION_ROLE_DEPUTIES
from casework.step import Step
from notifications.services import one_fan_out
from systems.clients import system_of
from teams.models import Membership, RegionRole
from workflows.models import CaseTask
from workflows.queues import visible_tasks
from workflows.services.compiled import Compiled


class TaskConflict(Exception):
    """The task changed under the user: done already, or claimed by someone else."""


def _visible_to(user_id: int) -> Q:
    """The task's case (or public signal) is visible to the user: the rule of `visible_tasks`, written
    as EXISTS on the one task's row, so that a lookup by id needs no query before it."""
    my_teams = Membership.objects.filter(user_id=user_id).values("team_id")
    on_case = Exists(CaseParticipant.objects.filter(case_id=OuterRef("case_id")).filter(
        Q(team_id__in=my_teams) | (Q(user_id=user_id) & ~Q(reason=CaseParticipant.Reason.MENTOR))))
    return Q(on_case) | Q(case__isnull=True, public_signal__isnull=False, team_id__in=my_teams)


def _may_take(user_id: int) -> ExpressionWrapper:
    """`queues.may_take` as a column of the task's row (the same rule, read in the same query):
    not the four-eyes excluded user; a member of the task's team (with its required role), or for
    a region role, holding it in the case's region."""
    member = Membership.objects.filter(user_id=user_id, team_id=OuterRef("team_id"))
    in_team = Q(region_role="", team_id__isnull=False) & (
        Q(Exists(member), required_role="") | Q(Exists(member.filter(role=OuterRef("required_role")))))
    by_region = ~Q(region_role="") & Q(Exists(RegionRole.objects.filter(
        user_id=user_id, role=OuterRef("region_role"), region_id=OuterRef("case__region_id"))))
    for task_role, deputies in REGION_ROLE_DEPUTIES.items():  # e.g. the coördinator deelverband (PO)
        for deputy, sectors in deputies:
            by_region |= Q(Exists(RegionRole.objects.filter(user_id=user_id, role=deputy, region_id=OuterRef("case__region_id"))),
                           region_role=task_role, case__sector__in=sorted(sectors))
    return ExpressionWrapper(~Q(excluded_user_id=user_id) & (in_team | by_region), output_field=BooleanField())


def _step_tasks(user_id: int) -> QuerySet[CaseTask]:
    return (CaseTask.objects.filter(_visible_to(user_id), flow_task_type="HUMAN")
            .select_related("case__child", "case__school", "team", "owner", "public_signal")
            .annotate(may_take=_may_take(user_id)))


# The slots of the compiled statements below: a user's and a task's pk that no row has.
_USER, _TASK = -7_310_001, -7_310_002

# The visibility statement (a task page, the API's task): built and compiled once per process.
_VISIBLE = Compiled(lambda user_id, pk: _step_tasks(user_id).filter(pk=pk).order_by(), (_USER, _TASK))


def task_for_user(user, task_id, *, request=None, log: bool = False) -> CaseTask:
    """The task if its case is visible to `user`, else Http404 (one query; `task.may_take` says
    whether the user may take it). With `log`, the case read is logged."""
    if not user.is_authenticated:
        raise Http404
    if system_of(user) is not None:
        # A connected system sees the tasks of its regions' cases and never takes one.
        task = visible_tasks(user).filter(pk=parse_id(task_id)).first()
        if task is not None:
            task.may_take = False
    else:
        task = _VISIBLE.first(user.pk, parse_id(task_id))
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


def ensure_open_for(user, task: CaseTask) -> None:
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


# The process row lock, as the flows take it (`workflows.locking.ProcessRowLock`): NOWAIT, retried.
LOCK_ATTEMPTS = 5


class _Busy(Exception):
    """Another transaction holds the task's process (NOWAIT)."""


def _locking(*, with_case: bool) -> Compiled:
    """The task's lock and visibility statement, compiled once per process: the task by primary
    key, locked (NOWAIT) with its process, and with its case when `with_case` (an INNER JOIN: a row
    lock cannot reach the nullable side of an outer join)."""
    lock = ("self", "process", "case") if with_case else ("self", "process")

    def build(user_id: int, pk: int) -> QuerySet[CaseTask]:
        tasks = _step_tasks(user_id).select_related("process__caseprocess", "process__signalprocess")
        tasks = tasks.filter(pk=pk, case__isnull=False) if with_case else tasks.filter(pk=pk)
        return tasks.order_by().select_for_update(nowait=True, of=lock)

    return Compiled(build, (_USER, _TASK))


_LOCKED = {True: _locking(with_case=True), False: _locking(with_case=False)}


def _load_locked(user, pk: int, *, with_case: bool) -> CaseTask:
    """Load the task, lock it with its process (and its case), and read whether `user` may take it:
    one query. On SQLite, which has no row locks, the transaction itself serialises writers."""
    # The query joins ten tables around one task row (by primary key): the join order as written is
    # the best one, and searching for another cost PostgreSQL 4-5 ms of planning per step (the query
    # itself runs in 0.2-0.4 ms). Only for this transaction, set in the query's own round trip.
    setup = "SET LOCAL join_collapse_limit = 1" if connection.vendor == "postgresql" else ""
    if with_case:
        # a verification task has no case: read without it when the case's lock finds nothing
        found = _LOCKED[True].first(user.pk, pk, setup=setup)
        if found is not None:
            return _linked(found)
    found = _LOCKED[False].first(user.pk, pk, setup=setup)
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


def task_step(user, task_id, action, *, with_case: bool = False):
    """Run `action(task, step)` in one transaction under the task's process lock, with the task
    loaded, locked and authorised in one query (Http404 when the user cannot see it): the one
    place a task's `Step` begins (`Step.of_task`). The step rides on the task's process, where
    the flow's nodes find it when they prepare the tasks that follow (`workflows.nodes.step_of`).
    Work queued with viewflow's `after_lock_released` runs after the commit, as under the flows'
    own lock.

    The lock must not be nested in another atomic block, or a failed NOWAIT attempt on
    PostgreSQL would poison the outer transaction."""
    pk = parse_id(task_id)
    if not user.is_authenticated:
        raise Http404
    with one_fan_out():  # the notices of the step (and of what runs after its commit): one publish
        return _attempts(user, pk, action, with_case=with_case)


def _attempts(user, pk: int, action, *, with_case: bool):
    for attempt in range(LOCK_ATTEMPTS):
        try:
            with lock_scope(_one_transaction, None, pk):
                try:
                    task = _load_locked(user, pk, with_case=with_case)
                except DatabaseError as error:
                    raise _Busy from error
                step = Step.of_task(user, task, task.case if task.case_id else None)
                task.process.coerced.step = step
                done = action(task, step)
                step.flush()
                return done
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
