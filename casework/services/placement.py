"""Placement: the escalation ladder's decisions (MPL doorbraak, DOE advice, the SWV director),
the education-and-care arrangement, and the confirmation that an offered place started (the
three-month promise is kept on that day, Thuiszitterspact Groningen, §2)."""


from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import clocks
from casework.models import (
    Arrangement,
    ArrangementEvaluation,
    Case,
    CaseEvent,
    Deadline,
    Offer,
    PlacementDecision,
    Route,
    events,
)
from casework.responsibility import ensure_can_act
from casework.selectors.steps import active_arrangement, pending_offer, start_defaults
from casework.services.ladder import (
    check_provision,
    check_school,
    check_start_date,
    command,
    end_route,
    join_directors,
    place,
    raise_if,
    record_offer,
    require,
)
from casework.services.moves import (
    REGULAR_SETTINGS,
    TAKING_PART,
    check_move,
    check_participation,
    check_since,
    enrol,
    is_move,
    set_participation,
)
from casework.step import Step
from notifications.models import Notification
from notifications.services import notify


def _check_placement(errors, case, school_board, school, start_date, provision=None) -> None:
    if school_board is None:
        errors.setdefault("school_board", []).append(_("Choose the school board with the duty of care."))
    check_school(errors, case, school_board, school)
    if start_date is None:
        errors.setdefault("start_date", []).append(_("Give the date the placement starts."))
    check_start_date(errors, case, start_date)
    check_provision(errors, case, provision)


@command
def decide_doorbraak(*, step: Step, case: Case, school_board, school, start_date, preference_followed: bool,
                     motivation: str = "", decision: str = PlacementDecision.Decision.PLAATSING,
                     provision=None) -> PlacementDecision:
    """The MPL commission's doorbraak: which board gets the duty of care, and from when. When the
    commission cannot settle the case (`geen_overeenstemming`), the SWV VO's directeur-bestuurder
    decides with the school boards' mandate (doorzettingsmacht: Thuiszitterspact 2.0 gemeente Groningen: evaluatie
    1ste jaar, A.1)."""
    actor = step.actor
    case = step.locked(case)
    ensure_can_act(actor, case, "doorbraak_decision", step.rows)
    errors: dict[str, list[str]] = {}
    if decision not in PlacementDecision.Decision.values:
        errors["decision"] = [_("Choose placement or no agreement.")]
        raise_if(errors)
    now = timezone.now()
    if decision == PlacementDecision.Decision.GEEN_OVEREENSTEMMING:
        require(errors, "motivation", motivation, _("Explain why the commission could not settle the case."))
        raise_if(errors)
        record = PlacementDecision.objects.create(
            case=case, kind=PlacementDecision.Kind.DOORBRAAK, decision=decision, motivation=motivation.strip(),
            decided_by=actor, decided_at=now)
        join_directors(step, case, now)
        step.record(case, actor, events.DoorbraakDecided, at=now, decision_id=record.pk, decision=decision)
        return record
    _check_placement(errors, case, school_board, school, start_date, provision)
    if preference_followed is None:
        errors["preference_followed"] = [_("Answer yes or no.")]
    elif not preference_followed and not (motivation or "").strip():
        errors["motivation"] = [_("Explain why the pupil's first preference is not followed.")]
    raise_if(errors)
    record = PlacementDecision.objects.create(
        case=case, kind=PlacementDecision.Kind.DOORBRAAK, decision=decision, school_board=school_board, school=school,
        start_date=start_date, preference_followed=bool(preference_followed), motivation=(motivation or "").strip(),
        decided_by=actor, decided_at=now,
    )
    step.record(case, actor, events.DoorbraakDecided, at=now, decision_id=record.pk, decision=decision,
                     school_board_id=school_board.pk, school_id=school.pk if school else None,
                     start_date=start_date.isoformat(), preference_followed=bool(preference_followed))
    place(step, case, now, by="doorbraak")
    record_offer(step, case, Offer.Source.DOORBRAAK, start_date, now, placement=record, provision=provision)
    end_route(case, Route.DOORBRAAK, now)
    notify(step=step, kind=Notification.Kind.PLACEMENT_DECIDED, case=case, actor=actor, data={"decision_id": record.pk})
    return record


