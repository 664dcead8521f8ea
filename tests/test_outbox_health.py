"""The outbox gives up cleanly: a fan-out that fails is counted with its error (class and place,
never its message) and tried again later, each time twice as late; after
CASEWORK_OUTBOX_MAX_ATTEMPTS failures the entry is marked failed and no longer taken. The re-queue
takes the entries whose next attempt is due, earliest first, so failing entries never keep a good
one waiting. The health shows in `manage.py check_health` (non-zero when something failed or is
stuck) and above the outbox's list in the admin. Real database, real Celery (in-process, or a
queue no worker reads), time moved with time-machine."""

from datetime import timedelta
from functools import partial
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from notifications import delivery
from notifications.models import Notification, OutboxEntry
from notifications.services import queue_fan_out
from notifications.tasks import STALE_SECONDS, push_pending
from tests.factories import UserFactory
from tests.flowkit import signal
from tests.test_authz_matrix import ROLES
from tests.test_outbox import NoWorker, age, told

pytestmark = pytest.mark.django_db

# A kind this release does not know (an older release wrote it): its fan-out raises, every time.
POISON = "retired_kind"


def notify_retired(*, case, actor=None) -> OutboxEntry:
    """The entry an older release's `notify` wrote for POISON, fanned out after commit as `notify`'s
    are (this release's `notify` refuses a kind it does not know at the call)."""
    entry = OutboxEntry.objects.create(kind=POISON, case=case, actor=actor, created_at=timezone.now())
    transaction.on_commit(partial(queue_fan_out, entry.pk))
    return entry
ADMIN_LIST = "/admin/notifications/outboxentry/"


def reload(entry: OutboxEntry) -> OutboxEntry:
    entry.refresh_from_db()
    return entry


def check_health() -> tuple[str, str | None]:
    """`manage.py check_health`: what it printed, and its error when it exits non-zero."""
    out = StringIO()
    try:
        call_command("check_health", stdout=out)
    except CommandError as error:
        return out.getvalue(), str(error)
    return out.getvalue(), None


def test_a_poison_entry_is_retried_later_each_time_and_then_given_up(api, demo, u, caplog):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    with time_machine.travel(timezone.now(), tick=False) as clock:
        entry = notify_retired(case=case, actor=u["aoj"])  # its fan-out after commit fails at once
        reload(entry)
        assert entry.attempts == 1 and entry.fanned_out_at is None and entry.failed_at is None
        assert entry.last_error.startswith("ValueError at notifications/rules.py:")
        assert entry.last_error.endswith(" in audience")
        waits = []
        for attempt in range(2, 11):
            waits.append(int((entry.next_attempt_at - timezone.now()).total_seconds()))
            clock.move_to(entry.next_attempt_at - timedelta(seconds=1))
            assert push_pending() == 0 and reload(entry).attempts == attempt - 1  # not due yet
            clock.move_to(entry.next_attempt_at)
            assert push_pending() == 1
            assert reload(entry).attempts == attempt
        assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
        assert entry.failed_at == timezone.now()  # the tenth failure: given up
        clock.shift(timedelta(days=2))
        assert push_pending() == 0  # no re-queue takes it again
        assert delivery.fan_out(entry.pk) == 0  # nor does a late duplicate message
        assert reload(entry).attempts == 10
    assert not Notification.objects.filter(source=entry).exists()
    lines = [record for record in caplog.records if record.name == "notifications.delivery"]
    assert len(lines) == 10  # one line per failure
    assert lines[0].getMessage().endswith("attempt 1 of 10, the next in 30 s")
    assert lines[-1].levelname == "ERROR" and lines[-1].getMessage().endswith("attempt 10 of 10: given up")
    assert not any(name in record.getMessage() for record in lines for name in ("Sanne", "Testkind", POISON))


def test_the_maximum_is_a_setting(api, demo, u, settings):
    settings.CASEWORK_OUTBOX_MAX_ATTEMPTS = 2
    with time_machine.travel(timezone.now(), tick=False) as clock:
        entry = notify_retired(case=None)
        assert reload(entry).attempts == 1 and entry.failed_at is None
        clock.move_to(entry.next_attempt_at)
        assert push_pending() == 1
        assert reload(entry).attempts == 2 and entry.failed_at == timezone.now()


