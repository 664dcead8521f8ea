"""The transactional outbox of the event push: the step that records case events calls `enqueue`
with them (casework.step), in its transaction, and this writes one Delivery per event and active
subscription that may receive it; after commit one task per (subscription, case) stream delivers
them in order (systems.delivery). A rolled-back step writes and sends nothing.

Who receives an event is decided here, at the moment it is recorded: a subscription that has not
ended, of an active system that holds the `events:read` scope, whose regions and schools
(`ConnectedSystem.case_filter`) hold the case now, and whose own filters (event types, regions,
schools) let it through. With no active subscription this costs one query."""

import logging
import uuid
from collections import defaultdict
from functools import partial

from django.db import transaction

from casework.models import Case, CaseEvent
from systems import scopes
from systems.models import Delivery, Subscription
from systems.tasks import deliver_stream
from systems.webhooks import event_type

log = logging.getLogger(__name__)


def new_webhook_id() -> str:
    """A message id for Standard Webhooks' `webhook-id`: one per delivery, kept across its tries."""
    return f"msg_{uuid.uuid4().hex}"


def lets_through(subscription: Subscription, kind: str, region_id: int | None, school_id: int | None) -> bool:
    """The subscription's own filters (empty: everything the system sees)."""
    return ((not subscription.event_types or event_type(kind) in subscription.event_types)
            and (not subscription.region_ids or region_id in subscription.region_ids)
            and (not subscription.school_ids or school_id in subscription.school_ids))


def enqueue(events: list[CaseEvent]) -> list[Delivery]:
    """The deliveries of just-written events (with their ids), in the caller's transaction; their
    streams are queued after commit. Returns the deliveries written."""
    if not events:
        return []
    subscriptions = list(Subscription.objects.filter(ended_at__isnull=True, system__account__is_active=True)
                         .select_related("system").order_by("pk"))
    if not subscriptions:
        return []
    per_system = defaultdict(list)
    for subscription in subscriptions:
        per_system[subscription.system].append(subscription)
    case_ids = {event.case_id for event in events}
    deliveries = []
    for system, theirs in per_system.items():
        if scopes.EVENTS_READ not in system.scope_list:
            continue
        seen = {pk: (region_id, school_id) for pk, region_id, school_id in
                Case.objects.filter(pk__in=case_ids).filter(system.case_filter())
                .values_list("pk", "region_id", "school_id")}
        deliveries += [Delivery(subscription=subscription, event=event, case_id=event.case_id,
                                webhook_id=new_webhook_id())
                       for subscription in theirs for event in events
                       if event.case_id in seen and lets_through(subscription, event.kind, *seen[event.case_id])]
    if deliveries:
        Delivery.objects.bulk_create(deliveries)
        transaction.on_commit(partial(queue_streams, sorted({(d.subscription_id, d.case_id) for d in deliveries})))
    return deliveries


def queue_streams(streams) -> None:
    """One task per (subscription, case) stream (in-process when Celery is eager). A broker that is
    down loses nothing: the deliveries stay pending and the beat's `deliver_due` queues them."""
    for subscription_id, case_id in streams:
        try:
            deliver_stream.delay(subscription_id, case_id)
        except Exception as error:  # noqa: BLE001 - committed already; the beat queues the stream again
            log.warning("queueing the event deliveries of subscription %s failed (%s); they stay pending",
                        subscription_id, type(error).__name__)
