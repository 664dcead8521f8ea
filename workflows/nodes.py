"""A viewflow View node for case work: offered to the queue of the responsible team."""

import datetime as dt

from django.shortcuts import redirect
from django.utils import timezone
from viewflow.workflow import flow
from viewflow.workflow.context import context
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.nodes.end import EndActivation
from viewflow.workflow.nodes.if_gate import IfActivation
from viewflow.workflow.nodes.join import JoinActivation
from viewflow.workflow.nodes.split import SplitActivation
from viewflow.workflow.nodes.switch import SwitchActivation
from viewflow.workflow.signals import flow_finished, task_finished, task_started
from viewflow.workflow.status import STATUS

from casework.clocks import task_due_at
from casework.responsibility import responsible
from casework.step import Step
from teams.models import leerplicht_team
from workflows.queues import may_take


def step_of(process) -> Step | None:
    """The step a process is moved on in (`workflows.services.step.task_step` puts it on the task's
    process; a flow started inside a step is handed it: `ForACase.start_case`), or None."""
    return getattr(process, "step", None)


def rows_of(task) -> dict | None:
    """The reference rows of the step that creates this task (None: read afresh)."""
    step = step_of(task.process)
    return step.rows if step is not None else None


class _JoinActivation(JoinActivation):
    """viewflow reads the task of a join that is already waiting, and so its process, afresh: the
    join goes on with the process object the flow is moved on with (and the step on it)."""

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        activation = super().create(flow_task, prev_activation, token, data=data, seed=seed)
        if activation.process.pk == prev_activation.process.pk:
            activation.process = prev_activation.process
        return activation

    # Whether the join goes on is asked twice (viewflow's `can_proceed`, then the transition's own
    # condition) and its completion reads the incoming tokens again, with nothing written in
    # between: each is read once per activation (a branch that arrives later gets a new one).
    _prefixes = _done = None

    def _join_token_prefixes(self):
        if self._prefixes is None:
            self._prefixes = super()._join_token_prefixes()
        return self._prefixes

    def is_done(self):
        if self._done is None:
            self._done = super().is_done()
        return self._done

    @JoinActivation.status.super()
    def complete(self):
        """viewflow's, without its savepoint where a failure rolls back the whole step anyway (the
        savepoint keeps a failed join as an ERROR row only with `context.propagate_exception` off)."""
        if not context.propagate_exception:
            super().complete.original()
            return
        join_prefixes = self._join_token_prefixes()
        if len(join_prefixes) > 1:
            raise FlowRuntimeError(f"Multiple tokens {join_prefixes} came to join {self.flow_task.name}")
        if join_prefixes and self.flow_task._continue_on_condition:
            active_tasks = self._active_join_tasks(next(iter(join_prefixes)))
            if active_tasks.exists() and self.flow_task._continue_on_condition(self, active_tasks):
                self.cancel_active_tasks(active_tasks)
        super(JoinActivation, self).complete.original()


class Join(flow.Join):
    """viewflow's Join, whose tasks carry on the step of the one that reached it."""

    activation_class = _JoinActivation


class _Passing:
    """A gateway that decides as it is created and is written once, already done: one INSERT of its
    row and one of the link to the task before it, where viewflow writes the row, reads in a
    savepoint and writes the whole row again (`create`, `activate`, `complete`). The decision is
    viewflow's own (`decide`: the node's `activate` without its FSM transition and savepoint); the
    next nodes follow from it as in viewflow (`create_next`, on the done row).

    The savepoint only matters where viewflow keeps a failed gateway as an ERROR row
    (`context.propagate_exception` off: a job or a timer completing). There the gateway is made as
    viewflow makes it; elsewhere a failing condition rolls back the whole step, as it would
    through viewflow's savepoint."""

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        if not context.propagate_exception:
            return super().create(flow_task, prev_activation, token, data=data, seed=seed)
        task = flow_task.flow_class.task_class(process=prev_activation.process, flow_task=flow_task, token=token)
        task.data = data if data is not None else {}
        task.seed = seed
        activation = cls(task)
        activation.decide()
        task.status, task.finished = STATUS.DONE, timezone.now()
        task.save()
        task.previous.add(prev_activation.task)
        activation.passed()
        return activation

    def passed(self):
        task_finished.send(sender=self.flow_class, process=self.process, task=self.task)


class _IfActivation(_Passing, IfActivation):
    def decide(self):
        self._condition_result = self.flow_task._condition(self)


class _SplitActivation(_Passing, SplitActivation):
    def decide(self):
        self.activate.original()  # viewflow's choice of branches (it takes no savepoint)


class _SwitchActivation(_Passing, SwitchActivation):
    def decide(self):
        """viewflow's `SwitchActivation.activate`, without its savepoint: the first case that holds,
        else the default (a default is taken unless a case after it holds)."""
        for node, condition in self.flow_task._branches:
            if not condition:
                self.next_task = node
            elif condition(self):
                self.next_task = node
                break
        if not self.next_task:
            raise FlowRuntimeError(f"No next task available for {self.flow_task.name}")


