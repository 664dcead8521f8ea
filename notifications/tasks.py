"""Background delivery (Celery; eager without Redis): the fan-out of the outbox, the e-mail
fallback, the daily digest, and the beat's re-queue and re-push of what a dead worker or a Redis
outage left."""

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override
from kombu.exceptions import OperationalError

from notifications import delivery
from notifications.models import (
    REQUEUE_AFTER_SECONDS,
    Channel,
    KindPreference,
    Notification,
    Preference,
)
from notifications.presentation import describe

log = logging.getLogger(__name__)
BREACH = Notification.Kind.DEADLINE_BREACHED
# An outbox entry still pending after this long is queued again (its fan-out never ran or died).
STALE_SECONDS = REQUEUE_AFTER_SECONDS
# At most this many entries are queued again per beat.
REQUEUE_LIMIT = 1000
# The daily digest goes at CASEWORK_DIGEST_HOUR on this clock, summer and winter time alike.
DIGEST_TIME_ZONE = ZoneInfo("Europe/Amsterdam")
# A digest lists at most this many notices (the newest), and says how many more there are.
DIGEST_MAX_ITEMS = 50


def email_delay():
    return timezone.timedelta(minutes=int(getattr(settings, "CASEWORK_EMAIL_DELAY_MINUTES", 15)))


@shared_task(name="notifications.email_unread", bind=True, max_retries=3, default_retry_delay=60)
def email_unread(self) -> int:
    """E-mail breaches at once and other notifications still unread after the delay, unless the
    recipient chose another channel for their kind (only in the app, or the daily digest); each at
    most once: the row is claimed (emailed_at) before the mail goes, so a retry or a second
    worker never sends it again."""
    now = timezone.now()
    not_by_email = KindPreference.objects.filter(user=OuterRef("recipient"), kind=OuterRef("kind")).exclude(
        channel=Channel.EMAIL)
    due = (Notification.objects.filter(emailed_at__isnull=True, read_at__isnull=True)
           .filter(Q(kind=BREACH) | Q(created_at__lte=now - email_delay()))
           .exclude(Q(Exists(not_by_email)) & ~Q(kind=BREACH))
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


def digest_moment(now) -> datetime | None:
    """Today's digest time (CASEWORK_DIGEST_HOUR in Europe/Amsterdam) when it has come, else None."""
    local = timezone.localtime(now, DIGEST_TIME_ZONE)
    hour = int(settings.CASEWORK_DIGEST_HOUR)
    if local.hour < hour:
        return None
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


@shared_task(name="notifications.send_digests")
def send_digests() -> int:
    """Every hour (beat): once the day's CASEWORK_DIGEST_HOUR has come (Europe/Amsterdam), one
    e-mail to each user who chose the digest for some kind, listing their notices of those kinds
    since their last digest (none: no e-mail). Once a day: the user's `last_digest_at` is moved to
    now before the mail goes (only by the run that still finds it before today's digest time), so a
    second run in the same hour, a retry or a second worker sends nothing. A missed hour is caught
    up at the next run of the day. Returns how many e-mails went."""
    now = timezone.now()
    moment = digest_moment(now)
    if moment is None:
        return 0
    digest_kinds: dict[int, list[str]] = {}
    for user_id, kind in KindPreference.objects.filter(channel=Channel.DIGEST, user__is_active=True).values_list(
            "user_id", "kind"):
        digest_kinds.setdefault(user_id, []).append(kind)
    sent = 0
    for user_id, kinds in digest_kinds.items():
        pref, _created = Preference.objects.get_or_create(user_id=user_id)
        since = pref.last_digest_at or now - timedelta(days=1)
        if since >= moment:
            continue  # today's digest went already
        if not Preference.objects.filter(pk=pref.pk, last_digest_at=pref.last_digest_at).update(last_digest_at=now):
            continue  # another run has it
        items = list(Notification.objects.filter(recipient_id=user_id, kind__in=kinds, created_at__gt=since,
                                                 created_at__lte=now).select_related("recipient").with_tasks()
                     .order_by("-created_at", "-pk")[:DIGEST_MAX_ITEMS + 1])
        if items and items[0].recipient.email:
            total = Notification.objects.filter(recipient_id=user_id, kind__in=kinds, created_at__gt=since,
                                                created_at__lte=now).count()
            send_digest(items[0].recipient, items[:DIGEST_MAX_ITEMS], total)
            sent += 1
    return sent


def send_digest(user, items, total: int) -> None:
    """The digest e-mail: a line and a link per notice (titles name no child), in the site's language."""
    with override(settings.LANGUAGE_CODE):
        lines = [f"- {describe(n)[0]}\n  {settings.CASEWORK_BASE_URL}{reverse('notification-open', args=[n.pk])}"
                 for n in items]
        if total > len(items):
            lines.append(_("… and %(count)s more: %(url)s") % {
                "count": total - len(items), "url": settings.CASEWORK_BASE_URL + reverse("notifications")})
        subject = ngettext("casework: your daily digest (%(count)s notification)",
                           "casework: your daily digest (%(count)s notifications)", total) % {"count": total}
        body = "\n\n".join([
            _("What happened since your last digest, in the kinds you chose to hear of once a day:"),
            "\n".join(lines),
            _("This message contains no personal data; the details are in casework. Change what comes by e-mail "
              "under Notifications, Preferences: %(url)s") % {
                "url": settings.CASEWORK_BASE_URL + reverse("notification-preferences")}])
        send_mail(subject=subject, message=body, from_email=None, recipient_list=[user.email])


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
