"""The steps of a case that the flow's tasks record: the team review, the ECT's advice (four
eyes), the exemption, the JIM mentor and the reviews a clock asks for. Each one transaction."""


from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import clocks
from casework.models import (
    Case,
    CaseEvent,
    CaseParticipant,
    Deadline,
    EctAdvice,
    Mentor,
    Plan,
    Route,
    RouteRun,
    Vrijstelling,
    events,
)
from casework.responsibility import ensure_can_act, review_recorded
from casework.selectors.steps import (
    open_vrijstelling,
    pending_ect_advice,
    running_routes,
    team_question,
)
from casework.services.ladder import (
    change_registration_to,
    command,
    end_route,
    escalate,
    join,
    join_user,
    raise_if,
    require,
    route_teams,
)
from casework.services.survey import invite_after_consult
from casework.signals import case_closed
from casework.step import Step
from notifications.models import Notification
from notifications.services import notify
from teams.models import User


@command
def record_team_review(*, step: Step, case: Case, plan: str, routes: list[str], outcome: str = "", ect_question: str = "",
                       ect_question_kind: str = "", pupil_preference: str = "") -> Plan:
    """The team's review: a plan of action and the routes to run, or closure with an outcome.
    With the ECT consult the team asks its question (`ect_question`; without one the consultant
    words it when drafting) and says what kind of question it is (`ect_question_kind`, required
    then: the ECT's caseload is counted by it); with the
    doorbraak the pupil's (and parents') preference for a school goes to the commission."""
    actor = step.actor
    case = step.locked(case)
    ensure_can_act(actor, case, "team_review", step.rows)
    errors: dict[str, list[str]] = {}
    require(errors, "plan", plan, _("Write down the plan of action."))
    routes = list(dict.fromkeys(routes or []))
    unknown = [r for r in routes if r not in Route.values]
    if unknown:
        errors.setdefault("routes", []).append(_("Unknown route(s): %(routes)s.") % {"routes": ", ".join(unknown)})
    if routes and outcome:
        errors.setdefault("outcome", []).append(_("An outcome closes the case: choose it only without routes."))
    if not routes and not outcome:
        errors.setdefault("outcome", []).append(_("Choose one or more routes, or an outcome to close the case."))
    if outcome and outcome not in Case.Outcome.values:
        errors.setdefault("outcome", []).append(_("Choose a valid outcome."))
    if (ect_question or "").strip() and Route.ECT_CONSULT not in routes:
        errors.setdefault("ect_question", []).append(_("A question to the ECT goes with the ECT consult route only."))
    if Route.ECT_CONSULT in routes and not ect_question_kind:
        errors.setdefault("ect_question_kind", []).append(_("Choose what kind of question the team asks the ECT."))
    elif ect_question_kind and Route.ECT_CONSULT not in routes:
        errors.setdefault("ect_question_kind", []).append(_("The kind of question goes with the ECT consult route only."))
    elif ect_question_kind and ect_question_kind not in Plan.EctQuestionKind.values:
        errors.setdefault("ect_question_kind", []).append(_("Choose a valid kind of question."))
    if case.status == Case.Status.CLOSED:
        errors.setdefault("__all__", []).append(_("The case is already closed."))
    raise_if(errors)
    running = running_routes(case)
    if outcome and running:
        raise ValidationError({"outcome": [
            _("The case cannot be closed while routes are still running: %(routes)s.")
            % {"routes": ", ".join(str(Route(r).label) for r in running)}]})
    joining = [pair for route in routes for pair in route_teams(step, case, route)]

    now = timezone.now()
    if case.status == Case.Status.SIGNALLED:
        case.take_up()
        case.save()
    first_review = not Plan.objects.filter(case=case).exists()
    record = Plan.objects.create(case=case, text=plan.strip(), routes=routes, outcome=outcome or "",
                                 ect_question=(ect_question or "").strip(), ect_question_kind=ect_question_kind or "",
                                 pupil_preference=(pupil_preference or "").strip(), recorded_by=actor,
                                 recorded_at=now)
    review_recorded(step.rows, case.pk, record.routes)  # the flow's gateways choose by them next
    for team, reason in joining:
        join(step, case, team, reason, now)
    for route in routes:
        if route not in running:
            RouteRun.objects.create(case=case, plan=record, route=route, started_at=now)
    step.record(case, actor, events.TeamReview, at=now, plan_id=record.pk, routes=routes, outcome=outcome or "")
    if first_review:
        clocks.mark_met(step, case, Deadline.Kind.TEAM_ACTION_48H, now)
    if Route.DOORBRAAK in routes:
        escalate(step, case, now, trigger="team_review")
    if outcome:
        case.close(outcome=outcome, at=now)
        case.save()
        step.record(case, actor, events.Closed, at=now, outcome=outcome)
        clocks.on_case_closed(step, case, outcome, now)
        case_closed.send(sender=Case, case=case, outcome=outcome)
        notify(step=step, kind=Notification.Kind.CASE_CLOSED, case=case, actor=actor, data={"outcome": outcome})
    return record


