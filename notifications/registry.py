"""What notifications know of tasks, learnt from the app that owns them.

`notifications` sits below the flows and never imports them; a notice names its task by id only
(`OutboxEntry.task_id`, `Notification.task_id`, no foreign key). The flows' app registers, at
start-up (`workflows.apps`), the one `TaskSource` that reads its tasks: the tasks behind some ids,
the tasks a user holds, a case's most urgent open task and its open review, and who is invited to
a meeting. Until one is registered (a process that never loaded the flows) there are no tasks.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet


@dataclass(frozen=True)
class TaskSource:
    # ids -> {id: task} of those that exist; a task has `owner_id`, `team`, `team_id`,
    # `required_role`, `region_role`, `excluded_user_id` and `title`.
    tasks: Callable[[Iterable[int]], dict[int, Any]]
    # a user -> the ids of the tasks they hold (a queryset of ids, for a subquery)
    held_by: Callable[[Any], QuerySet]
    # a case -> its open human task that is due first, or None
    most_urgent: Callable[[Any], Any]
    # a case and the clock that asked for a review -> its oldest open review task, or None
    open_review: Callable[[Any, str], Any]
    # a meeting's id -> the ids of the users invited to it (a queryset of ids)
    meeting_invitees: Callable[[int], QuerySet]


_source: list[TaskSource] = []


def register_tasks(source: TaskSource) -> None:
    """Name the app's task source (again at a second start-up: the last one counts)."""
    _source[:] = [source]


def source() -> TaskSource | None:
    return _source[0] if _source else None


def tasks(ids: Iterable[int | None]) -> dict[int, Any]:
    """The tasks behind these ids, by id; ids of tasks that are gone (or None) are left out."""
    ids = {task_id for task_id in ids if task_id is not None}
    found = source()
    return found.tasks(ids) if ids and found is not None else {}


def task(task_id: int | None):
    """The task behind this id, or None (no id, or the task is gone)."""
    return tasks([task_id]).get(task_id) if task_id is not None else None


def held_by(user):
    """The ids of the tasks `user` holds (for `task__in=`)."""
    found = source()
    return found.held_by(user) if found is not None else []


def most_urgent_task(case):
    found = source()
    return found.most_urgent(case) if found is not None else None


def open_review(case, reason: str):
    found = source()
    return found.open_review(case, reason) if found is not None else None


def meeting_invitees(meeting_id: int):
    """The ids of the users invited to the meeting (for `pk__in=`)."""
    found = source()
    return found.meeting_invitees(meeting_id) if found is not None else []
