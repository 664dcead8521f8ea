"""The typed `data` of each kind of case event for the version-1 schema.

The keys are those of the core's typed constructors (`casework.models.events`, one dataclass per
kind, which the services and casework/clocks.py call; tests/test_api_event_schemas.py holds the two
together); the enums come from the models' own choices. Each kind has a component `<Kind>EventData`
(`SignalledEventData`, `RegistrationChangedEventData`, ...) and an event component `<Kind>Event`
(`id`, `at`, `kind` with that one value, `actor`, `data`); `CaseEvent` is a `oneOf` of the events,
discriminated by `kind`. Keys that retention strips (`reason`, `note`) or that only some events of
a kind carry are optional; no kind's data has keys other than those listed.
"""

from casework.api.payloads import node_forms
from casework.models import (
    AccessLink,
    Arrangement,
    ArrangementEvaluation,
    Case,
    CaseEvent,
    Consent,
    Deadline,
    Document,
    Mentor,
    Offer,
    PlacementDecision,
    Vrijstelling,
)
from casework.models.steps import Route
from teams.models import Sector

Kind = CaseEvent.Kind


def _id(what: str, *, nullable: bool = False) -> dict:
    schema = {"type": "integer", "minimum": 1, "description": f"The id of the {what}."}
    if nullable:
        schema["nullable"] = True
        schema["description"] += " Null when there is none."
    return schema


def _enum(choices, what: str, *, blank: bool = False, nullable: bool = False) -> dict:
    values = [str(value) for value in choices.values]
    if blank:
        values.append("")
    schema = {"type": "string", "enum": values, "description": what}
    if nullable:
        schema["nullable"] = True
        schema["enum"] = [*values, None]
    return schema


def _date(what: str, *, nullable: bool = False) -> dict:
    schema = {"type": "string", "format": "date", "description": what}
    if nullable:
        schema["nullable"] = True
    return schema


def _text(what: str) -> dict:
    return {"type": "string", "description": what}


def _flag(what: str) -> dict:
    return {"type": "boolean", "description": what}


REASON = _text("The reason given (free text; removed at retention, so it may be absent).")
NOTE = _text("The note given (free text; removed at retention, so it may be absent).")
REGISTRATION = _enum(Case.Registration, "The registration (lrv, av, dreigend, ziek, vrij).")
SECTOR = _enum(Sector, "The pupil's sector.")
SIGNALLER_ROLE = _enum(Case.SignallerRole, "Who signalled, by role.")
CATEGORY = _enum(Case.Category, "The kind of absence.")
GROUNDS = _enum(Vrijstelling.Grounds, "The exemption's grounds (articles 5a, 5b, 5c, 15 Leerplichtwet).")
OFFER_SOURCE = _enum(Offer.Source, "What offered the place: a doorbraak decision, the director's decision, an "
                                   "arrangement, the DOE-team's settled advice or the MBO institution's placement.")
AUDIENCE = _enum(AccessLink.Audience, "Whose personal link: the parent's or the young person's.")
SCHOOL_BOARD = _id("school board")
SCHOOL = _id("school", nullable=True)
START_DATE = _date("The day the offered place starts.")

# The clocks' events share the clock's keys.
CLOCK = {"deadline_id": _id("clock (deadline)"),
         "deadline_kind": _enum(Deadline.Kind, "Which clock."),
         "due_at": {"type": "string", "format": "date-time", "description": "When the clock is due."}}
CLOCK_REQUIRED = ["deadline_id", "deadline_kind", "due_at"]

class _Stalling:
    values = ["doorbraak_decision", "doe_advice"]


class _Stagnatie:
    values = ["stagnatie", "stagnatie_escalation"]


