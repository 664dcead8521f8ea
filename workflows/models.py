"""viewflow's process and task rows for cases.

`CaseProcess` links a viewflow process to its `Case`. `CaseTask` is the flows' task class:
viewflow's task columns plus the case, the team whose queue offers the task, the role or
region role needed to take it, and a user who may not take it (four eyes). These columns are
filled when a task is created (from its node's assignment, see `workflows.nodes`), so an
inbox is a plain indexed query.

Being its own table (not a child of viewflow's `Task`), it is not seen by the parts of
viewflow that read `viewflow.Task` directly: timer nodes, `Flow.cancel`, `TerminateEnd` and
viewflow's own task pages. casework uses none of them: clocks are Deadline rows, and the
inbox and task pages are casework's own.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import AbstractTask, Process
from viewflow.workflow.status import STATUS

from casework.models import Case
from teams.models import Membership, RegionRole, Team

OPEN_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
STATUS_LABELS = {
    STATUS.NEW: _("open"),
    STATUS.ASSIGNED: _("claimed"),
    STATUS.STARTED: _("in progress"),
    STATUS.DONE: _("completed"),
    STATUS.CANCELED: _("cancelled"),
    STATUS.ERROR: _("error"),
}


class CaseProcess(Process):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="processes", verbose_name=_("case"))

    class Meta:
        verbose_name = _("case process")
        verbose_name_plural = _("case processes")


class SignalProcess(Process):
    """The verification of a public signal by Leerplicht (before there is a case)."""

    public_signal = models.ForeignKey("casework.PublicSignal", on_delete=models.CASCADE, related_name="processes")

    class Meta:
        verbose_name = _("signal verification")
        verbose_name_plural = _("signal verifications")


class CaseTask(AbstractTask):
    process = models.ForeignKey(Process, on_delete=models.CASCADE, verbose_name=_("process"))
    data = models.JSONField(default=dict, blank=True)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks",
                             verbose_name=_("case"), help_text=_("Empty only for the verification of a public signal."))
    public_signal = models.ForeignKey("casework.PublicSignal", on_delete=models.CASCADE, null=True, blank=True,
                                      related_name="tasks")
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="tasks", verbose_name=_("team")
    )
    required_role = models.CharField(_("required role"), max_length=20, choices=Membership.Role.choices, blank=True)
    region_role = models.CharField(_("region role"), max_length=30, choices=RegionRole.Role.choices, blank=True)
    excluded_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        help_text=_("May not take this task (four eyes)."),
    )
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    follow_up_on = models.DateField(
        _("follow up on"), null=True, blank=True,
        help_text=_("Snoozed until this date: hidden from the default lists until then, and announced on the day."))

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            models.Index(fields=["team", "status", "created"], name="casetask_queue"),
            models.Index(fields=["owner", "status", "created"], name="casetask_owner"),
            models.Index(fields=["case", "status"], name="casetask_case"),
            models.Index(fields=["follow_up_on"], name="casetask_follow_up",
                         condition=models.Q(follow_up_on__isnull=False)),
            # A team's queue (open, unclaimed) and its overview (every open task) in due-date order:
            # a page is the first rows of one index range, however long the queue (bench.bigqueue).
            models.Index(fields=["team", "due_at", "created", "id"], name="casetask_open_queue",
                         condition=models.Q(status="NEW", owner__isnull=True, flow_task_type="HUMAN")),
            models.Index(fields=["team", "due_at", "created", "id"], name="casetask_open_team",
                         condition=models.Q(status__in=["NEW", "ASSIGNED", "STARTED"], flow_task_type="HUMAN")),
        ]

    def save(self, *args, **kwargs):
        if self._state.adding and not self.case_id and not self.public_signal_id:
            self.case_id = getattr(self.process, "case_id", None)
            case = getattr(type(self.process), "case", None)
            if self.case_id is not None and case is not None and case.is_cached(self.process):
                self.case = self.process.case  # the row the step holds (locked and read with its task)
            self.public_signal_id = getattr(self.process, "public_signal_id", None)
            prepare = getattr(self.flow_task, "prepare_task", None)
            if prepare is not None:
                prepare(self)
        super().save(*args, **kwargs)

    @property
    def is_snoozed(self) -> bool:
        return self.follow_up_on is not None and self.follow_up_on > timezone.localdate()

    @property
    def is_overdue(self) -> bool:
        return self.due_at is not None and self.status in OPEN_STATUSES and self.due_at < timezone.now()

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS.get(self.status, self.status))

    @property
    def title(self) -> str:
        """The task's title: its node's, or the node's title for the case's sector (`CaseView.by_sector`)."""
        return str(self._words()[0])

    @property
    def description(self) -> str:
        return str(self._words()[1])

    def _words(self) -> tuple:
        if getattr(self.flow_task, "by_sector", None) and self.case_id:  # reads the case only for such a node
            return self.flow_task.words_for(self.case)
        return (self.flow_task.task_title, self.flow_task.task_description) if self.flow_task else ("", "")

    @property
    def node_name(self) -> str:
        return self.flow_task.name if self.flow_task else ""

    @property
    def agreed_action(self) -> str:
        """What a team meeting agreed, for a `meeting_action` task (else empty)."""
        return self.process.data.get("action", "") if self.node_name == "meeting_action" else ""


class Meeting(models.Model):
    """A team's case meeting (AOJ-team weekly at the school, the ECT's casuïstiekoverleg, the MPL).

    Its agenda is made of the team's open cases that need discussing (`workflows.meetings`); a
    decision on a meeting task is recorded through the task's own form
    (workflows.services.complete_task), an action becomes a `meeting_action` task. Closing freezes
    the minutes."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        OPEN = "open", _("in session")
        CLOSED = "closed", _("closed")

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="meetings", verbose_name=_("team"))
    starts_at = models.DateTimeField(_("starts at"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PLANNED)
    chair = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("chair"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-starts_at", "-pk"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        constraints = [models.UniqueConstraint(fields=["team", "starts_at"], name="one_meeting_per_team_time")]

    def __str__(self):
        return f"{self.team} {self.starts_at:%Y-%m-%d %H:%M}"


class AgendaItem(models.Model):
    """One point of a meeting's agenda: a case, with the open task it is about (a meeting task) or
    without one (a clock, a flag), and why it is on the agenda."""

    class Reason(models.TextChoices):
        NEW_SIGNAL = "new_signal", _("new signal")
        ROUTE_RETURNED = "route_returned", _("routes came back")
        CLOCK_BREACHED = "clock_breached", _("clock breached")
        CLOCK_NEAR = "clock_near", _("clock almost due")
        FLAGGED = "flagged", _("put on the agenda by a member")
        TASK = "task", _("open task")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, related_name="agenda_items",
                             verbose_name=_("case"))
    task = models.ForeignKey(CaseTask, on_delete=models.CASCADE, null=True, blank=True, related_name="agenda_items")
    reason = models.CharField(_("why on the agenda"), max_length=20, choices=Reason.choices, default=Reason.TASK)
    position = models.PositiveIntegerField(default=0)
    minutes = models.TextField(_("minutes"), blank=True)
    decided = models.BooleanField(default=False)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "task"], name="one_item_per_task"),
            models.UniqueConstraint(fields=["meeting", "case"], condition=models.Q(task__isnull=True),
                                    name="one_case_item_per_meeting"),
        ]

    def __str__(self):
        return f"{self.meeting_id}#{self.position}"

    def save(self, *args, **kwargs):
        if self.case_id is None and self.task_id is not None:
            self.case_id = CaseTask.objects.filter(pk=self.task_id).values_list("case_id", flat=True).first()
        super().save(*args, **kwargs)