def test_a_good_entry_is_not_blocked_by_a_thousand_failing_ones(api, demo, u):
    """Before, the re-queue took the 1,000 oldest pending entries at every beat, so 1,000 entries
    that always fail kept every later one pending for ever. Now a failed entry waits out its
    back-off, and the beat takes what is due, earliest first: here 1,001 entries written an hour
    ago that failed before (three of them due again now, the others later), and a good entry
    written after all of them. A beat of three takes the three; the next beat takes the good one."""
    now = timezone.now()
    with time_machine.travel(now, tick=False) as clock:
        OutboxEntry.objects.bulk_create([OutboxEntry(
            kind=POISON, created_at=now - timedelta(hours=1), attempts=3,
            last_error="ValueError at notifications/rules.py:127 in audience",
            next_attempt_at=now - timedelta(seconds=3 - n) if n < 3 else now + timedelta(hours=1, seconds=n))
            for n in range(1001)])
        poison = list(OutboxEntry.objects.filter(kind=POISON).order_by("pk").values_list("pk", flat=True))
        with NoWorker():  # the good entry's message is lost: it waits for the re-queue too
            case = signal(api, u["aoj"], demo["schools"]["vo"])
        good = OutboxEntry.objects.get(kind="task_available", case=case)
        oldest_pending = OutboxEntry.objects.filter(fanned_out_at__isnull=True).order_by("created_at", "pk")
        assert good.pk not in oldest_pending.values_list("pk", flat=True)[:1000]  # what the old order took
        clock.shift(timedelta(seconds=STALE_SECONDS + 1))
        assert delivery.due_entries(limit=3) == poison[:3]  # the earliest due first
        assert push_pending(limit=3) == 3  # they fail again: each waits 4 minutes now
        assert reload(good).fanned_out_at is None
        assert delivery.due_entries(limit=3) == [good.pk]
        assert push_pending(limit=3) == 1
        assert reload(good).fanned_out_at is not None and told(source=good) == ["aoj_2"]
        failed_again = OutboxEntry.objects.filter(pk__in=poison[:3])
        assert {(entry.attempts, entry.next_attempt_at) for entry in failed_again} == {
            (4, timezone.now() + timedelta(minutes=4))}
        assert delivery.due_entries() == []


def test_an_entry_whose_message_is_lost_again_is_queued_again_later_not_at_every_beat(api, demo, u):
    with time_machine.travel(timezone.now(), tick=False) as clock, NoWorker():
        case = signal(api, u["aoj"], demo["schools"]["vo"])
        entry = OutboxEntry.objects.get(kind="task_available", case=case)
        clock.move_to(entry.next_attempt_at)
        assert push_pending() == 1  # queued to the broker; no worker takes it
        assert reload(entry).next_attempt_at == timezone.now() + timedelta(seconds=30)
        clock.shift(timedelta(seconds=29))
        assert push_pending() == 0
        clock.shift(timedelta(seconds=1))
        assert push_pending() == 1
    assert reload(entry).attempts == 0 and entry.fanned_out_at is None  # not a failure: nothing ran


def test_check_health_prints_the_counts_and_fails_when_an_entry_was_given_up(demo, settings):
    out, error = check_health()
    assert "outbox: 0 pending (0 retrying), 0 failed, 0 stuck" in out
    assert "notifications: 0 not pushed after 15 minutes" in out
    assert error is None and out.rstrip().endswith("healthy")
    settings.CASEWORK_OUTBOX_MAX_ATTEMPTS = 2
    with time_machine.travel(timezone.now(), tick=False) as clock:
        entry = notify_retired(case=None)  # failed once: retrying, nothing wrong yet
        out, error = check_health()
        assert "outbox: 1 pending (1 retrying), 0 failed, 0 stuck" in out and error is None
        clock.move_to(reload(entry).next_attempt_at)
        push_pending()  # the second failure: given up
    out, error = check_health()
    assert "outbox: 0 pending (0 retrying), 1 failed, 0 stuck" in out
    assert error == "unhealthy: outbox entries failed"