class _EndActivation(_Passing, EndActivation):
    """viewflow's `EndActivation.activate`, without its savepoint: the process is done when no
    other task of it is unfinished (its status and end time written, not the whole process row
    and its case link again)."""

    finishes = False

    def decide(self):
        self.task.started = timezone.now()
        task_started.send(sender=self.flow_class, process=self.process, task=self.task)
        unfinished = self.flow_class.task_class._default_manager.filter(process=self.process, finished__isnull=True)
        if not unfinished.exists():  # this task is not written yet: every unfinished one is another
            self.process.status, self.process.finished = STATUS.DONE, timezone.now()
            self.process.save(update_fields=["status", "finished"])
            self.finishes = True

    def passed(self):
        super().passed()
        if self.finishes:
            flow_finished.send(sender=self.flow_class, process=self.process, task=self.task)


class End(flow.End):
    """viewflow's End, written once (`_Passing`)."""

    activation_class = _EndActivation


class If(flow.If):
    """viewflow's If, written once when it passes (`_Passing`)."""

    activation_class = _IfActivation


class Split(flow.Split):
    """viewflow's Split, written once when it passes (`_Passing`)."""

    activation_class = _SplitActivation


class Switch(flow.Switch):
    """viewflow's Switch, written once when it passes (`_Passing`)."""

    activation_class = _SwitchActivation


def task_page(request, task_pk, **kwargs):
    """The node's view, as viewflow's constructor asks for one. viewflow's own task URLs are not
    routed: the task page is `workflows.web.tasks.task_detail` (URL name "task-detail")."""
    return redirect("task-detail", task_id=task_pk)


class CaseView(flow.View):
    """A human task of a case: a form and the core service that records the step.

    The task lands in the queue of the team responsible for the step (see
    `casework.responsibility`), any member with the required role may claim it, and its
    form (`form_class`) is the same for the web page and the API. Completing it calls
    `service(step=step, case=task.case, **form.cleaned_data)`; where the form's fields and the
    service's keywords differ, `arguments(task, data)` gives the keywords instead of the
    cleaned data. `exclude(case)` gives the id of a user who may not take the task (four eyes);
    `initial(task)` pre-fills the form on the page (e.g. a rejected advice for its redraft).
    `by_sector` gives a sector its own (title, description) where another team does the step.
    viewflow's `.Assign(owner)` may claim a new task for someone; it stays claimed only when the
    queue rules let that person take it, else it goes to the team's queue.
    """

    def __init__(self, *, form_class, service, title, description="", arguments=None, exclude=None, initial=None,
                 by_sector=None):
        super().__init__(task_page)
        self.form_class = form_class
        self.service = service
        self.arguments = arguments
        self.exclude = exclude
        self.initial = initial
        self.by_sector = by_sector or {}
        self.Annotation(title=title, description=description)

    def words_for(self, case) -> tuple:
        """(title, description) of this node's task on `case`: where another team does the step for
        a sector (the MBO institution's team advises on an MBO student's exemption), its own words."""
        return self.by_sector.get(case.sector, (self.task_title, self.task_description))

    def initial_values(self, task) -> dict:
        """What the task's form shows before the user types (empty unless the node pre-fills)."""
        return self.initial(task) if self.initial is not None and task.case_id else {}

    def service_arguments(self, task, data) -> dict:
        """The keywords of the step's service, besides the step."""
        return {"case": task.case, **(self.arguments(task, data) if self.arguments else data)}

    def perform(self, task, step: Step, data) -> None:
        """Record the step through its service (`data`: the form's cleaned data)."""
        self.service(step=step, **self.service_arguments(task, data))

    def prepare_task(self, task) -> None:
        """Fill the queue columns of a new task (called once, when it is first saved)."""
        team, role, region_role = responsible(task.case, self.name, rows_of(task))
        task.team = team
        task.required_role = role
        task.region_role = region_role
        step = step_of(task.process)
        opened = step.opened.get(task.case_id) if step is not None else None  # a case the step opened
        task.due_at = task_due_at(task.case, self.name, timezone.now(), team,
                                  started=opened.clocks if opened is not None else None)
        if self.exclude is not None:
            task.excluded_user_id = self.exclude(task.case)
        keep_claim_if_allowed(task)

    # viewflow consults these two; both defer to the queue rules.
    def can_assign(self, user, task):
        return task.owner_id is None and may_take(user, task)

    def can_execute(self, user, task):
        return task.owner_id == user.pk and may_take(user, task)


def keep_claim_if_allowed(task) -> None:
    """A task claimed at creation (`.Assign`) stays claimed only for someone who may take it."""
    if task.owner_id is not None:
        if may_take(task.owner, task):
            task.assigned = timezone.now()
        else:
            task.owner, task.status = None, STATUS.NEW


class MeetingActionView(CaseView):
    """An action a team meeting agreed: in the meeting's team's queue, claimed by the member the
    meeting chose (`.Assign`), due at the end of the chosen day (the process's data holds them)."""

    def prepare_task(self, task) -> None:
        data = task.process.data
        task.team_id = data["team_id"]
        task.required_role = task.region_role = ""
        day = dt.date.fromisoformat(data["due_on"])
        task.due_at = timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59)))
        keep_claim_if_allowed(task)


class VerificationView(CaseView):
    """The verification of a public signal: offered to the Leerplicht team of the signal's
    region, due within 48 hours (there is no case yet: the service gets the signal)."""

    def service_arguments(self, task, data) -> dict:
        return {"public_signal": task.public_signal, **data}

    def prepare_task(self, task) -> None:
        task.team = leerplicht_team(task.public_signal.region)
        task.due_at = timezone.now() + timezone.timedelta(hours=48)