@command
def advise_doe(*, step: Step, case: Case, advice: str, school_board, school=None, needs_doorzettingsmacht=True,
               start_date=None, provision=None) -> PlacementDecision:
    """The DOE-team's urgent placement advice (PO). With `needs_doorzettingsmacht` (the default) the
    SWV director or the coördinator deelverband then decides on this proposal; without it the
    advice is the settled placement: an offer with its start date, and no director step."""
    actor = step.actor
    case = step.locked(case)
    ensure_can_act(actor, case, "doe_advice", step.rows)
    settled = needs_doorzettingsmacht is False
    errors: dict[str, list[str]] = {}
    require(errors, "advice", advice, _("Write down the placement advice."))
    if settled:
        _check_placement(errors, case, school_board, school, start_date, provision)
    else:
        if school_board is None:
            errors["school_board"] = [_("Choose the school board with the duty of care.")]
        check_school(errors, case, school_board, school)
        check_start_date(errors, case, start_date)
    raise_if(errors)
    now = timezone.now()
    record = PlacementDecision.objects.create(
        case=case, kind=PlacementDecision.Kind.DOE_ADVICE, school_board=school_board, school=school,
        start_date=start_date, advice=advice.strip(), decided_by=actor, decided_at=now,
    )
    step.record(case, actor, events.DoeAdvised, at=now, decision_id=record.pk, school_board_id=school_board.pk,
                     school_id=school.pk if school else None, needs_doorzettingsmacht=not settled,
                     start_date=start_date.isoformat() if start_date else None)
    if not settled:
        join_directors(step, case, now)
        return record
    place(step, case, now, by="doe_advice")
    record_offer(step, case, Offer.Source.DOE_ADVICE, start_date, now, placement=record, provision=provision)
    end_route(case, Route.DOORBRAAK, now)
    notify(step=step, kind=Notification.Kind.PLACEMENT_DECIDED, case=case, actor=actor, data={"decision_id": record.pk})
    return record


@command
def decide_as_director(*, step: Step, case: Case, school_board, school, start_date, motivation: str,
                       provision=None) -> PlacementDecision:
    """The SWV director's decision (doorzettingsmacht): after the DOE-team's advice (PO), or when the
    MPL commission could not settle the case (VO)."""
    actor = step.actor
    case = step.locked(case)
    ensure_can_act(actor, case, "director_decision", step.rows)
    errors: dict[str, list[str]] = {}
    _check_placement(errors, case, school_board, school, start_date, provision)
    require(errors, "motivation", motivation, _("Explain the decision."))
    raise_if(errors)
    now = timezone.now()
    record = PlacementDecision.objects.create(
        case=case, kind=PlacementDecision.Kind.DIRECTOR, school_board=school_board, school=school,
        start_date=start_date, motivation=motivation.strip(), decided_by=actor, decided_at=now,
    )
    step.record(case, actor, events.DirectorDecided, at=now, decision_id=record.pk, school_board_id=school_board.pk,
                     school_id=school.pk if school else None, start_date=start_date.isoformat())
    place(step, case, now, by="director")
    record_offer(step, case, Offer.Source.DIRECTOR, start_date, now, placement=record, provision=provision)
    end_route(case, Route.DOORBRAAK, now)
    notify(step=step, kind=Notification.Kind.PLACEMENT_DECIDED, case=case, actor=actor, data={"decision_id": record.pk})
    return record


@command
def set_up_arrangement(*, step: Step, case: Case, education: str, care_provider: str, funding: str, start_date,
                       end_date, evaluation_weeks: int, provision=None) -> Arrangement:
    actor = step.actor
    case = step.locked(case)
    ensure_can_act(actor, case, "arrangement_setup", step.rows)
    errors: dict[str, list[str]] = {}
    require(errors, "education", education, _("Give the school or OPDC."))
    require(errors, "care_provider", care_provider, _("Give the care provider."))
    if funding not in Arrangement.Funding.values:
        errors["funding"] = [_("Choose who funds the arrangement.")]
    if not start_date:
        errors["start_date"] = [_("Give the date the arrangement starts.")]
    if not end_date:
        errors["end_date"] = [_("Give the date the arrangement ends.")]
    if start_date and end_date and end_date <= start_date:
        errors["end_date"] = [_("The end date must come after the start date.")]
    check_start_date(errors, case, start_date)
    if not evaluation_weeks or evaluation_weeks < 1:
        errors["evaluation_weeks"] = [_("Evaluate at least every week.")]
    check_provision(errors, case, provision)
    raise_if(errors)
    now = timezone.now()
    record = Arrangement.objects.create(case=case, education=education.strip(), care_provider=care_provider.strip(),
                                        funding=funding, start_date=start_date, end_date=end_date,
                                        evaluation_weeks=evaluation_weeks, set_up_by=actor, set_up_at=now)
    step.record(case, actor, events.ArrangementSetUp, at=now, arrangement_id=record.pk, funding=funding,
                     start_date=start_date.isoformat(), end_date=end_date.isoformat())
    clocks.next_evaluation_clock(record)
    place(step, case, now, by="arrangement")
    record_offer(step, case, Offer.Source.ARRANGEMENT, start_date, now, arrangement=record, provision=provision)
    return record


