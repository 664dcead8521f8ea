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
`casework.responsibility`), and records its events in it (`record`): they are written together,
in one INSERT followed by the derived rows, when the step ends (`flush`), inside its transaction.
"""

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from casework.models import Case, CaseEvent
from casework.responsibility import authorised
from systems import outbox as event_push


@dataclass(eq=False)
class Opened:
    """A case the step created: its row (with its child), the clocks it started with and the
    exemption recorded with its signal, as the step wrote them. The monitor builds the new case's
    spells from these and the step's events (`casework.monitor.spells.write_opened`), once, when
    they are first written; its first team review is due by its 48-hour clock (`task_due_at`)."""

    case: Case
    clocks: list = field(default_factory=list)
    exemptions: list = field(default_factory=list)


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
    # The step's events, written together in one INSERT (and the derived rows after them) when
    # the step ends (`flush`); nothing in the step reads them back before then.
    events: list[CaseEvent] = field(default_factory=list)
    # A step begun inside another (`begin(within=...)`) shares its events: the outer one writes them.
    owns_events: bool = True
    # Whom the notices raised in the step name as their actor when their caller names none (a new
    # task's `task_available`): the user of a task's step, the coordinator distributing tasks, the
    # signaller while the case's flow starts; None elsewhere (the notice then names no one).
    notice_actor: object | None = None
    # The cases opened in this step (the intake), with what the monitor's spells of a new case are
    # built from besides its row and its events, so that the first flush writes them without reading
    # them back (`casework.monitor.derived.write`). Shared with the steps begun within this one.
    opened: dict[int, "Opened"] = field(default_factory=dict)

    @classmethod
    @contextmanager
    def begin(cls, actor, *, now=None, rows: dict | None = None, within: "Step | None" = None,
              durable: bool = False, notice_actor=None) -> Iterator["Step"]:
        """A command's step outside a task: one transaction (nested in the caller's, if any) whose
        events are written when it ends without an error. `within`: the step this one is part of
        (its reference rows and its events are that step's). `durable`: never nested, so that
        "committed" is known when it ends (an upload removes its file otherwise). `notice_actor`: see
        the field (a step within another names that step's)."""
        with transaction.atomic(durable=durable):
            if within is not None:
                step = cls(actor=actor, now=now or timezone.now(), rows=within.rows, events=within.events,
                           owns_events=False, notice_actor=within.notice_actor, opened=within.opened)
            else:
                step = cls(actor=actor, now=now or timezone.now(), rows=rows, notice_actor=notice_actor)
            mark = len(step.events)
            try:
                yield step
            except BaseException:
                del step.events[mark:]  # rolled back with the transaction: the shared list forgets them too
                raise
            step.flush()

    def telling_as(self, notice_actor) -> "Step":
        """This step, its notices naming `notice_actor` when their caller names none (the same
        transaction, held cases, rows and events)."""
        return dataclasses.replace(self, notice_actor=notice_actor, owns_events=False)

    def afterwards(self) -> "Step":
        """What of this step work queued for after its commit keeps (viewflow's `after_lock_released`):
        the actor and whom its notices name; rows are read afresh and it records no events."""
        return type(self)(actor=self.actor, notice_actor=self.notice_actor, owns_events=False)

    def by_the_clocks(self) -> "Step":
        """This step as the clocks act in it (a case signalled late, a startkwalificatie dated back:
        clocks already run out): no actor, the same transaction, held cases, rows and events."""
        return dataclasses.replace(self, actor=None, owns_events=False)

    def record(self, case: Case, actor, kind, *, at=None, **data) -> CaseEvent:
        """One event of the step, written with the others when the step ends. `kind`: a
        `CaseEvent.Kind` (an unknown kind raises ValueError at once), or a kind's typed
        constructor (anything with `build`, which checks the data first)."""
        build = getattr(kind, "build", None)
        event = build(case, actor, at=at, **data) if build is not None else CaseEvent.build(case, actor, kind, at=at,
                                                                                             **data)
        self.events.append(event)
        return event

    def record_many(self, events: list[CaseEvent]) -> list[CaseEvent]:
        """Events built with `CaseEvent.build`, written with the others when the step ends."""
        CaseEvent.check_kinds(events)
        self.events.extend(events)
        return events

    def flush(self) -> list[CaseEvent]:
        """Write the step's events so far in one INSERT, then their derived rows (`CaseEvent.
        record_many`) and their deliveries to the systems subscribed to them (`systems.outbox`);
        returns them, with their ids. A step that shares another's events leaves them to that step."""
        if not self.owns_events:
            return []
        written, self.events[:] = list(self.events), []
        if not written:
            return written
        CaseEvent.record_many(written, opened=self.opened)
        event_push.enqueue(written)  # the subscriptions' deliveries, in this transaction (systems.outbox)
        return written

    def open(self, case: Case) -> "Opened":
        """The step has just created this case: what it starts with is kept for the monitor's spells."""
        opened = self.opened[case.pk] = Opened(case=case)
        return opened

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
        step = cls(actor=actor, task=task, rows={}, notice_actor=actor)
        if case is not None:
            authorised(step.rows, actor, case, task.node_name)
            step.hold(case)
        return step