# kind -> (properties, required keys)
EVENT_DATA: dict[str, tuple[dict, list[str]]] = {
    Kind.SIGNALLED: ({
        "registration": REGISTRATION, "category": CATEGORY, "sector": SECTOR,
        "school_id": _id("school", nullable=True), "region_id": _id("region"),
        "team_id": _id("team that took the case"),
        "absent_since": _date("The first day out of school."), "signaller_role": SIGNALLER_ROLE,
    }, ["registration", "category", "sector", "school_id", "region_id", "team_id", "absent_since",
        "signaller_role"]),
    Kind.SIGNAL_RECEIVED: ({
        "registration": REGISTRATION, "category": CATEGORY, "school_id": _id("school", nullable=True),
        "absent_since": _date("The first day out of school, as the new signal gives it."),
        "signaller_role": SIGNALLER_ROLE,
        "forwarded": _flag("True when the signaller does not work on the case (the team is told who signalled)."),
        "signaller_name": _text("Who signalled."), "signaller_email": _text("Their e-mail address (may be empty)."),
        "signaller_organisation": _text("Their teams and regions (may be empty)."),
    }, ["registration", "category", "school_id", "absent_since", "signaller_role", "forwarded", "signaller_name",
        "signaller_email", "signaller_organisation"]),
    Kind.REGISTRATION_CHANGED: ({
        "from": _enum(Case.Registration, "The registration before; null for the first one (at the signal).",
                      nullable=True),
        "to": REGISTRATION, "since": _date("The day the new registration holds from."), "reason": REASON,
        "trigger": _text("What changed it: signalled, manual, chain (an enrolment change read from the chain), "
                         "lrv_4_weeks, vrijstelling, exemption_end, revoked."),
        "school": _id("school from now on", nullable=True), "sector": SECTOR,
        "region": _id("region (samenwerkingsverband) of the case from now on"),
    }, ["from", "to", "since", "trigger"]),
    Kind.SCHOOL_CHANGED: ({
        "from_school": _id("school the pupil was enrolled at before", nullable=True),
        "school": _id("school the pupil is enrolled at from `since`"), "sector": SECTOR,
        "region": _id("region (samenwerkingsverband) of the case"),
        "since": _date("The day the pupil is enrolled at the new school."), "reason": REASON,
    }, ["from_school", "school", "sector", "region", "since"]),
    Kind.CASE_HANDED_OVER: ({
        "from_teams": {"type": "array", "uniqueItems": True, "items": _id("team"),
                       "description": "The teams the case moves from: the team that held it (the old school's team, or "
                                      "Leerplicht for an absolute verzuimer, which stays on the case) and every "
                                      "other school's team, which no longer takes part."},
        "to_team": _id("school team that holds the case from now on"),
        "school": _id("school the pupil is enrolled at"),
        "since": _date("The day the pupil is enrolled at the school."), "reason": REASON,
    }, ["from_teams", "to_team", "school", "since"]),
    Kind.PARTICIPATION_CHANGED: ({
        "from": _enum(Case.Participation, "How far the pupil took part before."),
        "level": _enum(Case.Participation, "How far the pupil takes part now."),
        "since": _date("The day it holds from."),
        "setting": _enum(Case.Setting, "Where the pupil takes part; empty when not at all.", blank=True),
        "provision_id": _id("provision (maatwerkvoorziening) the pupil was referred to; absent: none"),
        "note": NOTE,
    }, ["from", "level", "since", "setting"]),
    Kind.RETURNED_TO_SCHOOL: ({
        "provision_id": _id("provision the pupil came back from"),
        "since": _date("The day the pupil took part at a regular school again."),
    }, ["provision_id", "since"]),
    Kind.STARTKWALIFICATIE_RECORDED: ({"obtained_on": _date("The day the startkwalificatie was obtained.")},
                                      ["obtained_on"]),
    Kind.LEERPLICHT_ENDED: ({"on": _date("The day compulsory education ended.")}, ["on"]),
    Kind.TEAM_REVIEW: ({
        "plan_id": _id("plan of action recorded"),
        "routes": {"type": "array", "uniqueItems": True, "description": "The routes chosen.",
                   "items": _enum(Route, "A route.")},
        "outcome": _enum(Case.Outcome, "The outcome when the review closed the case, else empty.", blank=True),
    }, ["plan_id", "routes", "outcome"]),
    Kind.CASE_REVIEWED: ({
        "trigger": _text("The clock that asked for the review: exemption_ended, leerplicht_ended, ziek_review, "
                         "offer_failed."),
        "note": NOTE,
    }, ["trigger"]),
    Kind.REVIEW_MERGED: ({
        "task_id": _id("review task cancelled"),
        "kept_task_id": _id("open review task kept"),
        "trigger": _text("The clock that asked for both reviews, e.g. ziek_review."),
    }, ["task_id", "kept_task_id", "trigger"]),
    Kind.ESCALATED: ({"trigger": _text("What escalated the case: team_review (the doorbraak route) or "
                                       "offer_3_months (a breached clock).")}, ["trigger"]),
    Kind.PLACED: ({"by": _enum(Offer.Source, "What placed the case.")}, ["by"]),
    Kind.CLOSED: ({"outcome": _enum(Case.Outcome, "The outcome.")}, ["outcome"]),
    Kind.ECT_ADVICE_DRAFTED: ({"advice_id": _id("ECT advice")}, ["advice_id"]),
    Kind.ECT_ADVICE_APPROVED: ({"advice_id": _id("ECT advice")}, ["advice_id"]),
    Kind.ECT_ADVICE_REJECTED: ({"advice_id": _id("ECT advice"), "reason": REASON}, ["advice_id"]),
    Kind.ECT_CONSULT_STARTED: ({"trigger": _text("The clock that started it (offer_3_months).")}, ["trigger"]),
    Kind.VRIJSTELLING_REQUESTED: ({
        "vrijstelling_id": _id("exemption request"), "grounds": GROUNDS,
        "medical_statement": _flag("Whether a doctor's or psychologist's statement came with it."),
    }, ["vrijstelling_id", "grounds", "medical_statement"]),
    Kind.VRIJSTELLING_ADVISED: ({
        "vrijstelling_id": _id("exemption request"), "advice": _enum(Vrijstelling.Advice, "The advice."),
        "granted": _flag("Only on the advice on a 5a exemption recorded with the signal: true, the exemption "
                         "counts as granted from this moment."),
        "grounds": GROUNDS, "until": _date("With `granted`: the last day the exemption holds."),
    }, ["vrijstelling_id", "advice"]),
    Kind.VRIJSTELLING_DECIDED: ({
        "vrijstelling_id": _id("exemption request"), "granted": _flag("Whether the exemption was granted."),
        "grounds": GROUNDS, "until": _date("The last day it holds; null when refused.", nullable=True),
    }, ["vrijstelling_id", "granted", "grounds", "until"]),
    Kind.VRIJSTELLING_RECORDED: ({
        "vrijstelling_id": _id("exemption"), "grounds": GROUNDS, "until": _date("The last day it holds."),
        "granted": _flag("Whether it counts as granted from now: true, except for a 5a, which waits for the SWV's "
                         "advice (then the advice's event says granted)."),
        "awaiting_advice": _flag("Whether the SWV's advice (for MBO the institution's) was asked first (5a)."),
    }, ["vrijstelling_id", "grounds", "until", "granted", "awaiting_advice"]),
    Kind.THUISWERKPLAN_RECORDED: ({
        "thuiswerkplan_id": _id("thuiswerkplan"), "starts_on": _date("The first day of the plan."),
        "until": _date("The plan's last day; null until further notice.", nullable=True),
    }, ["thuiswerkplan_id", "starts_on", "until"]),
    Kind.ABSENCE_REPORTED: ({
        "report_id": _id("absence report"),
        "absence_kind": _text("The report's kind: ongeoorloofd_16_uur, signaalverzuim, langdurig_relatief, absoluut "
                              "or overig."),
        "first_day": _date("The first day of the absence reported."),
        "last_day": _date("The last day, once the absence ended; null while it goes on.", nullable=True),
        "school_id": SCHOOL, "melding_id": _text("The reference the chain (DUO) gave the report; empty without."),
        "reason": REASON,
    }, ["report_id", "absence_kind", "first_day", "last_day", "school_id", "melding_id"]),
    Kind.EXEMPTION_ENDED: ({
        "vrijstelling_id": _id("exemption"), "grounds": GROUNDS, "last_day": _date("The last day it held."),
        "reason": REASON, "trigger": _text("exemption_end (it ran out) or revoked (Leerplicht ended it)."),
    }, ["vrijstelling_id", "grounds", "last_day", "trigger"]),
    Kind.DOORBRAAK_DECIDED: ({
        "decision_id": _id("decision"),
        "decision": _enum(PlacementDecision.Decision, "plaatsing, or geen_overeenstemming (the director decides)."),
        "school_board_id": SCHOOL_BOARD, "school_id": SCHOOL, "start_date": START_DATE,
        "preference_followed": _flag("Whether the pupil's preference was followed."),
    }, ["decision_id", "decision"]),
    Kind.DOE_ADVISED: ({
        "decision_id": _id("advice"), "school_board_id": SCHOOL_BOARD, "school_id": SCHOOL,
        "needs_doorzettingsmacht": _flag("True when the SWV director or the coördinator deelverband decides on "
                                         "the advice; false when the advice is the placement itself."),
        "start_date": _date("The day the placement starts (required when the advice is the placement).",
                            nullable=True),
    }, ["decision_id", "school_board_id", "school_id", "needs_doorzettingsmacht", "start_date"]),
    Kind.DOORBRAAK_STALLED: ({
        "task": _enum(_Stalling, "The task that stayed open too long: the MPL's doorbraak_decision or the DOE-team's "
                                 "doe_advice."),
        "days_open": {"type": "integer", "minimum": 0, "description": "How many days the task was open."},
        "recorded": {"type": "object", "description": "What the commission recorded while the task was open.",
                     "properties": {
                         "claimed_by": {**_id("user who had claimed the task", nullable=True), "type": "integer"},
                         "agenda_items": {"type": "array", "items": _id("meeting agenda item with minutes"),
                                          "description": "The task's meeting items with minutes."},
                         "notes": {"type": "array", "items": _id("note"),
                                   "description": "Notes the task's team wrote on the case while it was open."}},
                     "required": ["claimed_by", "agenda_items", "notes"], "additionalProperties": False},
        "note": _text("The text of those minutes and notes (free text; removed at retention, so it may be absent)."),
    }, ["task", "days_open", "recorded"]),
    Kind.STAGNATIE_RECORDED: ({
        "task": _enum(_Stagnatie, "Who recorded it: the stagnatiemeldpunt (stagnatie) or the institution's "
                                  "management (stagnatie_escalation)."),
        "placed": _flag("True when the student is placed at the institution (an offer with its start date)."),
        "note": _text("The steps taken (free text; removed at retention, so it may be absent)."),
    }, ["task", "placed"]),
    Kind.STAGNATIE_ESCALATED: ({
        "days": {"type": "integer", "minimum": 0, "description": "Days since the breach that started the ladder."},
        "steps": {"type": "array", "description": "The steps the stagnatiemeldpunt recorded so far.",
                  "items": {"type": "object", "additionalProperties": False,
                            "required": ["event_id", "at", "actor_id"],
                            "properties": {"event_id": _id("stagnatie_recorded event"),
                                           "at": {"type": "string", "format": "date-time",
                                                  "description": "When it was recorded."},
                                           "actor_id": _id("user who recorded it", nullable=True)}}},
    }, ["days", "steps"]),
    Kind.DIRECTOR_DECIDED: ({
        "decision_id": _id("decision"), "school_board_id": SCHOOL_BOARD, "school_id": SCHOOL,
        "start_date": START_DATE,
    }, ["decision_id", "school_board_id", "school_id", "start_date"]),
    Kind.MENTOR_ASSIGNED: ({
        "mentor_id": _id("mentor record"),
        "share": {"type": "array", "uniqueItems": True, "description": "What the mentor may see.",
                  "items": _enum(Mentor.Share, "A part of the case.")},
    }, ["mentor_id", "share"]),
    Kind.ARRANGEMENT_SET_UP: ({
        "arrangement_id": _id("arrangement"), "funding": _enum(Arrangement.Funding, "Who funds it."),
        "start_date": START_DATE, "end_date": _date("The day the arrangement ends."),
    }, ["arrangement_id", "funding", "start_date", "end_date"]),
    Kind.ARRANGEMENT_EVALUATED: ({
        "arrangement_id": _id("arrangement"), "result": _enum(ArrangementEvaluation.Result, "The result."),
    }, ["arrangement_id", "result"]),
    Kind.OFFER_RECORDED: ({"offer_id": _id("offer"), "source": OFFER_SOURCE, "start_date": START_DATE,
                           "provision_id": _id("provision (maatwerkvoorziening) of the place; absent: none")},
                          ["offer_id", "source", "start_date"]),
    Kind.OFFER_STARTED: ({
        "offer_id": _id("offer"), "source": OFFER_SOURCE, "start_date": START_DATE,
        "started_on": _date("The day the child started."),
    }, ["offer_id", "source", "start_date", "started_on"]),
    Kind.OFFER_FAILED: ({"offer_id": _id("offer"), "source": OFFER_SOURCE, "start_date": START_DATE,
                         "reason": REASON}, ["offer_id", "source", "start_date"]),
    Kind.ACCESS_LINK_CREATED: ({"link_id": _id("personal link"), "audience": AUDIENCE}, ["link_id", "audience"]),
    Kind.ACCESS_LINK_REVOKED: ({"link_id": _id("personal link"), "audience": AUDIENCE}, ["link_id", "audience"]),
    Kind.CONSENT_GIVEN: ({"subject": _enum(Consent.Subject, "What the consent is for."), "by": AUDIENCE,
                          "link_id": _id("personal link used")}, ["subject", "by", "link_id"]),
    Kind.CONSENT_WITHDRAWN: ({"subject": _enum(Consent.Subject, "What the consent was for."), "by": AUDIENCE,
                              "link_id": _id("personal link used")}, ["subject", "by", "link_id"]),
    Kind.NOTE_ADDED: ({"note_id": _id("note")}, ["note_id"]),
    Kind.NOTE_EDITED: ({"note_id": _id("note")}, ["note_id"]),
    Kind.NOTE_CORRECTED: ({"note_id": _id("correction note"), "corrects_id": _id("note it corrects")},
                          ["note_id", "corrects_id"]),
    Kind.DOCUMENT_UPLOADED: ({"document_id": _id("document"),
                              "document_kind": _enum(Document.Kind, "What kind of document.")},
                             ["document_id", "document_kind"]),
    Kind.DOCUMENT_WITHDRAWN: ({"document_id": _id("document")}, ["document_id"]),
    Kind.MEETING_FLAGGED: ({"team_id": _id("team whose next meeting discusses the case")}, ["team_id"]),
    Kind.MEETING_ACTION_SET: ({
        "meeting_id": _id("meeting"), "task_id": _id("meeting_action task"),
        "owner_id": _id("team member who carries out the action"),
        "due_on": _date("The day the action is due."),
        "note": _text("The action agreed (free text; removed at retention, so it may be absent)."),
    }, ["meeting_id", "task_id", "owner_id", "due_on"]),
    Kind.MEETING_ACTION_DONE: ({
        "meeting_id": _id("meeting"), "task_id": _id("meeting_action task"),
        "note": _text("What was done (free text; removed at retention, so it may be absent)."),
    }, ["meeting_id", "task_id"]),
    Kind.DEADLINE_WARNING: (CLOCK, CLOCK_REQUIRED),
    Kind.DEADLINE_BREACHED: ({**CLOCK, "on_confirmation": _flag(
        "True when a start confirmed after the due date breached it (not the sweeper)."), "review_open": _flag(
        "True when a periodic review's clock passed while the last review is still open (no new one is made).")},
        CLOCK_REQUIRED),
    Kind.DEADLINE_MET: ({
        **CLOCK, "late": _flag("True when met after its due date."),
        "met_on": _date("The day the three-month clock was met (the start or full participation)."),
        "corrected_breach": _flag("True when a start on time, confirmed late, corrected the sweeper's breach."),
        "passed": _flag("True for a clock that marks a moment (it passed rather than was met)."),
    }, CLOCK_REQUIRED),
    Kind.DEADLINE_STOPPED: ({**CLOCK, "reason": _text("Why it stopped (e.g. vrijstelling, confirmed, replaced, "
                                                      "startkwalificatie, registration_changed, reviewed).")},
                            [*CLOCK_REQUIRED, "reason"]),
}