@command
def evaluate_arrangement(*, step: Step, case: Case, result: str, notes: str = "") -> ArrangementEvaluation:
    actor = step.actor
    case = step.locked(case)
    ensure_can_act(actor, case, "arrangement_evaluation", step.rows)
    arrangement = active_arrangement(case)
    if arrangement is None:
        raise ValidationError({"__all__": [_("The case has no running arrangement.")]})
    if result not in ArrangementEvaluation.Result.values:
        raise ValidationError({"result": [_("Choose continue, adjust or end.")]})
    now = timezone.now()
    record = ArrangementEvaluation.objects.create(arrangement=arrangement, result=result, notes=(notes or "").strip(),
                                                  evaluated_by=actor, evaluated_at=now)
    step.record(case, actor, events.ArrangementEvaluated, at=now, arrangement_id=arrangement.pk, result=result)
    clocks.mark_met(step, case, Deadline.Kind.ARRANGEMENT_EVALUATION, now)
    if result == ArrangementEvaluation.Result.BEEINDIGEN:
        Arrangement.objects.filter(pk=arrangement.pk).update(ended_at=now)
        end_route(case, Route.ARRANGEMENT, now)
    else:
        clocks.next_evaluation_clock(arrangement, done_on=timezone.localdate(now))
    return record


def new_school(case: Case, offer: Offer):
    """The school the pupil is enrolled at by starting in this offer: a placement at another school."""
    school = offer.placement.school if offer.placement_id else None
    return school if is_move(case, school) else None


@command
def confirm_start(*, step: Step, case: Case, started, started_on=None, reason: str = "", level: str = "",
                  setting: str = "", sources: tuple[str, ...] | None = None) -> Offer:
    """The case team confirms whether the child started in the offered place. Started: the
    three-month clock is met on `started_on` (late when that is after its due date), the pupil takes
    part from that day as far as `level` and `setting` say (by default as the offer says), a placement
    at another school enrols the pupil there (its team takes the case over), and an escalated case is
    placed again. Not started: the clock keeps running (or stays breached) and the case is back with
    the team."""
    actor = step.actor
    case = step.locked(case)
    ensure_can_act(actor, case, "start_confirmation", step.rows)
    offer = pending_offer(case, sources)
    if offer is None:
        raise ValidationError({"__all__": [_("There is no offered place waiting for its start.")]})
    errors: dict[str, list[str]] = {}
    school = new_school(case, offer)
    if started is None:
        errors["started"] = [_("Answer yes or no.")]
    elif started:
        defaults = start_defaults(case, offer)
        level, setting = level or defaults["level"], setting or defaults["setting"]
        check_participation(errors, level, setting, levels=TAKING_PART)
        if started_on is None:
            errors["started_on"] = [_("Give the date the child started.")]
        else:  # a dated fact of taking part (and of the enrolment): not before the last one
            kinds = (CaseEvent.Kind.PARTICIPATION_CHANGED, *((CaseEvent.Kind.SCHOOL_CHANGED,) if school else ()))
            check_since(errors, case, started_on, kinds, field="started_on")
        if school is not None:
            check_move(errors, case, school, field="__all__")
    else:
        require(errors, "reason", reason, _("Explain why the child did not start."))
    raise_if(errors)
    now = timezone.now()
    offer.confirmed_by, offer.confirmed_at = actor, now
    clocks.pass_offer_start(step, offer, now, reason="confirmed")
    if started:
        offer.status, offer.started_on = Offer.Status.STARTED, started_on
        offer.save()
        step.record(case, actor, events.OfferStarted, at=now, offer_id=offer.pk, source=offer.source,
                         start_date=offer.start_date.isoformat(), started_on=started_on.isoformat())
        if level != Case.Participation.VOLLEDIG:  # taking part fully meets it with the participation
            clocks.meet_offer_clock(step, case, started_on, now)
        if case.status == Case.Status.ESCALATED:
            case.start_in_place()
            case.save()
            step.record(case, actor, events.Placed, at=now, by=offer.source)
        if school is not None:
            enrol(step, case, school, now, since=started_on, trigger="start_confirmation",
                  reason=_("Started at %(school)s (offered place).") % {"school": school.name})
        # At a maatwerkvoorziening the pupil now takes part there (a later place at a regular school is a return).
        set_participation(step, case, level=level, since=started_on, setting=setting, note="", at=now,
                          provision=offer.provision if setting not in REGULAR_SETTINGS else None)
        return offer
    offer.status, offer.reason = Offer.Status.FAILED, reason.strip()
    offer.save()
    step.record(case, actor, events.OfferFailed, at=now, offer_id=offer.pk, source=offer.source,
                     start_date=offer.start_date.isoformat(), reason=reason.strip())
    if offer.arrangement_id:  # an arrangement that never started ends, with its route and clocks
        Arrangement.objects.filter(pk=offer.arrangement_id, ended_at__isnull=True).update(ended_at=now)
        clocks.stop(step, case, Deadline.Kind.ARRANGEMENT_EVALUATION, now, reason="offer_failed")
        end_route(case, Route.ARRANGEMENT, now)
    if case.status == Case.Status.PLACED and pending_offer(case) is None:
        case.offer_fell_through()
        case.save()
    notify(step=step, kind=Notification.Kind.OFFER_FAILED, case=case, actor=actor, data={"offer_id": offer.pk})
    return offer
