"""A ladder that climbs by itself: where people stop, the next rung decides.

Thuiszitterspact 2.0 gemeente Groningen: evaluatie 1ste jaar, part A item 1: in the end the
directeur-bestuurder of the samenwerkingsverband has the mandate ("uiteindelijk heeft de
directeur-bestuurder ... het mandaat"); an MBO institution has no doorzettingsmacht, its
*stagnatiemeldpunt instroom* and the VO-MBO *doorstroombegeleiders* take a stalled placement, and
it is "opgeschaald binnen de staf of lijn".

- VO and PO: a `doorbraak_decision` (MPL) or `doe_advice` (DOE-team) task open longer than
  CASEWORK_DOORBRAAK_STALL_DAYS stalls (`record_stall`): the SWV director decides.
- MBO: a breached three-month clock gives the institution's stagnatiemeldpunt a `stagnatie` task
  (`record_stagnatie`: the steps taken, or a placement at the institution); after
  CASEWORK_MBO_ESCALATION_DAYS without a placement the institution's management takes it
  (`escalate_stagnatie`) and the region's Leerplicht/RMC is told.

The sweep (the flows' side) finds the stalled tasks and moves the flows on; these services
record what happened."""

from django.utils import timezone
from django.utils.translation import gettext as _

from casework.models import (
    Case,
    CaseEvent,
    CaseParticipant,
    Offer,
    PlacementDecision,
    Route,
    events,
)
from casework.responsibility import ensure_can_act, region_team
from casework.services.ladder import (
    command,
    end_route,
    join,
    join_directors,
    place,
    raise_if,
    record_offer,
    require,
)
from casework.services.placement import _check_placement
from casework.step import Step
from notifications.models import Notification
from notifications.services import notify
from teams.models import Team

# The tasks that stall into a director's decision, and the team whose chair is told.
STALLING_STEPS = {"doorbraak_decision": Team.Kind.MPL, "doe_advice": Team.Kind.DOE}


def days_between(since, at) -> int:
    """Calendar days from `since` to `at` (local dates: the same day is 0)."""
    return (timezone.localdate(at) - timezone.localdate(since)).days


@command
def record_stall(*, step: Step, case: Case, node: str, opened_at, recorded: dict, note: str = "", at=None) -> CaseEvent:
    """The MPL's doorbraak decision or the DOE-team's advice stayed open too long: the SWV
    director (in PO also the coördinator deelverband) decides instead. `recorded` names what the
    commission recorded so far (references: meeting minutes, notes, who had claimed it), `note` is
    its text (free text: removed at retention). The chair is told."""
    if node not in STALLING_STEPS:
        raise ValueError(f"{node!r} does not stall into a director's decision")
    at = at or timezone.now()
    case = step.locked(case)
    days_open = days_between(opened_at, at)
    join_directors(step, case, at)
    event = step.record(case, None, events.DoorbraakStalled, at=at, task=node, days_open=days_open,
                             recorded=recorded, note=note)
    notify(step=step, kind=Notification.Kind.DOORBRAAK_STALLED, case=case, data={"task": node, "days_open": days_open})
    return event


def stagnatie_steps(case: Case) -> list[dict]:
    """What the stagnatiemeldpunt recorded so far (the `stagnatie_recorded` events)."""
    return [{"event_id": event.pk, "at": event.at.isoformat(), "actor_id": event.actor_id}
            for event in CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.STAGNATIE_RECORDED).order_by("at", "pk")]


@command
def record_stagnatie(*, step: Step, case: Case, steps: str, placed, school_board=None, school=None, start_date=None,
                     node: str = "stagnatie", provision=None) -> CaseEvent:
    """The MBO institution's stagnatiemeldpunt (`stagnatie`) or its management
    (`stagnatie_escalation`) records the steps taken; a placement at the institution (an offer
    with its start date) ends the ladder: the case team then confirms the start."""
    actor = step.actor
    case = step.locked(case)
    ensure_can_act(actor, case, node, step.rows)
    errors: dict[str, list[str]] = {}
    require(errors, "steps", steps, _("Write down the steps taken."))
    if placed is None:
        errors["placed"] = [_("Answer yes or no.")]
    elif placed:
        _check_placement(errors, case, school_board, school, start_date, provision)
    raise_if(errors)
    now = timezone.now()
    event = step.record(case, actor, events.StagnatieRecorded, at=now, task=node, placed=bool(placed),
                             note=steps.strip())
    if not placed:
        return event
    record = PlacementDecision.objects.create(
        case=case, kind=PlacementDecision.Kind.STAGNATIE, school_board=school_board, school=school,
        start_date=start_date, advice=steps.strip(), decided_by=actor, decided_at=now)
    place(step, case, now, by=Offer.Source.STAGNATIE)
    record_offer(step, case, Offer.Source.STAGNATIE, start_date, now, placement=record, provision=provision)
    end_route(case, Route.DOORBRAAK, now)
    notify(step=step, kind=Notification.Kind.PLACEMENT_DECIDED, case=case, actor=actor, data={"decision_id": record.pk})
    return event


@command
def escalate_stagnatie(*, step: Step, case: Case, since, at=None) -> CaseEvent:
    """No placement `mbo_escalation_days` after the breach (`since`): the institution's
    management takes the case; the region's Leerplicht/RMC team is on it and told."""
    at = at or timezone.now()
    case = step.locked(case)
    join(step, case, region_team(case, Team.Kind.LEERPLICHT, step.rows), CaseParticipant.Reason.ESCALATION, at)
    days = days_between(since, at)
    event = step.record(case, None, events.StagnatieEscalated, at=at, days=days,
                             steps=stagnatie_steps(case))
    notify(step=step, kind=Notification.Kind.STAGNATIE_ESCALATED, case=case, data={"days": days})
    return event
