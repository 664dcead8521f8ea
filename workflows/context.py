"""What a task's decision needs, shown above its form: the read path for the task page.

`decision_context(task)` gives the sections to show for the task's node (the team's question and
plan for the ECT drafter, the advice for the approver, ...); `recorded_events(task)` gives what a
completed task recorded. Both read only; the task page has already logged the case read.
"""

from workflows.models import CaseTask


def decision_context(task: CaseTask) -> list[dict]:
    """The sections to show above the task's form, in order (may be empty)."""
    return []


def recorded_events(task: CaseTask) -> list:
    """The case events a completed task recorded (empty for an open task)."""
    return []
