"""The flows' lock: viewflow's row lock on the process's base row (the row a task's step locks
together with the task in one query, `workflows.services.step`)."""

import random
import time
from contextlib import contextmanager

from django.db import DatabaseError, transaction
from viewflow.workflow import lock
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Process


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
