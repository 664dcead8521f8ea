"""Delivery: the fan-out of an outbox entry to its audience (resolved at fan-out time), the
websocket push after commit (ids and counts only), the re-queue of entries whose fan-out did not
happen or failed (with back-off, giving up after CASEWORK_OUTBOX_MAX_ATTEMPTS failures), the
re-push of what a Redis outage left unpushed, and the outbox's health. Failures are logged
without personal data."""

import logging
import traceback
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from notifications import rules
from notifications.models import Notification, OutboxEntry

log = logging.getLogger(__name__)

# After the n-th failed fan-out of an entry the next attempt is RETRY_SECONDS * 2^(n-1) later, at
# most RETRY_MAX_SECONDS: 30 s, 1, 2, 4, 8, 16, 32 minutes, then hourly; with 10 attempts an entry
# is given up about three hours after its first failure.
RETRY_SECONDS = 30
RETRY_MAX_SECONDS = 60 * 60
# What the health check calls stuck: an entry never fanned out this long after it was written, or
# not tried again this long after its time (no worker or no beat running); a notification not
# pushed this long after it was written (the channel layer away, or no beat).
STUCK_SECONDS = 15 * 60


def group_for(user_id: int) -> str:
    return f"user-{user_id}"


# Kinds about a task: without the task (deleted since) there is nobody to tell.
TASK_KINDS = frozenset({Notification.Kind.TASK_AVAILABLE, Notification.Kind.FOLLOW_UP_DUE})


def recipients(entry: OutboxEntry) -> list[int]:
    """Who hears about this entry, resolved now (notifications.rules): active, able to see the
    case now, never the actor. The task is taken as it was when this happened as to its owner
    (claimed at creation: only them); its team, role and four-eyes exclusion never change."""
    task = entry.task
    if task is not None:
        task.owner_id = entry.task_owner_id
    elif entry.kind in TASK_KINDS:
        return []
    users = rules.audience(entry.kind, case=entry.case, task=task, data=entry.data).filter(is_active=True)
    if entry.case_id is not None:  # team-level notices (meetings) concern no case
        users = users.filter(rules.can_see(entry.case))
    if entry.actor_id is not None:
        users = users.exclude(pk=entry.actor_id)
    return list(users.values_list("pk", flat=True).distinct())


def fan_out(entry_id: int) -> int:
    """Turn one outbox entry into its recipients' rows and mark it done, in one transaction; push
    after commit. Idempotent: a second run (a retry, the beat's re-queue, a duplicate message)
    finds the entry done, or locked by the run in progress, and writes nothing; the rows are
    unique per entry and recipient. A failure is recorded on the entry (`record_failure`), not
    raised. Returns how many rows this run wrote."""
    ids = fan_out_rows(entry_id)
    if ids:
        transaction.on_commit(partial(push, ids))
    return len(ids)


def fan_out_many(entry_ids: list[int]) -> int:
    """`fan_out` for a batch of entries (the sweeper's), each in its own transaction (one that
    fails is recorded and tried again later, the others are done), and one push for all their
    rows at the end. Returns how many rows were written."""
    ids = []
    for entry_id in entry_ids:
        ids += fan_out_rows(entry_id)
    if ids:
        transaction.on_commit(partial(push, ids))
    return len(ids)


def fan_out_rows(entry_id: int) -> list[int]:
    """The recipients' rows of one entry written and the entry marked done, in one transaction;
    the ids of the rows still to push (none when another run had the entry, when it was given up,
    or when this fan-out failed: then the failure is recorded and the entry waits for its next
    attempt)."""
    try:
        with transaction.atomic():
            entry = (OutboxEntry.objects.select_for_update(skip_locked=True, of=("self",))
                     .filter(pk=entry_id, fanned_out_at__isnull=True, failed_at__isnull=True)
                     .select_related("case").first())
            if entry is None:
                return []
            Notification.objects.bulk_create([
                Notification(source=entry, recipient_id=user_id, kind=entry.kind, case_id=entry.case_id,
                             task_id=entry.task_id if entry.task is not None else None, data=entry.data,
                             created_at=entry.created_at)
                for user_id in recipients(entry)
            ], ignore_conflicts=True)
            OutboxEntry.objects.filter(pk=entry.pk).update(fanned_out_at=timezone.now())
            return list(Notification.objects.filter(source=entry, pushed_at__isnull=True)
                        .values_list("pk", flat=True))
    except Exception as error:  # noqa: BLE001 - any failure of this entry: counted, tried again later
        record_failure(entry_id, error)
        return []