def _distribution(released: bool) -> tuple[dict, list[str]]:
    return {
        "task_id": _id("task"),
        "node": {"type": "string", "enum": list(node_forms()), "description": "The task's node."},
        "user_id": ({"type": "integer", "nullable": True, "enum": [None],
                     "description": "Null: the task went back to the queue."} if released
                    else _id("user the task was assigned to")),
        "previous_owner_id": _id("user who had the task", nullable=True),
        "reason": REASON,
    }, ["task_id", "node", "user_id", "previous_owner_id"]


def _name(kind: str) -> str:
    """deadline_met -> DeadlineMet."""
    return "".join(part.capitalize() for part in kind.split("_"))


def data_component_name(kind: str) -> str:
    return f"{_name(kind)}EventData"


def event_component_name(kind: str) -> str:
    return f"{_name(kind)}Event"


def _data(kind: str) -> tuple[dict, list[str]]:
    if kind == Kind.TASK_ASSIGNED:
        return _distribution(released=False)
    if kind == Kind.TASK_RELEASED:
        return _distribution(released=True)
    return EVENT_DATA[kind]


def event_components() -> dict[str, dict]:
    """`<Kind>EventData` and `<Kind>Event` for every kind, and `CaseEvent` as their `oneOf`."""
    components: dict[str, dict] = {}
    for kind in Kind.values:
        properties, required = _data(kind)
        components[data_component_name(kind)] = {
            "type": "object", "properties": properties, "required": sorted(required), "additionalProperties": False,
            "description": f"The data of a {kind} event ({CaseEvent.KIND_LABELS[kind]})."}
        components[event_component_name(kind)] = {
            "type": "object", "required": ["id", "at", "kind", "actor", "data"],
            "description": f"A {kind} event of the case's history.",
            "properties": {
                "id": {"type": "integer", "readOnly": True},
                "at": {"type": "string", "format": "date-time", "readOnly": True},
                "kind": {"type": "string", "enum": [kind], "description": "The event's kind."},
                "actor": {"type": "string", "nullable": True, "readOnly": True,
                          "description": "Username of who did it; null for the system."},
                "data": {"$ref": f"#/components/schemas/{data_component_name(kind)}"},
            },
        }
    refs = {kind: f"#/components/schemas/{event_component_name(kind)}" for kind in Kind.values}
    components["CaseEvent"] = {
        "oneOf": [{"$ref": ref} for ref in refs.values()],
        "discriminator": {"propertyName": "kind", "mapping": refs},
        "description": "One event of the case's history; `kind` says which, and so which keys `data` has.",
    }
    return components
