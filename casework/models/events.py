"""The typed constructors of case events: one frozen dataclass per `CaseEvent.Kind`.

Each class holds the `data` of its kind of event, and its `record` / `build` write (or build) the
`CaseEvent` with exactly that data:

    events.TeamReview.record(case, actor, at=now, plan_id=plan.pk, routes=routes, outcome="")

A key the kind does not have, or a key it always has that is missing, raises `TypeError` at the
call, before anything is written. Keys that only some events of a kind carry (or that retention
strips, such as `reason` and `note`) default to `ABSENT` and are then left out of the data. A data
key that is a Python keyword (`from`) is a field with a trailing underscore (`from_`), named by its
`key` metadata; callers pass the data's own key (`**{"from": ...}`).

The API's version-1 components (`casework/api/events.py`) describe the same keys per kind; a test
(tests/test_api_event_schemas.py) holds the two together.
"""

import dataclasses

from .event_base import ABSENT, EVENT_TYPES, EventData, Kind, _key, event, of_kind  # noqa: F401 (re-exported)
from .event_kinds_work import *  # noqa: F403 (the second half of the vocabulary)
from .event_kinds_work import DeadlineBreached, DeadlineMet, DeadlineStopped  # noqa: F401 (named by the clocks)

# Intake, the legal status and the dated facts (registration, taking part).

@event(Kind.SIGNALLED)
class Signalled(EventData):
    registration: str
    category: str
    sector: str
    school_id: int | None
    region_id: int
    team_id: int
    absent_since: str
    signaller_role: str


@event(Kind.SIGNAL_RECEIVED)
class SignalReceived(EventData):
    registration: str
    category: str
    school_id: int | None
    absent_since: str
    signaller_role: str
    forwarded: bool
    signaller_name: str
    signaller_email: str
    signaller_organisation: str


@event(Kind.REGISTRATION_CHANGED)
class RegistrationChanged(EventData):
    from_: str | None = dataclasses.field(metadata=_key("from"))
    to: str
    since: str
    reason: str = ABSENT
    trigger: str
    school: int | None = ABSENT
    sector: str = ABSENT
    region: int = ABSENT


@event(Kind.PARTICIPATION_CHANGED)
class ParticipationChanged(EventData):
    from_: str = dataclasses.field(metadata=_key("from"))
    level: str
    since: str
    setting: str
    provision_id: int | None = ABSENT  # a maatwerkvoorziening the pupil was referred to (KPI 6)
    note: str = ABSENT


@event(Kind.RETURNED_TO_SCHOOL)
class ReturnedToSchool(EventData):
    provision_id: int
    since: str


@event(Kind.SCHOOL_CHANGED)
class SchoolChanged(EventData):
    from_school: int | None
    school: int
    sector: str
    region: int
    since: str
    reason: str = ABSENT


@event(Kind.CASE_HANDED_OVER)
class CaseHandedOver(EventData):
    from_teams: list[int]
    to_team: int
    school: int
    since: str
    reason: str = ABSENT


@event(Kind.STARTKWALIFICATIE_RECORDED)
class StartkwalificatieRecorded(EventData):
    obtained_on: str


@event(Kind.LEERPLICHT_ENDED)
class LeerplichtEnded(EventData):
    on: str


@event(Kind.TEAM_REVIEW)
class TeamReview(EventData):
    plan_id: int
    routes: list[str]
    outcome: str


@event(Kind.CASE_REVIEWED)
class CaseReviewed(EventData):
    trigger: str
    note: str = ABSENT


@event(Kind.REVIEW_MERGED)
class ReviewMerged(EventData):
    task_id: int
    kept_task_id: int
    trigger: str


@event(Kind.ESCALATED)
class Escalated(EventData):
    trigger: str


@event(Kind.PLACED)
class Placed(EventData):
    by: str


@event(Kind.CLOSED)
class Closed(EventData):
    outcome: str


# The routes' steps.

@event(Kind.ECT_ADVICE_DRAFTED)
class EctAdviceDrafted(EventData):
    advice_id: int


@event(Kind.ECT_ADVICE_APPROVED)
class EctAdviceApproved(EventData):
    advice_id: int