def max_attempts() -> int:
    return max(1, int(settings.CASEWORK_OUTBOX_MAX_ATTEMPTS))


def retry_delay(failures: int) -> timedelta:
    """How long after its `failures`-th failure an entry is tried again."""
    return timedelta(seconds=min(RETRY_MAX_SECONDS, RETRY_SECONDS * 2 ** max(0, failures - 1)))


def error_summary(error: BaseException) -> str:
    """The error's class and where in casework it was raised ("ValueError at
    notifications/rules.py:127 in audience"); never its message, which may quote data."""
    name = type(error).__qualname__
    base = Path(settings.BASE_DIR).resolve()
    frames = traceback.extract_tb(error.__traceback__)
    ours = [frame for frame in frames if "site-packages" not in frame.filename
            and Path(frame.filename).resolve().is_relative_to(base)]
    if not (ours or frames):
        return name[:200]
    frame = (ours or frames)[-1]
    path = Path(frame.filename).resolve()
    where = path.relative_to(base).as_posix() if path.is_relative_to(base) else path.name
    return f"{name} at {where}:{frame.lineno} in {frame.name}"[:200]


def record_failure(entry_id: int, error: BaseException) -> None:
    """One failed fan-out of this entry: counted, its error kept (class and place only), and its
    next attempt set after the back-off; after CASEWORK_OUTBOX_MAX_ATTEMPTS failures it is marked
    failed, and no re-queue takes it again (the admin's "try again" does). One log line."""
    now = timezone.now()
    with transaction.atomic():
        entry = (OutboxEntry.objects.select_for_update()
                 .filter(pk=entry_id, fanned_out_at__isnull=True, failed_at__isnull=True)
                 .only("pk", "attempts").first())
        if entry is None:
            return
        entry.attempts += 1
        entry.last_error = error_summary(error)
        if entry.attempts >= max_attempts():
            entry.failed_at = now
        else:
            entry.next_attempt_at = now + retry_delay(entry.attempts)
        entry.save(update_fields=["attempts", "last_error", "failed_at", "next_attempt_at"])
    if entry.failed_at:
        log.error("the fan-out of outbox entry %s failed (%s); attempt %s of %s: given up",
                  entry_id, entry.last_error, entry.attempts, max_attempts())
    else:
        log.warning("the fan-out of outbox entry %s failed (%s); attempt %s of %s, the next in %s s",
                    entry_id, entry.last_error, entry.attempts, max_attempts(),
                    int(retry_delay(entry.attempts).total_seconds()))


def due_entries(limit: int = 1000, now=None) -> list[int]:
    """The outbox entries whose next attempt is due: not fanned out a minute after they were
    written (a worker died, the broker was down), or failed before and waited out their
    back-off. The earliest due first, so that entries failing again (each then waits longer)
    never keep the others waiting; given-up entries are not taken."""
    now = now or timezone.now()
    return list(OutboxEntry.objects.filter(fanned_out_at__isnull=True, failed_at__isnull=True,
                                           next_attempt_at__lte=now)
                .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])


