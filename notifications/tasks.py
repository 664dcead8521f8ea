"""Background delivery (Celery; eager without Redis): the e-mail fallback and the re-push."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from notifications import delivery
from notifications.models import Notification
from notifications.presentation import describe

BREACH = "deadline_breached"


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


@shared_task(name="notifications.push_pending")
def push_pending() -> int:
    return delivery.push_pending(older_than_seconds=5)


