"""A viewflow View node for case work: offered to the queue of the responsible team."""

from django.utils import timezone
from viewflow.workflow import flow

from casework.deadlines import task_due_at
from casework.responsibility import responsible


class CaseView(flow.View):
    """A human task of a case.

    The task lands in the queue of the team responsible for the step (see
    `casework.responsibility`), any member with the required role may claim it, and its
    form (`form_class`) is the same for the web page and the API. `perform(task, actor,
    data)` records the step through a core service; `exclude(case)` names a user who may not
    take the task (four eyes).
    """

    def __init__(self, *, form_class, perform, title, description="", exclude=None):
        from workflows import views  # the task page; imported late to keep nodes importable alone

        super().__init__(views.task_detail)
        self.form_class = form_class
        self.perform = perform
        self.exclude = exclude
        self.Annotation(title=title, description=description)

    def prepare_task(self, task) -> None:
        """Fill the queue columns of a new task (called once, when it is first saved)."""
        team, role, region_role = responsible(task.case, self.name)
        task.team = team
        task.required_role = role
        task.region_role = region_role
        task.due_at = task_due_at(task.case, self.name, timezone.now())
        if self.exclude is not None:
            task.excluded_user = self.exclude(task.case)

    # viewflow consults these two; both defer to the inbox rules.
    def can_assign(self, user, task):
        from workflows.inbox import may_take

        return task.owner_id is None and may_take(user, task)

    def can_execute(self, user, task):
        from workflows.inbox import may_take

        return task.owner_id == user.pk and may_take(user, task)




class VerificationView(CaseView):
    """The verification of a public signal: offered to the Leerplicht team of the signal's
    region, due within 48 hours (there is no case yet)."""

    def prepare_task(self, task) -> None:
        from teams.models import leerplicht_team

        task.team = leerplicht_team(task.public_signal.region)
        task.due_at = timezone.now() + timezone.timedelta(hours=48)