def lease(entry_ids: list[int], now=None) -> int:
    """The entries just queued again and still due get their next attempt moved past the back-off
    of one more failure, so that a message that is lost again (no worker) is queued again later,
    not at every beat; a failure or success recorded meanwhile is left as it is."""
    now = now or timezone.now()
    still_due = OutboxEntry.objects.filter(pk__in=entry_ids, fanned_out_at__isnull=True, failed_at__isnull=True,
                                           next_attempt_at__lte=now)
    leased = 0
    for attempts in set(still_due.values_list("attempts", flat=True)):
        leased += still_due.filter(attempts=attempts).update(next_attempt_at=now + retry_delay(attempts + 1))
    return leased


def try_again(entry_ids) -> int:
    """Given-up or waiting entries tried again at the next re-queue, with a fresh count (after the
    cause was repaired; the admin's action). Returns how many."""
    return (OutboxEntry.objects.filter(pk__in=list(entry_ids), fanned_out_at__isnull=True)
            .update(failed_at=None, attempts=0, next_attempt_at=timezone.now()))


def push(ids) -> int:
    """Send each notification to its recipient's group; mark it pushed. Returns how many went."""
    rows = list(Notification.objects.filter(pk__in=ids, pushed_at__isnull=True)
                .values("pk", "recipient_id", "kind", "case_id", "task_id"))
    if not rows:
        return 0
    unread = dict(Notification.objects.filter(recipient_id__in={r["recipient_id"] for r in rows})
                  .values("recipient_id").annotate(n=Count("pk", filter=Q(read_at__isnull=True)))
                  .values_list("recipient_id", "n"))
    messages = [(row["pk"], group_for(row["recipient_id"]),
                 {"type": "notification.message", "id": row["pk"], "kind": row["kind"], "case": row["case_id"],
                  "task": row["task_id"], "unread": unread.get(row["recipient_id"], 0)}) for row in rows]
    sent = async_to_sync(_send_all)(get_channel_layer(), messages)
    if sent:
        Notification.objects.filter(pk__in=sent, pushed_at__isnull=True).update(pushed_at=timezone.now())
    return len(sent)


async def _send_all(layer, messages) -> list[int]:
    """Send the messages in one event loop (one connection to the layer, not one per message);
    stop at the first failure. Returns the ids sent."""
    sent = []
    for pk, group, message in messages:
        try:
            await layer.group_send(group, message)
        except Exception as error:  # noqa: BLE001 - any layer failure: keep it for push_pending()
            log.warning("push of notification %s failed (%s); it stays pending", pk, type(error).__name__)
            break
        sent.append(pk)
    return sent


def push_pending(older_than_seconds: int = 0, limit: int = 1000) -> int:
    """Push the notifications a failed push left behind (after a Redis outage)."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    ids = list(Notification.objects.filter(pushed_at__isnull=True, created_at__lte=cutoff)
               .order_by("created_at").values_list("pk", flat=True)[:limit])
    return push(ids) if ids else 0


@dataclass(frozen=True)
class Health:
    """The outbox's state, for the admin and `manage.py check_health`."""

    pending: int  # not fanned out yet, not given up
    retrying: int  # of those, failed at least once
    failed: int  # given up
    stuck: int  # pending, and never tried or not tried again for STUCK_SECONDS past their time
    unpushed: int  # notifications not pushed STUCK_SECONDS after they were written

    @property
    def healthy(self) -> bool:
        return not (self.failed or self.stuck or self.unpushed)


def health(now=None) -> Health:
    now = now or timezone.now()
    late = now - timedelta(seconds=STUCK_SECONDS)
    pending = OutboxEntry.objects.filter(fanned_out_at__isnull=True, failed_at__isnull=True)
    counts = pending.aggregate(
        pending=Count("pk"), retrying=Count("pk", filter=Q(attempts__gt=0)),
        stuck=Count("pk", filter=Q(next_attempt_at__lt=late) | Q(attempts=0, created_at__lt=late)))
    return Health(pending=counts["pending"], retrying=counts["retrying"], stuck=counts["stuck"],
                  failed=OutboxEntry.objects.filter(failed_at__isnull=False).count(),
                  unpushed=Notification.objects.filter(pushed_at__isnull=True, created_at__lt=late).count())
