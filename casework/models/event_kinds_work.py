"""The typed case events of the people's part, the case file, the tasks, the meetings and the clocks
(re-exported by `casework.models.events`)."""

import dataclasses

from .event_base import ABSENT, EVENT_TYPES, EventData, Kind, _key, event, of_kind  # noqa: F401 (re-exported)

# The parent's and the young person's part.

@event(Kind.ACCESS_LINK_CREATED)
class AccessLinkCreated(EventData):
    link_id: int
    audience: str


@event(Kind.ACCESS_LINK_REVOKED)
class AccessLinkRevoked(EventData):
    link_id: int
    audience: str


@event(Kind.CONSENT_GIVEN)
class ConsentGiven(EventData):
    subject: str
    by: str
    link_id: int


@event(Kind.CONSENT_WITHDRAWN)
class ConsentWithdrawn(EventData):
    subject: str
    by: str
    link_id: int


# The case file.

@event(Kind.NOTE_ADDED)
class NoteAdded(EventData):
    note_id: int


@event(Kind.NOTE_EDITED)
class NoteEdited(EventData):
    note_id: int


@event(Kind.NOTE_CORRECTED)
class NoteCorrected(EventData):
    note_id: int
    corrects_id: int


@event(Kind.DOCUMENT_UPLOADED)
class DocumentUploaded(EventData):
    document_id: int
    document_kind: str


@event(Kind.DOCUMENT_WITHDRAWN)
class DocumentWithdrawn(EventData):
    document_id: int


# Who works on a task of the case.

@event(Kind.TASK_ASSIGNED)
class TaskAssigned(EventData):
    task_id: int
    node: str
    user_id: int
    previous_owner_id: int | None
    reason: str = ABSENT


@event(Kind.TASK_RELEASED)
class TaskReleased(EventData):
    task_id: int
    node: str
    user_id: None
    previous_owner_id: int | None
    reason: str = ABSENT


# The team meeting.

@event(Kind.MEETING_FLAGGED)
class MeetingFlagged(EventData):
    team_id: int


@event(Kind.MEETING_ACTION_SET)
class MeetingActionSet(EventData):
    meeting_id: int
    task_id: int
    owner_id: int
    due_on: str
    note: str = ABSENT


@event(Kind.MEETING_ACTION_DONE)
class MeetingActionDone(EventData):
    meeting_id: int
    task_id: int
    note: str = ABSENT


# The clocks: every clock event names its clock (`deadline_kind`).

@dataclasses.dataclass(frozen=True, kw_only=True)
class _Clock(EventData):
    deadline_id: int
    deadline_kind: str
    due_at: str


@event(Kind.DEADLINE_WARNING)
class DeadlineWarning(_Clock):
    pass


@event(Kind.DEADLINE_BREACHED)
class DeadlineBreached(_Clock):
    on_confirmation: bool = ABSENT
    review_open: bool = ABSENT


@event(Kind.DEADLINE_MET)
class DeadlineMet(_Clock):
    late: bool = ABSENT
    met_on: str = ABSENT
    corrected_breach: bool = ABSENT
    passed: bool = ABSENT


@event(Kind.DEADLINE_STOPPED)
class DeadlineStopped(_Clock):
    reason: str
