"""The one way to tell people something: `notify`. Case services call it inside their
transaction; it writes one outbox row; after commit a Celery task fans it out to its audience
and pushes (notifications.delivery), e-mail comes later (tasks.py)."""

import logging
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.access import parse_id
from casework.step import Step
from notifications.models import Channel, KindPreference, Notification, OutboxEntry, Preference
from notifications.presentation import kind_choices
from notifications.tasks import fan_out, fan_out_many

log = logging.getLogger(__name__)

_batch: ContextVar[list[int] | None] = ContextVar("casework_fan_out_batch", default=None)


@contextmanager
def one_fan_out():
    """For a task's step (one publish for what its transaction, and the work queued after its
    commit, told) and for bulk work (the demo's year of history, made day by day): the notices
    written inside the block are fanned out together when it ends, as one queued batch
    (`fan_out_many`: one push for all their rows) instead of one queued task and one push per
    notice or committed action. Each entry
    is still fanned out on its own and exactly once; what was rolled back is not in the batch."""
    if _batch.get() is not None:  # already inside one: the outer block fans out
        yield
        return
    token = _batch.set([])
    try:
        yield
    finally:  # what committed before an error is told as well
        entry_ids = _batch.get()
        _batch.reset(token)
        if len(entry_ids) == 1:
            queue_fan_out(entry_ids[0])
        elif entry_ids:
            queue_fan_out_many(entry_ids)


def _queue_one(entry_id: int) -> None:
    batch = _batch.get()
    if batch is not None:
        batch.append(entry_id)
    else:
        queue_fan_out(entry_id)


def _queue_many(entry_ids: list[int]) -> None:
    batch = _batch.get()
    if batch is not None:
        batch.extend(entry_ids)
    else:
        queue_fan_out_many(entry_ids)


def notify(*, kind: Notification.Kind, case, actor=None, task=None, data: dict | None = None,
           step: Step | None = None) -> OutboxEntry:
    """Record that `kind` happened on this case (one outbox row, in the caller's transaction); a
    kind that is not a `Notification.Kind` raises ValueError here, before anything is written;
    after commit the fan-out (notifications.tasks.fan_out) tells the audience of `kind`
    (notifications.rules), never the actor and never anyone who cannot see the case, and pushes
    (ids and counts only). A rolled-back action tells nobody. Without an actor the notice names
    the step's `notice_actor` (`step`: the step it is raised in, if any)."""
    kind = Notification.Kind.checked(kind)
    actor = actor if actor is not None or step is None else step.notice_actor
    entry = OutboxEntry.objects.create(kind=kind, case=case, task=task, task_owner_id=task.owner_id if task else None,
                                       actor=actor, data=data or {}, created_at=timezone.now())
    transaction.on_commit(partial(_queue_one, entry.pk))
    return entry


def notify_many(notices: list[dict], *, step: Step | None = None) -> list[OutboxEntry]:
    """Several notices at once, each as `notify` would write it (`kind`, `case`, `data`; the actor
    is the step's `notice_actor`): one INSERT, and after commit one queued fan-out for all of them
    (the sweeper's batch). Each entry is still fanned out on its own and exactly once. An unknown
    kind raises ValueError, as for `notify`, before any is written."""
    if not notices:
        return []
    kinds = [Notification.Kind.checked(notice["kind"]) for notice in notices]
    actor, now = (step.notice_actor if step is not None else None), timezone.now()
    entries = OutboxEntry.objects.bulk_create([
        OutboxEntry(kind=kind, case=notice["case"], actor=actor, data=notice.get("data") or {},
                    created_at=now) for kind, notice in zip(kinds, notices, strict=True)])
    transaction.on_commit(partial(_queue_many, [entry.pk for entry in entries]))
    return entries


def queue_fan_out_many(entry_ids: list[int]) -> None:
    """One message for a batch of entries; as `queue_fan_out`, a broker that is down loses nothing."""
    try:
        fan_out_many.delay(entry_ids)
    except Exception as error:  # noqa: BLE001 - the action has committed; the beat retries the entries
        log.warning("queueing the fan-out of %s outbox entries failed (%s); they stay pending",
                    len(entry_ids), type(error).__name__)


def queue_fan_out(entry_id: int) -> None:
    """Hand the entry to a worker (in-process when Celery is eager). A broker that is down loses
    nothing: the entry stays pending and `push_pending` queues it again after a minute."""
    try:
        fan_out.delay(entry_id)
    except Exception as error:  # noqa: BLE001 - the action has committed; the beat retries the entry
        log.warning("queueing the fan-out of outbox entry %s failed (%s); it stays pending",
                    entry_id, type(error).__name__)


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


def mark_all_read(*, user, before=None) -> int:
    """Mark the user's unread notifications read; with `before`, only those created before it."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if before is not None:
        unread = unread.filter(created_at__lt=before)
    return unread.update(read_at=timezone.now())


def mark_group_read(*, user, case_id: int | None) -> int:
    """Mark the user's unread notifications about this case read (`None`: those about no case)."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    unread = unread.filter(case__isnull=True) if case_id is None else unread.filter(case_id=case_id)
    return unread.update(read_at=timezone.now())


# The breached clock is e-mailed at once whatever is chosen: it cannot wait for a digest.
ALWAYS_EMAILED = frozenset({Notification.Kind.DEADLINE_BREACHED})


def choosable_kinds() -> list[tuple[str, str]]:
    """(kind, label) of the kinds whose channel a user chooses."""
    return [(kind, label) for kind, label in kind_choices() if kind not in ALWAYS_EMAILED]


def channels_of(user) -> dict[str, str]:
    """The channel of every choosable kind for this user (`Channel.EMAIL` where none was chosen)."""
    chosen = dict(KindPreference.objects.filter(user=user).values_list("kind", "channel"))
    return {kind: chosen.get(kind, Channel.EMAIL) for kind, _label in choosable_kinds()}


@transaction.atomic
def set_channels(*, user, channels: dict[str, str]) -> None:
    """Remember the channel per kind; an unknown kind or channel is refused (ValidationError by
    kind) and nothing changes. Choosing the digest for the first time starts it from now."""
    kinds = dict(choosable_kinds())
    errors = {kind: [_("Choose how you want to hear of this.")] for kind, channel in channels.items()
              if kind not in kinds or channel not in Channel.values}
    if errors:
        raise ValidationError(errors)
    for kind, channel in channels.items():
        KindPreference.objects.update_or_create(user=user, kind=kind, defaults={"channel": channel})
    if Channel.DIGEST in channels.values():
        pref, _created = Preference.objects.get_or_create(user=user)
        if pref.last_digest_at is None:
            pref.last_digest_at = timezone.now()
            pref.save(update_fields=["last_digest_at"])
