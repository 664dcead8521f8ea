"""The history of a case: one `CaseEvent` per thing that happened, of a kind from a closed list.

`CaseEvent.Kind` is the vocabulary: `CaseEvent.record` refuses any other kind, and the timeline
names each event by its kind's label. Each kind's data is typed in `casework.models.events` (one
constructor per kind, which the services call; `record` and `build` here take any data). The database field stays a plain string (no `choices`),
so the vocabulary can grow without a migration.
"""


from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .cases import Case
from .clocks import Deadline

# The writer of the rows derived from recorded events, called in the same transaction: registered
# at start-up by the app that owns the rows (`casework.apps`: `casework.monitor.derived.write`, the
# monitor's rollup, milestones and spells; the models may not import the monitor).
after_recorded: list = []


class CaseEvent(models.Model):
    """Append-only history of a case; every service writes one."""

    class Kind(models.TextChoices):
        """Every kind of event a case's history holds; the label is how the timeline names it."""

        # Intake, the legal status and the dated facts (registration, taking part).
        SIGNALLED = "signalled", _("Signalled")
        SIGNAL_RECEIVED = "signal_received", _("Another signal received")
        REGISTRATION_CHANGED = "registration_changed", _("Registration changed")
        PARTICIPATION_CHANGED = "participation_changed", _("Taking part changed")
        THUISWERKPLAN_RECORDED = "thuiswerkplan_recorded", _("Thuiswerkplan recorded")
        RETURNED_TO_SCHOOL = "returned_to_school", _("Back at a regular school after a provision")
        SCHOOL_CHANGED = "school_changed", _("Moved to another school")
        CASE_HANDED_OVER = "case_handed_over", _("Case handed over to the new school's team")
        STARTKWALIFICATIE_RECORDED = "startkwalificatie_recorded", _("Startkwalificatie recorded")
        # The chain: an absence report (verzuimmelding, as from DUO's Verzuimloket) read for the case.
        ABSENCE_REPORTED = "absence_reported", _("Absence report received (verzuimmelding)")
        LEERPLICHT_ENDED = "leerplicht_ended", _("End of compulsory education (18 or startkwalificatie)")
        TEAM_REVIEW = "team_review", _("Team review")
        CASE_REVIEWED = "case_reviewed", _("Case reviewed")
        REVIEW_MERGED = "review_merged", _("Duplicate review cancelled (one open review per reason)")
        ESCALATED = "escalated", _("Escalated")
        PLACED = "placed", _("Placed")
        CLOSED = "closed", _("Closed")
        # The routes' steps.
        ECT_ADVICE_DRAFTED = "ect_advice_drafted", _("ECT advice drafted")
        ECT_ADVICE_APPROVED = "ect_advice_approved", _("ECT advice approved")
        ECT_ADVICE_REJECTED = "ect_advice_rejected", _("ECT advice rejected")
        ECT_CONSULT_STARTED = "ect_consult_started", _("ECT consult started by a clock")
        VRIJSTELLING_REQUESTED = "vrijstelling_requested", _("Exemption advice requested")
        VRIJSTELLING_ADVISED = "vrijstelling_advised", _("Exemption advice given")
        VRIJSTELLING_DECIDED = "vrijstelling_decided", _("Exemption decided")
        VRIJSTELLING_RECORDED = "vrijstelling_recorded", _("Exemption recorded with the signal")
        EXEMPTION_ENDED = "exemption_ended", _("Exemption ended")
        DOORBRAAK_DECIDED = "doorbraak_decided", _("Doorbraak decided")
        DOE_ADVISED = "doe_advised", _("DOE-team advised")
        DIRECTOR_DECIDED = "director_decided", _("SWV director decided")
        DOORBRAAK_STALLED = "doorbraak_stalled", _("Escalated to the SWV director: no decision in time")
        STAGNATIE_RECORDED = "stagnatie_recorded", _("Stagnatiemeldpunt recorded its steps")
        STAGNATIE_ESCALATED = "stagnatie_escalated", _("Escalated to the MBO institution's management")
        MENTOR_ASSIGNED = "mentor_assigned", _("JIM mentor recorded")
        ARRANGEMENT_SET_UP = "arrangement_set_up", _("Arrangement set up")
        ARRANGEMENT_EVALUATED = "arrangement_evaluated", _("Arrangement evaluated")
        OFFER_RECORDED = "offer_recorded", _("Offer with a start date recorded")
        OFFER_STARTED = "offer_started", _("Place started")
        OFFER_FAILED = "offer_failed", _("Place did not start")
        # The parent's and the young person's part.
        ACCESS_LINK_CREATED = "access_link_created", _("Personal link sent")
        ACCESS_LINK_REVOKED = "access_link_revoked", _("Personal link revoked")
        CONSENT_GIVEN = "consent_given", _("Consent given")
        CONSENT_WITHDRAWN = "consent_withdrawn", _("Consent withdrawn")
        # The case file.
        NOTE_ADDED = "note_added", _("Note added")
        NOTE_EDITED = "note_edited", _("Note edited")
        NOTE_CORRECTED = "note_corrected", _("Correction note added")
        DOCUMENT_UPLOADED = "document_uploaded", _("Document added")
        DOCUMENT_WITHDRAWN = "document_withdrawn", _("Document removed by its uploader")
        # Who works on a task of the case.
        TASK_ASSIGNED = "task_assigned", _("Task assigned")
        TASK_RELEASED = "task_released", _("Task released to the queue")
        # The team meeting.
        MEETING_FLAGGED = "meeting_flagged", _("Put on the agenda of the team meeting")
        MEETING_ACTION_SET = "meeting_action_set", _("Action agreed in the team meeting")
        MEETING_ACTION_DONE = "meeting_action_done", _("Action from the team meeting done")
        # The clocks (`data["deadline_kind"]` names the clock; the label takes its name).
        DEADLINE_WARNING = "deadline_warning", _("%(clock)s: warning")
        DEADLINE_BREACHED = "deadline_breached", _("%(clock)s: breached")
        DEADLINE_MET = "deadline_met", _("%(clock)s: met")
        DEADLINE_STOPPED = "deadline_stopped", _("%(clock)s: stopped")

    # How the timeline names each kind of event; kinds not listed (older rows) show their code.
    KIND_LABELS = dict(Kind.choices)
    CLOCK_KINDS = (Kind.DEADLINE_WARNING, Kind.DEADLINE_BREACHED, Kind.DEADLINE_MET, Kind.DEADLINE_STOPPED)

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", verbose_name=_("case"),
                             db_index=False)  # caseevent_case_at starts with the case
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("actor")
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    # A plain string, not `choices=Kind.choices`: `record` holds the vocabulary.
    kind = models.CharField(_("kind"), max_length=40)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        indexes = [
            # Also serves every lookup by case alone (the foreign key has no index of its own).
            models.Index(fields=["case", "at"], name="caseevent_case_at"),
            models.Index(fields=["kind", "at"], name="caseevent_kind_at"),
            # The monitor reads each case's dated facts (registration, taking part) on a peildatum.
            models.Index(fields=["case", "kind"], name="caseevent_dated_facts",
                         condition=Q(kind__in=["registration_changed", "participation_changed"])),
        ]

    def __str__(self):
        return f"{self.kind} @ {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        """Saving a new event also writes its derived rows (`after_recorded`); events are never
        changed afterwards except by retention, which strips only free text."""
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding:
            for writer in after_recorded:
                writer([self])

    @property
    def label(self) -> str:
        if self.kind in self.CLOCK_KINDS:
            clock = Deadline.Kind(self.data.get("deadline_kind")).label
            return str(self.KIND_LABELS[self.kind]) % {"clock": clock}
        return str(self.KIND_LABELS.get(self.kind, self.kind))

    # Events that carry a free-text reason or note (shown in the timeline, removed at retention).
    DISTRIBUTION_KINDS = (Kind.TASK_ASSIGNED, Kind.TASK_RELEASED)
    REASON_KINDS = (*DISTRIBUTION_KINDS, Kind.ABSENCE_REPORTED, Kind.REGISTRATION_CHANGED, Kind.PARTICIPATION_CHANGED, Kind.SCHOOL_CHANGED,
                    Kind.CASE_HANDED_OVER, Kind.OFFER_FAILED, Kind.EXEMPTION_ENDED, Kind.CASE_REVIEWED,
                    Kind.ECT_ADVICE_REJECTED, Kind.DOORBRAAK_STALLED, Kind.STAGNATIE_RECORDED,
                    Kind.MEETING_ACTION_SET, Kind.MEETING_ACTION_DONE)

    @property
    def detail(self) -> str:
        """What the timeline shows under the label: the reason or note that came with the event, or
        for a signal from outside the case team, who signalled and how to reach them."""
        if self.kind == self.Kind.SIGNAL_RECEIVED and self.data.get("signaller_name"):
            parts = [self.data["signaller_name"], self.data.get("signaller_organisation", ""),
                     self.data.get("signaller_email", "")]
            return _("Signalled by %(who)s") % {"who": ", ".join(part for part in parts if part)}
        if self.kind not in self.REASON_KINDS:
            return ""
        return self.data.get("reason", "") or self.data.get("note", "")

    @classmethod
    def build(cls, case: Case, actor, kind: str, *, at=None, **data) -> "CaseEvent":
        """An unsaved event; `kind` is a `CaseEvent.Kind` (or its value), any other raises ValueError."""
        if kind not in cls.Kind.values:
            raise ValueError(f"unknown case event kind: {kind!r}")
        event = cls(case=case, actor=actor, kind=str(kind), at=at or timezone.now(), data=data)
        event._dims = (case.region_id, case.sector, case.school_id)  # the monitor counts by them as they are now
        return event

    @classmethod
    def _insert(cls, events: list["CaseEvent"], opened: dict | None = None) -> list["CaseEvent"]:
        """The one place events are written in bulk: one INSERT, then their derived rows (`opened`:
        the cases the writing step created, `casework.step.Step.opened`)."""
        cls.objects.bulk_create(events)
        for writer in after_recorded:
            writer(events, opened=opened)
        return events

    @classmethod
    def record(cls, case: Case, actor, kind: str, *, at=None, **data) -> "CaseEvent":
        """Write one event now; `kind` is a `CaseEvent.Kind` (or its value), any other raises
        ValueError. A step records its events with `casework.step.Step.record` instead: they are
        written together when it ends."""
        event = cls.build(case, actor, kind, at=at, **data)
        event.save(force_insert=True)
        return event

    @classmethod
    def check_kinds(cls, events: list["CaseEvent"]) -> None:
        for event in events:
            if event.kind not in cls.Kind.values:
                raise ValueError(f"unknown case event kind: {event.kind!r}")

    @classmethod
    def record_many(cls, events: list["CaseEvent"], opened: dict | None = None) -> list["CaseEvent"]:
        """Write events built with `build` in one INSERT (their ids are set, in order), then their
        derived rows (`opened`: the cases the writing step created, see `_insert`)."""
        cls.check_kinds(events)
        return cls._insert(events, opened) if events else events
