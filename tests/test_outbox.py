"""The notification outbox: a step writes one outbox row in its own transaction; after commit a
Celery task resolves the audience, writes the recipients' rows once and marks the row done in one
transaction, then pushes. Nothing is lost when the fan-out never runs (a worker killed between
the write and the fan-out): the beat's `push_pending` queues the row again after a minute, and it
is delivered exactly once. Real database, real channel layer (in-memory on SQLite, Redis on
PostgreSQL), real Celery (eager, or a queue that no worker reads)."""

import pytest
from channels.db import database_sync_to_async
from django.db import IntegrityError, transaction
from django.utils import timezone

from casework.celery import app
from notifications import delivery
from notifications.models import Notification, OutboxEntry
from notifications.services import notify
from notifications.tasks import STALE_SECONDS, push_pending
from teams.models import Membership
from tests.flowkit import open_task, signal, users
from tests.test_realtime import WAIT, assert_nothing_before_marker, connect


def told(**filters) -> list[str]:
    return sorted(Notification.objects.filter(**filters).values_list("recipient__username", flat=True))


class NoWorker:
    """Celery queues to its broker and no worker ever takes the message: a worker killed between
    the outbox write and the fan-out. The queue is emptied afterwards."""

    def __enter__(self):
        self.eager = app.conf.task_always_eager
        app.conf.task_always_eager = False
        return self

    def __exit__(self, *exc):
        app.conf.task_always_eager = self.eager
        app.control.purge()


def age(entry_ids, seconds=STALE_SECONDS + 1) -> None:
    """The entries were written `seconds` ago (the beat re-queues only what is a minute old)."""
    written = timezone.now() - timezone.timedelta(seconds=seconds)
    OutboxEntry.objects.filter(pk__in=entry_ids).update(
        created_at=written, next_attempt_at=written + timezone.timedelta(seconds=STALE_SECONDS))


@pytest.mark.django_db
def test_the_step_writes_one_outbox_row_and_the_rows_come_after_commit(api, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    Notification.objects.all().delete()
    with transaction.atomic():
        entry = notify(kind="case_closed", case=case, actor=u["aoj"], data={"outcome": "x"})
        assert OutboxEntry.objects.filter(kind="case_closed").count() == 1
        assert not Notification.objects.filter(kind="case_closed").exists()  # nobody is resolved inside the step
        assert entry.fanned_out_at is None and entry.actor == u["aoj"]
    entry.refresh_from_db()
    assert entry.fanned_out_at is not None
    assert told(kind="case_closed") == ["aoj_2"]
    row = Notification.objects.get(kind="case_closed")
    assert row.source == entry and row.created_at == entry.created_at and row.data == {"outcome": "x"}
    assert row.pushed_at is not None  # pushed after the fan-out committed


@pytest.mark.django_db
def test_a_second_fan_out_writes_nothing_and_rows_are_unique_per_entry_and_recipient(api, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    entry = OutboxEntry.objects.get(kind="task_available", case=case)
    assert told(source=entry) == ["aoj_2"]
    assert delivery.fan_out(entry.pk) == 0  # done: a duplicate message writes nothing
    OutboxEntry.objects.filter(pk=entry.pk).update(fanned_out_at=None)  # as if the mark was lost
    assert delivery.fan_out(entry.pk) == 0  # the row is there: ignored, not doubled
    assert told(source=entry) == ["aoj_2"]
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(source=entry, recipient=u["aoj_2"], kind=entry.kind, case=case)


@pytest.mark.django_db
def test_the_audience_is_resolved_at_fan_out_time_with_the_task_as_it_was(api, demo, u):
    with NoWorker():
        case = signal(api, u["aoj"], demo["schools"]["vo"])
        entry = OutboxEntry.objects.get(kind="task_available", case=case)
        assert entry.fanned_out_at is None and not Notification.objects.filter(case=case).exists()
        # before the fan-out a colleague claims the new task: the team still hears of it (it was
        # new and unclaimed when it was announced), not only the one who claimed it
        task = open_task(case, "team_review")
        assert api(u["aoj_2"]).post(f"/api/tasks/{task.pk}/claim/").status_code == 200
        notify(kind="registration_changed", case=case, actor=u["aoj_2"], data={"registration": "x"})
        # ... and someone who can no longer see the case by then is not told
        Membership.objects.filter(user=u["aoj"], team__in=case.participants.values("team")).delete()
    pending = list(OutboxEntry.objects.filter(fanned_out_at__isnull=True).values_list("pk", flat=True))
    assert len(pending) == 2
    assert push_pending.delay().get() == 0  # not a minute old yet: the worker may still be busy
    age(pending)
    assert push_pending.delay().get() == 2
    assert told(source=entry) == ["aoj_2"]
    assert told(kind="registration_changed") == []  # aoj left the team; aoj_2 acted
    assert not OutboxEntry.objects.filter(fanned_out_at__isnull=True).exists()


@pytest.mark.django_db
def test_a_task_whose_subject_was_deleted_tells_nobody(api, demo, u):
    with NoWorker():
        case = signal(api, u["aoj"], demo["schools"]["vo"])
    entry = OutboxEntry.objects.get(kind="task_available", case=case)
    OutboxEntry.objects.filter(pk=entry.pk).update(task=None)  # the task row is gone (SET NULL)
    assert delivery.fan_out(entry.pk) == 0
    entry.refresh_from_db()
    assert entry.fanned_out_at is not None and not Notification.objects.filter(source=entry).exists()


@pytest.mark.django_db(transaction=True)
async def test_a_worker_killed_between_write_and_fan_out_loses_nothing(api, demo):

    u = await database_sync_to_async(users)(demo)
    listener, connected, _ = await connect(u["aoj_2"])
    assert connected
    assert (await listener.receive_json_from(timeout=WAIT))["type"] == "hello"

    def signal_with_the_worker_dead():
        with NoWorker():
            return signal(api, u["aoj"], demo["schools"]["vo"])

    case = await database_sync_to_async(signal_with_the_worker_dead)()
    # the action committed and its outbox row is there; no fan-out ran: no row, no push
    entry = await database_sync_to_async(lambda: OutboxEntry.objects.get(kind="task_available", case=case))()
    assert entry.fanned_out_at is None
    assert not await database_sync_to_async(Notification.objects.filter(case=case).exists)()
    await assert_nothing_before_marker(listener, u["aoj_2"])
    # a minute later the beat queues it again: delivered to the team, once
    await database_sync_to_async(age)([entry.pk])
    assert await database_sync_to_async(lambda: push_pending.delay().get())() == 1
    message = await listener.receive_json_from(timeout=WAIT)
    assert message["kind"] == "task_available" and message["case"] == case.pk and message["unread"] == 1
    rows = await database_sync_to_async(
        lambda: list(Notification.objects.filter(case=case).values_list("recipient__username", "source_id")))()
    assert rows == [("aoj_2", entry.pk)]
    # the next beat, and a late duplicate of the lost message, find it done
    assert await database_sync_to_async(lambda: push_pending.delay().get())() == 0
    assert await database_sync_to_async(delivery.fan_out)(entry.pk) == 0
    await assert_nothing_before_marker(listener, u["aoj_2"])  # exactly once
    assert await database_sync_to_async(Notification.objects.filter(case=case).count)() == 1
    await listener.disconnect()
