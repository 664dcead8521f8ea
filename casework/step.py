"""One step: what a command needs besides its own arguments, handed to it explicitly.

A step is one transaction by one actor. It is begun in one of two places:

- a task's step (`workflows.services.step.task_step`): the task, its process and its case are
  loaded, locked and authorised in one query; the step holds the case (`hold`), knows that the
  actor may do the task's node (`authorised`) and reads the reference rows once (`rows`);
- any other command (a page, the API, a management command, the clocks): `Step.begin(actor)`
  opens the transaction, or a command called with `actor=` instead of `step=` does it itself
  (`casework.services.ladder.command`). Such a step reads everything afresh, as before.

The sweeper begins one step per batch (`casework.services.sweeper`): no actor, the batch's cases
held, the reference rows read once.

Every command takes the step as its first keyword argument and asks it who acts (`actor`), for
a case's locked row (`locked`) and for the reference rows (`rows`, handed to
`casework.responsibility`).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from casework.models import Case
from casework.responsibility import authorised


@dataclass(eq=False)
class Step:
    # Who acts: a user, or None for the sweeper and the clocks.
    actor: object | None
    # When the step began.
    now: datetime = field(default_factory=timezone.now)
    # The task whose step this is (None outside a task).
    task: object | None = None
    # Cases whose row the step locked and read (a task's step: with the task in one query; the
    # sweeper: a batch's cases); `locked` hands back that row instead of reading again.
    held: dict[int, Case] = field(default_factory=dict)
    # The reference rows read once in this step (`casework.responsibility`: a region's teams, a
    # case's team, the authorisation the step checked); None: every read is fresh.
    rows: dict | None = None

    @classmethod
    @contextmanager
    def begin(cls, actor, *, now=None, rows: dict | None = None) -> Iterator["Step"]:
        """A command's step outside a task: one transaction (nested in the caller's, if any)."""
        with transaction.atomic():
            yield cls(actor=actor, now=now or timezone.now(), rows=rows)

    def hold(self, *cases: Case) -> None:
        """The caller locked and has just read these cases' rows in this step's transaction."""
        self.held.update({case.pk: case for case in cases})

    def locked(self, case: Case) -> Case:
        """The case's row, locked for the rest of the step: the held one, or read FOR UPDATE."""
        held = self.held.get(case.pk)
        if held is not None:
            return held
        return Case.objects.select_for_update().get(pk=case.pk)

    @classmethod
    def of_task(cls, actor, task, case: Case | None) -> "Step":
        """A task's step. The caller (`workflows.services.step.task_step`) locked and read the task
        with its process and its case in one query, and checked under that lock that `actor` may
        take it: the step holds the case, counts that check as the authorisation for the task's
        node, and reads the reference rows once."""
        step = cls(actor=actor, task=task, rows={})
        if case is not None:
            authorised(step.rows, actor, case, task.node_name)
            step.hold(case)
        return step
