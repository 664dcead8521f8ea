"""Notifications: what happened is written to the outbox in the acting transaction (one row,
`OutboxEntry`); the fan-out after commit turns it into one `Notification` per recipient, which is
then pushed and, as a fallback, mailed."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications import registry

# The fan-out after commit takes seconds; an entry not done a minute after it was written (its
# message lost, its worker killed, the broker down) is queued again by the beat's re-queue.
REQUEUE_AFTER_SECONDS = 60


def first_requeue_at():
    """When the re-queue first takes a new entry that is not done by then."""
    return timezone.now() + timedelta(seconds=REQUEUE_AFTER_SECONDS)


class TaskReference(models.PositiveBigIntegerField):
    """A workflow task named by its id, without a foreign key (notifications sit below the flows).

    The column is `<name>_id`, as a foreign key's was: `row.task_id` is the id, `row.task` the task
    read through `notifications.registry` (None when there is none or it is gone), and lookups take
    a task or its id (`filter(task=task)`). In migrations it is a plain PositiveBigIntegerField."""

    def get_attname(self) -> str:
        return f"{self.name}_id"

    def contribute_to_class(self, cls, name, *args, **kwargs):
        super().contribute_to_class(cls, name, *args, **kwargs)
        setattr(cls, name, _TaskOf(self.attname))

    def get_prep_value(self, value):
        return super().get_prep_value(value.pk if isinstance(value, models.Model) else value)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.PositiveBigIntegerField", args, {**kwargs, "db_column": f"{self.name}_id"}


class _TaskOf(property):
    """`row.task`: the task behind `row.task_id`, read once per row (or primed for many rows by
    `TaskQuerySet.with_tasks`); setting it sets the id."""

    def __init__(self, attname: str):
        self.attname = attname
        super().__init__(self.read, self.write)

    def read(self, row):
        task_id = getattr(row, self.attname)
        cached = row.__dict__.get("_task_of")
        if cached is None or cached[0] != task_id:
            cached = (task_id, registry.task(task_id))
            row.__dict__["_task_of"] = cached
        return cached[1]

    def write(self, row, task):
        setattr(row, self.attname, task.pk if task is not None else None)
        row.__dict__["_task_of"] = (getattr(row, self.attname), task)


def prime_tasks(rows) -> None:
    """Read the tasks of these rows in one look-up (instead of one per row)."""
    found = registry.tasks(row.task_id for row in rows)
    for row in rows:
        row.__dict__["_task_of"] = (row.task_id, found.get(row.task_id))


class TaskQuerySet(models.QuerySet):
    """Rows that name a task: `with_tasks()` reads the tasks of the rows it returns in one look-up
    (what `select_related("task")` did over the foreign key)."""

    _with_tasks = False

    def with_tasks(self) -> "TaskQuerySet":
        clone = self._chain()
        clone._with_tasks = True
        return clone

    def _clone(self):
        clone = super()._clone()
        clone._with_tasks = self._with_tasks
        return clone

    def _fetch_all(self):
        fetched = self._result_cache is None
        super()._fetch_all()
        if fetched and self._with_tasks:
            prime_tasks([row for row in self._result_cache if isinstance(row, models.Model)])


class OutboxEntry(models.Model):
    """Something happened that people must hear about: who acted, what, on which case or task,
    when. Written by `notify` inside the step's transaction; fanned out after commit (the audience
    resolved then) and marked done in the transaction that writes the recipients' rows.

    A fan-out that fails is counted (`attempts`, `last_error`: the error's class and where it was
    raised, never its message) and tried again at `next_attempt_at`, later after each failure;
    after CASEWORK_OUTBOX_MAX_ATTEMPTS failures the entry is marked failed (`failed_at`) and left
    alone (notifications.delivery)."""

    kind = models.CharField(_("kind"), max_length=30)
    case = models.ForeignKey("casework.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    task = TaskReference(null=True, blank=True, db_index=True)
    # Whose task it was when this happened: a task claimed at creation is announced to its owner
    # only, one claimed later (before the fan-out) still to its team.
    task_owner_id = models.BigIntegerField(null=True, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("actor"))
    data = models.JSONField(default=dict, blank=True, help_text=_("Ids only."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    fanned_out_at = models.DateTimeField(_("fanned out at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("failed attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=200, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=first_requeue_at)
    failed_at = models.DateTimeField(_("given up at"), null=True, blank=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("outbox entry")
        verbose_name_plural = _("outbox entries")
        indexes = [
            models.Index(fields=["next_attempt_at"], name="outbox_due",
                         condition=Q(fanned_out_at__isnull=True, failed_at__isnull=True)),
            models.Index(fields=["failed_at"], name="outbox_failed", condition=Q(failed_at__isnull=False)),
        ]

    def __str__(self):
        return f"{self.kind} ({self.pk})"


class Notification(models.Model):
    class Kind(models.TextChoices):
        """Every kind of notification: the closed list `notify` accepts (anything else raises at the
        call). The label names the kind in a few words (the list's filter, the choice of channel);
        the order is theirs. The field stays a plain string (no `choices`), as for case events."""

        TASK_AVAILABLE = "task_available", _("New task")
        TASK_ASSIGNED = "task_assigned", _("Task assigned to you")
        TASK_RELEASED = "task_released", _("Your task released to the team queue")
        FOLLOW_UP_DUE = "follow_up_due", _("Follow-up due")
        MENTIONED = "mentioned", _("Mentioned in a note")
        DEADLINE_WARNING = "deadline_warning", _("Clock about to run out")
        DEADLINE_BREACHED = "deadline_breached", _("Clock run out")
        ECT_ADVICE_REVIEWED = "ect_advice_reviewed", _("ECT advice approved or rejected")
        VRIJSTELLING_ADVISED = "vrijstelling_advised", _("Exemption advice given")
        PLACEMENT_DECIDED = "placement_decided", _("Placement decided")
        REGISTRATION_CHANGED = "registration_changed", _("Registration changed")
        CONSENT_CHANGED = "consent_changed", _("Consent given or withdrawn")
        SIGNAL_FORWARDED = "signal_forwarded", _("Signal forwarded to your team")
        OFFER_FAILED = "offer_failed", _("Offered place did not start")
        DOORBRAAK_STALLED = "doorbraak_stalled", _("No doorbraak decision in time")
        STAGNATIE_ESCALATED = "stagnatie_escalated", _("MBO placement escalated")
        EXEMPTION_ENDED = "exemption_ended", _("Exemption ended")
        LEERPLICHT_ENDED = "leerplicht_ended", _("No longer of compulsory school age")
        CASE_CLOSED = "case_closed", _("Case closed")
        AGENDA_PUBLISHED = "agenda_published", _("Meeting agenda published")
        MEETING_ITEM_ADDED = "meeting_item_added", _("Item added to a meeting")

        @classmethod
        def checked(cls, kind: str) -> str:
            """`kind` as its plain value; a kind not in the list raises ValueError."""
            if kind not in cls.values:
                raise ValueError(f"unknown notification kind {kind!r}")
            return str(kind)

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
                                  verbose_name=_("recipient"))
    kind = models.CharField(_("kind"), max_length=30)
    case = models.ForeignKey("casework.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    task = TaskReference(null=True, blank=True, db_index=True)
    data = models.JSONField(default=dict, blank=True, help_text=_("Ids only."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    pushed_at = models.DateTimeField(_("pushed at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    # The outbox entry this row was fanned out from (one row per entry and recipient).
    source = models.ForeignKey(OutboxEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="rows")

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            models.Index(fields=["recipient"], name="notification_unread", condition=Q(read_at__isnull=True)),
            models.Index(fields=["created_at"], name="notification_unpushed", condition=Q(pushed_at__isnull=True)),
            models.Index(fields=["created_at"], name="notification_unmailed",
                         condition=Q(emailed_at__isnull=True, read_at__isnull=True)),
        ]
        constraints = [models.UniqueConstraint(fields=["source", "recipient"], name="notification_once_per_entry")]

    def __str__(self):
        return f"{self.kind} → {self.recipient_id}"


class Channel(models.TextChoices):
    """How a user hears of one kind of notification. Every notification is in the app (the list,
    the badge, the push); the channel says what comes by e-mail besides."""

    APP = "app", _("Only in casework")
    EMAIL = "email", _("In casework, and by e-mail when still unread after a while")
    DIGEST = "digest", _("In casework, and in one e-mail a day (daily digest)")


class Preference(models.Model):
    """Per user: when the last daily digest went (the next one holds what came after it)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_pref")
    last_digest_at = models.DateTimeField(_("last digest sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self):
        return f"{self.user_id}: {self.last_digest_at}"


class KindPreference(models.Model):
    """Per user and kind of notification: the channel chosen. No row: `Channel.EMAIL` (in the
    app, and by e-mail when still unread after CASEWORK_EMAIL_DELAY_MINUTES). A breached clock is
    e-mailed at once whatever is chosen (notifications.tasks)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_channels")
    kind = models.CharField(_("kind"), max_length=30)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.EMAIL)

    class Meta:
        verbose_name = _("notification channel")
        verbose_name_plural = _("notification channels")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_channel_once_per_kind")]

    def __str__(self):
        return f"{self.user_id}: {self.kind} → {self.channel}"
