"""Delivery: the fan-out of an outbox entry to its audience (resolved at fan-out time), the
websocket push after commit (ids and counts only), and the re-push of what a Redis outage left
unpushed. Failures are logged without personal data."""

import logging
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from notifications import rules
from notifications.models import Notification, OutboxEntry

log = logging.getLogger(__name__)


def group_for(user_id: int) -> str:
    return f"user-{user_id}"


# Kinds about a task: without the task (deleted since) there is nobody to tell.
TASK_KINDS = frozenset({"task_available", "follow_up_due"})


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
    unique per entry and recipient. Returns how many rows this run wrote."""
    ids = fan_out_rows(entry_id)
    if ids:
        transaction.on_commit(partial(push, ids))
    return len(ids)


def fan_out_many(entry_ids: list[int]) -> int:
    """`fan_out` for a batch of entries (the sweeper's), each in its own transaction (one that
    fails stays pending for `push_pending`, the others are done), and one push for all their rows
    at the end. Returns how many rows were written."""
    ids = []
    for entry_id in entry_ids:
        try:
            ids += fan_out_rows(entry_id)
        except Exception as error:  # noqa: BLE001 - this entry stays pending; the beat queues it again
            log.warning("the fan-out of outbox entry %s failed (%s); it stays pending", entry_id,
                        type(error).__name__)
    if ids:
        transaction.on_commit(partial(push, ids))
    return len(ids)


def fan_out_rows(entry_id: int) -> list[int]:
    """The recipients' rows of one entry written and the entry marked done, in one transaction;
    the ids of the rows still to push (none when another run had the entry)."""
    with transaction.atomic():
        entry = (OutboxEntry.objects.select_for_update(skip_locked=True, of=("self",))
                 .filter(pk=entry_id, fanned_out_at__isnull=True).select_related("case", "task").first())
        if entry is None:
            return []
        Notification.objects.bulk_create([
            Notification(source=entry, recipient_id=user_id, kind=entry.kind, case_id=entry.case_id,
                         task_id=entry.task_id, data=entry.data, created_at=entry.created_at)
            for user_id in recipients(entry)
        ], ignore_conflicts=True)
        OutboxEntry.objects.filter(pk=entry.pk).update(fanned_out_at=timezone.now())
        return list(Notification.objects.filter(source=entry, pushed_at__isnull=True).values_list("pk", flat=True))


def stale_entries(older_than_seconds: int = 60, limit: int = 1000) -> list[int]:
    """Outbox entries not fanned out within `older_than_seconds` (a worker died, the broker was
    down): the beat queues them again."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    return list(OutboxEntry.objects.filter(fanned_out_at__isnull=True, created_at__lte=cutoff)
                .order_by("created_at").values_list("pk", flat=True)[:limit])


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