@command
def draft_ect_advice(*, step: Step, case: Case, advice: str, question: str = "") -> EctAdvice:
    """The ECT's advice; the question is the team's unless the consultant words it (a consult a
    clock started has no team question: the consultant writes it)."""
    actor = step.actor
    case = step.locked(case)
    ensure_can_act(actor, case, "ect_draft", step.rows)
    errors: dict[str, list[str]] = {}
    question = (question or "").strip() or team_question(case)
    require(errors, "question", question, _("Write down the question to the ECT."))
    require(errors, "advice", advice, _("Write down the advice."))
    raise_if(errors)
    record = EctAdvice.objects.create(case=case, question=question.strip(), advice=advice.strip(), drafted_by=actor)
    step.record(case, actor, events.EctAdviceDrafted, at=record.drafted_at, advice_id=record.pk)
    return record


def ensure_four_eyes(actor, advice: EctAdvice | None) -> None:
    """The consultant who drafted an advice may not approve it."""
    if advice is not None and advice.drafted_by_id == actor.pk:
        raise PermissionDenied(_("Four eyes: another ECT consultant must approve the advice you drafted."))


@command
def review_ect_advice(*, step: Step, case: Case, approved: bool, reason: str = "") -> EctAdvice:
    actor = step.actor
    case = step.locked(case)
    ensure_can_act(actor, case, "ect_approve", step.rows)
    advice = pending_ect_advice(case)
    if advice is None:
        raise ValidationError({"__all__": [_("There is no advice awaiting approval.")]})
    ensure_four_eyes(actor, advice)
    if not approved and not (reason or "").strip():
        raise ValidationError({"reason": [_("Explain why the advice is rejected.")]})
    now = timezone.now()
    advice.status = EctAdvice.Status.APPROVED if approved else EctAdvice.Status.REJECTED
    advice.reviewed_by, advice.reviewed_at, advice.reason = actor, now, (reason or "").strip()
    advice.save(update_fields=["status", "reviewed_by", "reviewed_at", "reason"])
    if approved:
        step.record(case, actor, events.EctAdviceApproved, at=now, advice_id=advice.pk)
    else:  # the reason is shown in the timeline and to the drafter, who redrafts
        step.record(case, actor, events.EctAdviceRejected, at=now, advice_id=advice.pk,
                         reason=advice.reason)
    notify(step=step, kind=Notification.Kind.ECT_ADVICE_REVIEWED, case=case, actor=actor, data={"advice_id": advice.pk, "approved": approved})
    if approved:
        end_route(case, Route.ECT_CONSULT, now)
        invite_after_consult(step, case, advice)  # the consult closes: KPI 9's survey
    return advice


@command
def request_vrijstelling(*, step: Step, case: Case, grounds: str, motivation: str, medical_statement: bool) -> Vrijstelling:
    actor = step.actor
    case = step.locked(case)
    ensure_can_act(actor, case, "vrijstelling_request", step.rows)
    errors: dict[str, list[str]] = {}
    if grounds not in Vrijstelling.Grounds.values:
        errors["grounds"] = [_("Choose the grounds for the exemption.")]
    require(errors, "motivation", motivation, _("Explain why the exemption is requested."))
    raise_if(errors)
    record = Vrijstelling.objects.create(case=case, grounds=grounds, motivation=motivation.strip(),
                                         medical_statement=bool(medical_statement), requested_by=actor)
    step.record(case, actor, events.VrijstellingRequested, at=record.requested_at, vrijstelling_id=record.pk,
                     grounds=grounds, medical_statement=bool(medical_statement))
    return record


