"""Background delivery of the event push (Celery; eager without Redis): one task per
(subscription, case) stream, queued after the commit that wrote its deliveries, and the beat's
`deliver_due` that queues the streams whose head is due again (a back-off waited out, a lost
message)."""

import logging

from celery import shared_task
from kombu.exceptions import OperationalError

from systems import delivery

log = logging.getLogger(__name__)
# At most this many streams are queued per beat.
DUE_LIMIT = 1000


@shared_task(name="systems.deliver_stream", acks_late=True)
def deliver_stream(subscription_id: int, case_id: int) -> int:
    """Deliver the stream's pending events in order, up to the first that fails (it holds the rest)."""
    return delivery.deliver_stream(subscription_id, case_id)


@shared_task(name="systems.deliver_due")
def deliver_due(limit: int = DUE_LIMIT) -> int:
    """Every 30 s (beat): queue the streams whose head is due, the earliest due first. Returns how
    many it queued. A stream queued twice is delivered once: the second task finds its head locked
    or sent."""
    queued = 0
    for subscription_id, case_id in delivery.due_streams(limit=limit):
        try:
            deliver_stream.delay(subscription_id, case_id)
        except OperationalError as error:  # the broker is down: the next beat tries again
            log.warning("queueing the event deliveries of subscription %s failed (%s)", subscription_id,
                        type(error).__name__)
            break
        queued += 1
    return queued