class MeetingFlag(models.Model):
    """A member asked for a case to be discussed in the team's next meeting; it stays until an item
    of the case is discussed (minutes, a decision or an action)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="meeting_flags", verbose_name=_("case"))
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="meeting_flags", verbose_name=_("team"))
    flagged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("flagged by"))
    flagged_at = models.DateTimeField(_("flagged at"), default=timezone.now)
    discussed_at = models.DateTimeField(_("discussed at"), null=True, blank=True)

    class Meta:
        ordering = ["flagged_at", "pk"]
        verbose_name = _("flag for the meeting")
        verbose_name_plural = _("flags for the meeting")
        constraints = [models.UniqueConstraint(fields=["case", "team"], condition=models.Q(discussed_at__isnull=True),
                                               name="one_open_flag_per_case_and_team")]

    def __str__(self):
        return f"{self.case_id}@{self.team_id}"


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    present = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="one_attendance_per_user")]

    def __str__(self):
        return f"{self.user_id}@{self.meeting_id}"


class SavedWorklist(models.Model):
    """A user's saved inbox filter ("mijn werklijsten"): a list scope plus its filters."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="worklists")
    name = models.CharField(_("name"), max_length=80)
    scope = models.CharField(_("list"), max_length=10)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("saved work list")
        verbose_name_plural = _("saved work lists")
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="one_worklist_name_per_user")]

    def __str__(self):
        return self.name

    @property
    def query_string(self) -> str:
        """The inbox URL's query for this work list: its filters, and itself (to mark it current)."""
        return urlencode({**self.filters, "list": self.pk})
