"""The write path for tasks: claim, release and complete; follow-up dates; distribution of
several tasks at once by a coordinator. Each call is one transaction under
the flow's process lock; completing a task records its step through a core service and lets
the flow create what comes next.

step (loading, locking and authorising a task in one query), tasks (claim, release, complete,
follow-up dates), distribution (by a coordinator).

Errors: Http404 (the case is not visible), PermissionDenied (visible, but not this user's
task: 403), TaskConflict (no longer open or claimed by someone else: 409), ValidationError
(bad payload, field errors: 400). Nothing changes on any error.
"""

from workflows.services.distribution import bulk_distribute  # noqa: F401 (re-exported)
from workflows.services.step import TaskConflict, refusal, stalled_message, task_for_user  # noqa: F401
from workflows.services.tasks import (  # noqa: F401 (re-exported)
    announce_follow_ups,
    claim_task,
    complete_task,
    is_coordinator_of,
    log_task_read,
    set_follow_up,
    task_form,
    unclaim_task,
)
