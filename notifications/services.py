"""The one way to tell people something: `notify`. Case services call it inside their
transaction; the rows are the outbox; the push happens after commit, e-mail later (tasks.py)."""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from casework.access import parse_id
from notifications import rules
from notifications.delivery import push
from notifications.models import Notification, Preference

_actor: ContextVar = ContextVar("casework_actor", default=None)


@contextmanager
def acting_as(user):
    """Name the user whose action this is, for notifications raised deep inside (new tasks)."""
    token = _actor.set(user)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor():
    return _actor.get()


def notify(*, kind: str, case, actor=None, task=None, data: dict | None = None) -> list[Notification]:
    """Tell the audience of `kind` (notifications.rules) about this case; never the actor and
    never anyone who cannot see the case. Pushed after commit (ids and counts only)."""
    actor = actor if actor is not None else current_actor()
    users = rules.audience(kind, case=case, task=task, data=data).filter(is_active=True)
    if case is not None:  # team-level notices (meetings) concern no case
        users = users.filter(rules.can_see(case))
    if actor is not None:
        users = users.exclude(pk=actor.pk)
    now = timezone.now()
    rows = Notification.objects.bulk_create([
        Notification(recipient_id=user_id, kind=kind, case=case, task=task, data=data or {}, created_at=now)
        for user_id in users.values_list("pk", flat=True).distinct()
    ])
    if rows:
        ids = [row.pk for row in rows]
        transaction.on_commit(lambda: _push_later(ids))
    return rows


def _push_later(ids):
    push(ids)


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_read(*, user, notification_id) -> Notification:
    """Mark one of the user's notifications read (Http404 for anyone else's)."""
    try:
        notification = Notification.objects.get(pk=parse_id(notification_id), recipient=user)
    except (Notification.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


def set_email_preference(*, user, email_non_breach: bool) -> None:
    Preference.objects.update_or_create(user=user, defaults={"email_non_breach": bool(email_non_breach)})
