"""The flows' lock: viewflow's row lock on the process's base row (the row a task's step locks
together with the task in one query, `workflows.services.step`), and the start of a flow, which
needs none (its process is new)."""

import random
import time
from contextlib import contextmanager

from django.db import DatabaseError, transaction
from viewflow.workflow import flow, lock
from viewflow.workflow.activation import Activation
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Process
from viewflow.workflow.nodes.start import StartHandleActivation
from viewflow.workflow.signals import flow_started, task_started
from viewflow.workflow.status import STATUS


class ProcessRowLock(lock.SelectForUpdateLock):
    """viewflow's row lock (SELECT ... FOR UPDATE NOWAIT, retried), on the process's base row
    (`viewflow_process`) rather than its flow's own table: the row a task's step locks together
    with the task in one query (`workflows.services`), and the one `bulk_distribute` locks. On
    SQLite, which has no row locks, it is a plain transaction: SQLite serialises writers itself."""

    @contextmanager
    def __call__(self, flow_class, process_pk):
        for attempt in range(self.attempts):
            with transaction.atomic():
                try:
                    Process.objects.filter(pk=process_pk).select_for_update(nowait=self.nowait).exists()
                except DatabaseError:
                    if attempt == self.attempts - 1:
                        raise FlowLockFailed(f"Lock failed for {flow_class}") from None
                    time.sleep((((attempt + 1) * random.random()) + 2**attempt) / 2.5)  # noqa: S311 (jitter)
                else:
                    yield
                    break


process_row_lock = ProcessRowLock()


@contextmanager
def _inserted_here(flow_class, process_pk):
    """The lock on a process this transaction has just inserted: nothing to take. Until the
    transaction commits no other one sees the row (PostgreSQL: an uncommitted row is invisible to
    other snapshots, so their `FOR UPDATE` finds nothing to wait for; SQLite: one writer at a time,
    the lock is a plain transaction anyway), and at the commit any lock taken would end too."""
    yield


class _StartActivation(StartHandleActivation):
    """viewflow's start, without the lock and savepoints a new process does not need: it saves the
    process (an INSERT in the caller's transaction, or a transaction of its own when there is none)
    and moves it on under the flow's lock scope with `_inserted_here` as the lock, so work queued
    for after the lock (`after_lock_released`) still waits for the outermost lock's end. No savepoint
    around it: a failure rolls back the step that started the flow (no caller goes on after one)."""

    @Activation.status.transition(source=STATUS.NEW)
    def execute(self):
        task_started.send(sender=self.flow_class, process=self.process, task=self.task)
        with transaction.atomic(savepoint=False):
            self.process.save()
            with lock.lock_scope(_inserted_here, self.flow_class, self.process.pk):
                self.complete()
                flow_started.send(sender=self.flow_class, process=self.process, task=self.task)
                self.activate_next()


class StartHandle(flow.StartHandle):
    """viewflow's StartHandle (a flow started from code), its process moved on without a lock of
    its own (`_StartActivation`)."""

    activation_class = _StartActivation