def test_check_health_fails_when_entries_or_pushes_are_stuck(api, demo, u):
    """No worker and no beat for a quarter of an hour: an entry never fanned out, then a row
    never pushed."""
    with NoWorker():
        case = signal(api, u["aoj"], demo["schools"]["vo"])
    stuck = OutboxEntry.objects.get(kind="task_available", case=case)
    age([stuck.pk], seconds=16 * 60)
    out, error = check_health()
    assert "outbox: 1 pending (0 retrying), 0 failed, 1 stuck" in out
    assert error == "unhealthy: outbox entries stuck"
    delivery.fan_out_rows(stuck.pk)  # the rows are written (dated when it happened); no push follows
    out, error = check_health()
    assert "outbox: 0 pending (0 retrying), 0 failed, 0 stuck" in out
    assert "notifications: 1 not pushed after 15 minutes" in out and error == "unhealthy: notifications not pushed"
    push_pending()  # the beat's re-push
    out, error = check_health()
    assert "notifications: 0 not pushed after 15 minutes" in out and error is None


def test_the_sweeper_loop_of_make_run_queues_the_outbox_again(api, demo, u):
    """`make run` has no beat: `sweep_deadlines` queues what is due (in-process there)."""
    with NoWorker():
        case = signal(api, u["aoj"], demo["schools"]["vo"])
    entry = OutboxEntry.objects.get(kind="task_available", case=case)
    age([entry.pk])
    out = StringIO()
    call_command("sweep_deadlines", stdout=out)
    assert "; 1 outbox entries queued again" in out.getvalue()
    assert reload(entry).fanned_out_at is not None and told(source=entry) == ["aoj_2"]


def test_the_admin_shows_the_health_and_lists_the_failed_entries(api, client, demo, u, settings):
    settings.CASEWORK_OUTBOX_MAX_ATTEMPTS = 1
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    good = OutboxEntry.objects.get(kind="task_available", case=case)
    failed = notify_retired(case=case)  # fails once: given up
    assert reload(failed).failed_at is not None
    client.force_login(UserFactory(username="beheer", is_staff=True, is_superuser=True))
    page = client.get(ADMIN_LIST)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Gezondheid van de outbox" in text and "Mislukt (opgegeven): 1" in text
    assert "Wachtend: 0, waarvan 0 eerder mislukt" in text and "Vastgelopen" in text
    assert "Vraagt aandacht" in text
    listed = client.get(ADMIN_LIST, {"state": "failed"}).content.decode()
    assert f'value="{failed.pk}"' in listed and f'value="{good.pk}"' not in listed
    assert "ValueError at notifications/rules.py:" in listed
    assert "Sanne" not in listed and "Testkind" not in listed  # ids only
    detail = client.get(f"{ADMIN_LIST}{failed.pk}/change/")
    assert detail.status_code == 200 and "Sanne" not in detail.content.decode()
    # tried again after the repair: a fresh count, taken by the next beat (here it fails again)
    answer = client.post(ADMIN_LIST, {"action": "try_again", "_selected_action": [failed.pk]})
    assert answer.status_code == 302
    assert reload(failed).failed_at is None and failed.attempts == 0 and failed.next_attempt_at <= timezone.now()
    assert push_pending() == 1
    assert reload(failed).attempts == 1 and failed.failed_at is not None


def test_the_admin_list_is_refused_to_a_staff_member_without_permission(client, demo):
    client.force_login(UserFactory(username="medewerker", is_staff=True))
    assert client.get(ADMIN_LIST).status_code == 403


def test_no_role_of_the_product_reaches_the_outbox_admin(client, demo, u):
    for role in ROLES:
        client.logout()
        if role != "anonymous":
            client.force_login(u[role])
        for path in (ADMIN_LIST, f"{ADMIN_LIST}?state=failed"):
            answer = client.get(path)
            assert answer.status_code == 302, (role, path)
            assert answer["Location"].startswith("/admin/login/"), (role, path)