@event(Kind.ECT_ADVICE_REJECTED)
class EctAdviceRejected(EventData):
    advice_id: int
    reason: str = ABSENT


@event(Kind.ECT_CONSULT_STARTED)
class EctConsultStarted(EventData):
    trigger: str


@event(Kind.VRIJSTELLING_REQUESTED)
class VrijstellingRequested(EventData):
    vrijstelling_id: int
    grounds: str
    medical_statement: bool


@event(Kind.VRIJSTELLING_ADVISED)
class VrijstellingAdvised(EventData):
    vrijstelling_id: int
    advice: str
    granted: bool = ABSENT
    grounds: str = ABSENT
    until: str = ABSENT


@event(Kind.VRIJSTELLING_DECIDED)
class VrijstellingDecided(EventData):
    vrijstelling_id: int
    granted: bool
    grounds: str
    until: str | None


@event(Kind.VRIJSTELLING_RECORDED)
class VrijstellingRecorded(EventData):
    vrijstelling_id: int
    grounds: str
    until: str
    granted: bool
    awaiting_advice: bool


@event(Kind.THUISWERKPLAN_RECORDED)
class ThuiswerkplanRecorded(EventData):
    thuiswerkplan_id: int
    starts_on: str
    until: str | None


@event(Kind.ABSENCE_REPORTED)
class AbsenceReported(EventData):
    report_id: int
    absence_kind: str
    first_day: str
    last_day: str | None
    school_id: int | None
    melding_id: str
    reason: str = ABSENT


@event(Kind.EXEMPTION_ENDED)
class ExemptionEnded(EventData):
    vrijstelling_id: int
    grounds: str
    last_day: str
    reason: str = ABSENT
    trigger: str


@event(Kind.DOORBRAAK_DECIDED)
class DoorbraakDecided(EventData):
    decision_id: int
    decision: str
    school_board_id: int = ABSENT
    school_id: int | None = ABSENT
    start_date: str = ABSENT
    preference_followed: bool = ABSENT


@event(Kind.DOE_ADVISED)
class DoeAdvised(EventData):
    decision_id: int
    school_board_id: int
    school_id: int | None
    needs_doorzettingsmacht: bool
    start_date: str | None


@event(Kind.DIRECTOR_DECIDED)
class DirectorDecided(EventData):
    decision_id: int
    school_board_id: int
    school_id: int | None
    start_date: str


@event(Kind.DOORBRAAK_STALLED)
class DoorbraakStalled(EventData):
    task: str
    days_open: int
    recorded: dict
    note: str = ABSENT


@event(Kind.STAGNATIE_RECORDED)
class StagnatieRecorded(EventData):
    task: str
    placed: bool
    note: str = ABSENT


@event(Kind.STAGNATIE_ESCALATED)
class StagnatieEscalated(EventData):
    days: int
    steps: list[dict]


@event(Kind.MENTOR_ASSIGNED)
class MentorAssigned(EventData):
    mentor_id: int
    share: list[str]


@event(Kind.ARRANGEMENT_SET_UP)
class ArrangementSetUp(EventData):
    arrangement_id: int
    funding: str
    start_date: str
    end_date: str


@event(Kind.ARRANGEMENT_EVALUATED)
class ArrangementEvaluated(EventData):
    arrangement_id: int
    result: str


@event(Kind.OFFER_RECORDED)
class OfferRecorded(EventData):
    offer_id: int
    source: str
    start_date: str
    provision_id: int | None = ABSENT  # the place is at a maatwerkvoorziening (a referral, KPI 6)


@event(Kind.OFFER_STARTED)
class OfferStarted(EventData):
    offer_id: int
    source: str
    start_date: str
    started_on: str


@event(Kind.OFFER_FAILED)
class OfferFailed(EventData):
    offer_id: int
    source: str
    start_date: str
    reason: str = ABSENT


_unclassed = sorted(set(Kind.values) - set(EVENT_TYPES))
if _unclassed:  # every kind has its class; a new kind without one fails at start-up
    raise ImportError(f"case event kinds without a class in casework.models.events: {', '.join(_unclassed)}")
