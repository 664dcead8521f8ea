"""A flow's start takes no lock on its new process (`workflows.locking.StartHandle`): until the
starting transaction commits, no other transaction sees the process row, so none could lock it
or wait on it (PostgreSQL, real connections)."""

import threading

import pytest
from django.db import connection, transaction
from viewflow.workflow.models import Process

from tests.flowkit import signal
from workflows.flows import ReviewFlow

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def from_another_transaction(pk: int) -> bool:
    """Whether another connection's transaction finds the process and locks it at once (NOWAIT)."""
    found = {}

    def look():
        try:
            with transaction.atomic():
                found["locked"] = Process.objects.select_for_update(nowait=True).filter(pk=pk).exists()
        finally:
            connection.close()

    thread = threading.Thread(target=look)
    thread.start()
    thread.join(timeout=30)
    return found["locked"]


def test_a_new_process_is_no_other_transactions_to_lock(api, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    with transaction.atomic():
        process = ReviewFlow.start.run(case=case, reason="ziek_review")
        assert Process.objects.filter(pk=process.pk).exists()  # ours, inside the transaction
        assert from_another_transaction(process.pk) is False  # invisible elsewhere: nothing to lock, no wait
    assert from_another_transaction(process.pk) is True  # after the commit it is everyone's
