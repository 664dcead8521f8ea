"""Background delivery (Celery; eager without Redis): the fan-out of the outbox, the e-mail
fallback, and the beat's re-queue and re-push of what a dead worker or a Redis outage left."""

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from kombu.exceptions import OperationalError

from notifications import delivery
from notifications.models import REQUEUE_AFTER_SECONDS, Notification
from notifications.presentation import describe

log = logging.getLogger(__name__)
BREACH = "deadline_breached"
# An outbox entry still pending after this long is queued again (its fan-out never ran or died).
STALE_SECONDS = REQUEUE_AFTER_SECONDS
# At most this many entries are queued again per beat.
REQUEUE_LIMIT = 1000


def email_delay():
    return timezone.timedelta(minutes=int(getattr(settings, "CASEWORK_EMAIL_DELAY_MINUTES", 15)))


@shared_task(name="notifications.email_unread", bind=True, max_retries=3, default_retry_delay=60)
def email_unread(self) -> int:
    """E-mail breaches at once and other notifications still unread after the delay; each at
    most once: the row is claimed (emailed_at) before the mail goes, so a retry or a second
    worker never sends it again."""
    now = timezone.now()
    due = (Notification.objects.filter(emailed_at__isnull=True, read_at__isnull=True)
           .filter(Q(kind=BREACH) | Q(created_at__lte=now - email_delay()))
           .exclude(Q(recipient__notification_pref__email_non_breach=False) & ~Q(kind=BREACH))
           .exclude(recipient__email="")
           .values_list("pk", flat=True)[:500])
    sent = 0
    for pk in list(due):
        if not Notification.objects.filter(pk=pk, emailed_at__isnull=True).update(emailed_at=now):
            continue  # another run has it
        notification = Notification.objects.select_related("recipient").get(pk=pk)
        with override(settings.LANGUAGE_CODE):
            title, url = describe(notification)
            body = _("%(title)s\n\nOpen it in casework: %(url)s\n\nThis message contains no personal data; "
                     "the details are in casework.") % {"title": title, "url": settings.CASEWORK_BASE_URL + url}
            send_mail(subject=f"casework: {title}", message=body, from_email=None,
                      recipient_list=[notification.recipient.email])
        sent += 1
    return sent


@shared_task(name="notifications.fan_out", acks_late=True)
def fan_out(entry_id: int) -> int:
    """Tell the audience of one outbox entry (resolved now) and push; idempotent."""
    return delivery.fan_out(entry_id)


@shared_task(name="notifications.fan_out_many", acks_late=True)
def fan_out_many(entry_ids: list[int]) -> int:
    """`fan_out` for each of a batch's entries (the sweeper's), one push for all their rows."""
    return delivery.fan_out_many(entry_ids)


@shared_task(name="notifications.push_pending")
def push_pending(limit: int = REQUEUE_LIMIT) -> int:
    """Every 30 s (beat; `sweep_deadlines --loop` under `make run`): queue again the outbox
    entries whose next attempt is due (not fanned out within a minute, or failed and waited out
    their back-off), the earliest due first, at most `limit`; then push the rows a failed push
    left (a Redis outage). Returns how many entries it queued."""
    queued = []
    for entry_id in delivery.due_entries(limit=limit):
        try:
            fan_out.delay(entry_id)
        except OperationalError as error:  # the broker is down: the next beat tries again
            log.warning("re-queueing outbox entry %s failed (%s)", entry_id, type(error).__name__)
            break
        except Exception as error:  # noqa: BLE001 - in-process (eager): this entry failed, not the others
            log.warning("the fan-out of outbox entry %s failed (%s); it stays pending", entry_id,
                        type(error).__name__)
            continue
        queued.append(entry_id)
    delivery.lease(queued)
    delivery.push_pending(older_than_seconds=5)
    return len(queued)