@command
def advise_vrijstelling(*, step: Step, case: Case, advice: str, motivation: str, alternatives: str = "") -> Vrijstelling:
    actor = step.actor
    case = step.locked(case)
    ensure_can_act(actor, case, "vrijstelling_advice", step.rows)
    record = open_vrijstelling(case)
    if record is None or record.advised_at:
        raise ValidationError({"__all__": [_("There is no exemption request awaiting advice.")]})
    errors: dict[str, list[str]] = {}
    if advice not in Vrijstelling.Advice.values:
        errors["advice"] = [_("Choose the advice.")]
    require(errors, "motivation", motivation, _("Explain the advice."))
    raise_if(errors)
    now = timezone.now()
    record.advice, record.advice_motivation, record.alternatives = advice, motivation.strip(), (alternatives or "").strip()
    record.advised_by, record.advised_at = actor, now
    # A 5a that Leerplicht granted before the signal counts as granted once the advice is on record
    # (Thuiszitterspact Groningen, "Uitgangspunten & ontwikkelpunten"), from that day: the peildatum
    # count reads `granted`, `starts_on`, `until` and `ended_on` of this row alone.
    in_force = record.recorded_with_signal and record.until is not None and record.until >= timezone.localdate(now)
    if in_force:
        record.granted, record.starts_on = True, timezone.localdate(now)
        record.decided_by, record.decided_at = record.requested_by, now
        record.decision_motivation = _("Recorded with the signal; in force once the SWV's advice was on record.")
    record.save()
    granted = {"granted": True, "grounds": record.grounds, "until": record.until.isoformat()} if in_force else {}
    step.record(case, actor, events.VrijstellingAdvised, at=now, vrijstelling_id=record.pk, advice=advice,
                     **granted)
    if record.recorded_with_signal:
        end_route(case, Route.VRIJSTELLING_ADVIES, now)  # the route ends here: Leerplicht decided before
    notify(step=step, kind=Notification.Kind.VRIJSTELLING_ADVISED, case=case, actor=actor, data={"vrijstelling_id": record.pk})
    return record


@command
def decide_vrijstelling(*, step: Step, case: Case, granted: bool, until=None, motivation: str = "") -> Vrijstelling:
    """Leerplicht's decision. A 5a exemption needs the SWV's advice first and a doctor's or
    psychologist's statement (art. 7 Leerplichtwet); the other grounds need neither."""
    actor = step.actor
    case = step.locked(case)
    ensure_can_act(actor, case, "vrijstelling_decision", step.rows)
    record = open_vrijstelling(case)
    if record is None:
        raise ValidationError({"__all__": [_("There is no exemption request awaiting a decision.")]})
    if record.grounds == Vrijstelling.Grounds.ART_5A and not record.advised_at:
        raise ValidationError({"__all__": [_("The exemption request has no advice of the SWV yet.")]})
    errors: dict[str, list[str]] = {}
    if granted and record.grounds == Vrijstelling.Grounds.ART_5A and not record.medical_statement:
        errors["granted"] = [_("A 5a exemption needs a statement of a doctor or psychologist (article 7 "
                               "Leerplichtwet); the request has none.")]
    if granted and until is None:
        errors["until"] = [_("Give the date until which the exemption holds.")]
    elif granted and until <= timezone.localdate():
        errors["until"] = [_("The exemption must hold until a date in the future.")]
    require(errors, "motivation", motivation, _("Explain the decision."))
    raise_if(errors)
    now = timezone.now()
    record.granted, record.until, record.decision_motivation = bool(granted), until if granted else None, motivation.strip()
    record.starts_on = timezone.localdate(now) if granted else None
    record.decided_by, record.decided_at = actor, now
    record.save()
    step.record(case, actor, events.VrijstellingDecided, at=now, vrijstelling_id=record.pk, granted=bool(granted),
                     grounds=record.grounds, until=until.isoformat() if granted else None)
    if granted and case.registration != Case.Registration.VRIJ:
        change_registration_to(step, case, Case.Registration.VRIJ, now, since=record.starts_on,
                             trigger="vrijstelling")
    if granted:
        clocks.stop_kinds(step, case, (Deadline.Kind.OFFER_3_MONTHS, Deadline.Kind.LRV_4_WEEKS, Deadline.Kind.ZIEK_REVIEW),
                          now, reason="vrijstelling")
        clocks.start_exemption_clock(record)
    end_route(case, Route.VRIJSTELLING_ADVIES, now)
    return record


