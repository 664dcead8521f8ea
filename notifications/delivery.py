"""Delivery: the websocket push after commit (ids and counts only), and the re-push of what a
Redis outage left unpushed. Failures are logged without personal data."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db.models import Count, Q
from django.utils import timezone

from notifications.models import Notification

log = logging.getLogger(__name__)


def group_for(user_id: int) -> str:
    return f"user-{user_id}"


def push(ids) -> int:
    """Send each notification to its recipient's group; mark it pushed. Returns how many went."""
    rows = list(Notification.objects.filter(pk__in=ids, pushed_at__isnull=True)
                .values("pk", "recipient_id", "kind", "case_id", "task_id"))
    if not rows:
        return 0
    unread = dict(Notification.objects.filter(recipient_id__in={r["recipient_id"] for r in rows})
                  .values("recipient_id").annotate(n=Count("pk", filter=Q(read_at__isnull=True)))
                  .values_list("recipient_id", "n"))
    layer = get_channel_layer()
    sent = []
    for row in rows:
        message = {"type": "notification.message", "id": row["pk"], "kind": row["kind"], "case": row["case_id"],
                   "task": row["task_id"], "unread": unread.get(row["recipient_id"], 0)}
        try:
            async_to_sync(layer.group_send)(group_for(row["recipient_id"]), message)
        except Exception as error:  # noqa: BLE001 - any layer failure: keep it for push_pending()
            log.warning("push of notification %s failed (%s); it stays pending", row["pk"], type(error).__name__)
            break
        sent.append(row["pk"])
    if sent:
        Notification.objects.filter(pk__in=sent, pushed_at__isnull=True).update(pushed_at=timezone.now())
    return len(sent)


def push_pending(older_than_seconds: int = 0, limit: int = 1000) -> int:
    """Push the notifications a failed push left behind (after a Redis outage)."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    ids = list(Notification.objects.filter(pushed_at__isnull=True, created_at__lte=cutoff)
               .order_by("created_at").values_list("pk", flat=True)[:limit])
    return push(ids) if ids else 0
