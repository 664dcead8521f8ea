"""Delivering a (subscription, case) stream: its pending events in event order, one at a time, each
until the receiver answers 2xx.

- The head (the stream's earliest pending delivery) is locked for its try (`FOR UPDATE SKIP
  LOCKED` on PostgreSQL): a second worker on the same stream finds it locked and leaves, so two
  workers never deliver a stream at once, and nobody passes a head that is still pending.
- A failed try keeps the head pending and holds the later events: it is tried again after a
  back-off that doubles with the time since its first try (30 s, 1, 2, 4 minutes, ... at most an
  hour), always with the same `webhook-id`.
- A day after its first try a head that still fails is marked failed (GIVE_UP_AFTER), and the
  stream goes on with the next event. `systems.subscriptions.redeliver` sends it again.
- A receiver over its rate answers 429 with `Retry-After`: the next try waits at least that long.
  One that answers 410 Gone is retired: its subscription ends (NL GOV guideline for the webhook
  pattern, "Delivering notifications").

What is kept of a try: when, the HTTP status, the error's class; never what the receiver answered."""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from systems import webhooks
from systems.models import Delivery, Subscription

log = logging.getLogger(__name__)

RETRY_SECONDS = 30
RETRY_MAX_SECONDS = 60 * 60
GIVE_UP_AFTER = timedelta(days=1)
PENDING, DELIVERED, FAILED = Delivery.Status.PENDING, Delivery.Status.DELIVERED, Delivery.Status.FAILED
# Deliveries still to send: of a subscription that has not ended, of a system not switched off.
LIVE = Q(subscription__ended_at__isnull=True, subscription__system__account__is_active=True)


def retry_at(first_tried_at, now, asked: int | None = None):
    """When a head that failed now is tried again: after as long as it has been failing (at least
    RETRY_SECONDS, at most RETRY_MAX_SECONDS), so the waits double, or after the receiver's
    `Retry-After` (`asked`) when that is longer; the last try at GIVE_UP_AFTER."""
    waited = (now - first_tried_at).total_seconds()
    wait = timedelta(seconds=max(min(RETRY_MAX_SECONDS, max(RETRY_SECONDS, waited)), asked or 0))
    return min(now + wait, first_tried_at + GIVE_UP_AFTER)


def deliver_stream(subscription_id: int, case_id: int) -> int:
    """Deliver the stream's due head, then the next, until none is left, one is not due yet or one
    fails (and is tried again later). Returns how many were delivered."""
    delivered = 0
    while True:
        outcome = deliver_head(subscription_id, case_id)
        if outcome == DELIVERED:
            delivered += 1
        elif outcome != FAILED:  # nothing to do, held by a back-off, or another worker has it
            return delivered


def deliver_head(subscription_id: int, case_id: int) -> str | None:
    """One try of the stream's head, in one transaction that holds its lock. Returns the head's
    status after the try (DELIVERED, FAILED: given up; PENDING: tried again later), or None when
    there was nothing to try."""
    now = timezone.now()
    with transaction.atomic():
        head_id = (Delivery.objects.filter(subscription_id=subscription_id, case_id=case_id, status=PENDING)
                   .order_by("event_id").values_list("pk", flat=True).first())
        if head_id is None:
            return None
        head = (Delivery.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("subscription", "event")
                .filter(LIVE, pk=head_id, status=PENDING, next_attempt_at__lte=now).first())
        if head is None:
            return None
        event = head.event
        body = webhooks.cloud_event(event_id=event.pk, case_id=head.case_id, kind=event.kind, at=event.at)
        answer = webhooks.deliver(url=head.subscription.callback_url, secret=head.subscription.secret,
                                  webhook_id=head.webhook_id, body=body)
        record(head, answer, now)
    return head.status


def record(head: Delivery, answer: webhooks.Answer, now) -> None:
    head.attempts += 1
    head.first_tried_at = head.first_tried_at or now
    head.last_tried_at = now
    head.last_status, head.last_error = answer.status, answer.error[:100]
    if answer.ok:
        head.status, head.delivered_at = DELIVERED, now
    elif now >= head.first_tried_at + GIVE_UP_AFTER:
        head.status, head.failed_at = FAILED, now
        log.error("event delivery %s (subscription %s) failed for a day (%s); given up after %s tries",
                  head.pk, head.subscription_id, answer.status or answer.error, head.attempts)
    else:
        head.next_attempt_at = retry_at(head.first_tried_at, now, answer.retry_after)
        log.warning("event delivery %s (subscription %s) failed (%s), try %s; the next at %s",
                    head.pk, head.subscription_id, answer.status or answer.error, head.attempts,
                    head.next_attempt_at.isoformat())
    head.save(update_fields=["attempts", "first_tried_at", "last_tried_at", "last_status", "last_error", "status",
                             "delivered_at", "failed_at", "next_attempt_at"])
    if answer.gone:  # the receiver is retired (410 Gone): its subscription ends, nothing more is sent
        Subscription.objects.filter(pk=head.subscription_id, ended_at__isnull=True).update(ended_at=now)
        log.warning("subscription %s ended: its callback answered 410 Gone", head.subscription_id)


def due_streams(limit: int = 1000, now=None) -> list[tuple[int, int]]:
    """The (subscription, case) streams whose head is due, the earliest due first; streams of
    ended subscriptions and switched-off systems are left."""
    now = now or timezone.now()
    earlier = Delivery.objects.filter(subscription_id=OuterRef("subscription_id"), case_id=OuterRef("case_id"),
                                      status=PENDING, event_id__lt=OuterRef("event_id"))
    heads = (Delivery.objects.filter(LIVE, status=PENDING, next_attempt_at__lte=now)
             .exclude(Exists(earlier)).order_by("next_attempt_at", "pk")
             .values_list("subscription_id", "case_id")[:limit])
    return [(subscription_id, case_id) for subscription_id, case_id in heads]