@command
def assign_mentor(*, step: Step, case: Case, mentor_name: str, relation: str, contact: str, consent: bool,
                  share: list[str], mentor_user: User | None = None) -> Mentor:
    """Record the JIM mentor the young person chose, and what the mentor may see."""
    actor = step.actor
    case = step.locked(case)
    ensure_can_act(actor, case, "jim_assignment", step.rows)
    errors: dict[str, list[str]] = {}
    require(errors, "mentor_name", mentor_name, _("Give the mentor's name."))
    require(errors, "relation", relation, _("Give the mentor's relation to the young person."))
    require(errors, "contact", contact, _("Give a phone number or e-mail address of the mentor."))
    if not consent:
        errors["consent"] = [_("The young person must have chosen this mentor and agreed.")]
    share = list(dict.fromkeys(share or []))
    if any(item not in Mentor.Share.values for item in share):
        errors["share"] = [_("Choose what to share from: plan, advice, decisions.")]
    raise_if(errors)
    now = timezone.now()
    Mentor.objects.filter(case=case, active=True).update(active=False)
    record = Mentor.objects.create(case=case, name=mentor_name.strip(), relation=relation.strip(),
                                   contact=contact.strip(), share=share, user=mentor_user,
                                   recorded_by=actor, recorded_at=now)
    if mentor_user is not None:
        join_user(step, case, mentor_user, CaseParticipant.Reason.MENTOR, now)
    step.record(case, actor, events.MentorAssigned, at=now, mentor_id=record.pk, share=share)
    end_route(case, Route.JIM, now)
    return record


@command
def record_case_review(*, step: Step, case: Case, reason: str, notes: str) -> CaseEvent:
    """The case team looked at the case after a clock asked it to (see `review_needed`)."""
    actor = step.actor
    case = step.locked(case)
    ensure_can_act(actor, case, "case_review", step.rows)
    errors: dict[str, list[str]] = {}
    require(errors, "notes", notes, _("Write down what the team concluded."))
    raise_if(errors)
    now = timezone.now()
    event = step.record(case, actor, events.CaseReviewed, at=now, trigger=reason, note=notes.strip())
    if reason == Deadline.Kind.ZIEK_REVIEW:
        clocks.replan_ziek_review(step, case, timezone.localdate(now), now)
    return event


@command
def record_task_distribution(*, step: Step, case: Case, task, node: str, assigned_to_id: int | None,
                             previous_owner_id: int | None, reason: str, at) -> CaseEvent:
    """A task of the case was assigned to a colleague (or released to the queue) by `actor`, with
    a reason: one history row, and the assignee and whoever lost the task are told. The task itself
    is changed by the flow (workflows.services.bulk_distribute), in the same transaction."""
    actor = step.actor
    kind = events.TaskAssigned if assigned_to_id else events.TaskReleased
    event = step.record(case, actor, kind, at=at, task_id=task.pk, node=node, user_id=assigned_to_id,
                             previous_owner_id=previous_owner_id, reason=reason)
    if assigned_to_id:
        notify(step=step, kind=Notification.Kind.TASK_ASSIGNED, case=case, actor=actor, task=task, data={"user_id": assigned_to_id})
    if previous_owner_id and previous_owner_id != assigned_to_id:
        notify(step=step, kind=Notification.Kind.TASK_RELEASED, case=case, actor=actor, task=task, data={"user_id": previous_owner_id})
    return event


# --- the team meeting -----------------------------------------------------------------------------

@command
def record_meeting_flag(*, step: Step, case: Case, team) -> CaseEvent:
    """A member of a team on the case asks for the case to be discussed in the team's next meeting
    (the flag itself is the meetings' row, `workflows.meetings.flag_case`)."""
    actor = step.actor
    if not case.is_open or not case.participants.filter(team=team).exists() \
            or not team.memberships.filter(user=actor).exists():
        raise PermissionDenied(_("Only a member of a team on this open case puts it on that team's agenda."))
    return step.record(case, actor, events.MeetingFlagged, team_id=team.pk)


@command
def record_meeting_action(*, step: Step, case: Case, meeting_id: int, task, owner, due_on, action: str) -> CaseEvent:
    """The team meeting agreed an action on the case for one member, due on a day (the
    `meeting_action` task is the flow's, claimed for the member, who hears of it as of any new task;
    the chair was checked by `workflows.meetings`)."""
    actor = step.actor
    return step.record(case, actor, events.MeetingActionSet, meeting_id=meeting_id, task_id=task.pk,
                            owner_id=owner.pk, due_on=due_on.isoformat(), note=action.strip())


@command
def record_meeting_action_done(*, step: Step, case: Case, meeting_id: int, task_id: int, note: str) -> CaseEvent:
    """The member carried out an action the team meeting agreed: what they did, on the timeline."""
    actor = step.actor
    case = step.locked(case)
    ensure_can_act(actor, case, "meeting_action", step.rows)
    errors: dict[str, list[str]] = {}
    require(errors, "note", note, _("Write down what you did."))
    raise_if(errors)
    return step.record(case, actor, events.MeetingActionDone, meeting_id=meeting_id, task_id=task_id,
                            note=note.strip())
