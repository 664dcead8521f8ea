"""The case flow: a hub (the school's team review) and spokes (the routes it chooses).

    start -> team_review -> has_routes? --no--> end            (the review closed the case)
                               |yes
                          route_split --(each chosen route, in parallel)--> ... -> join_routes
                                                                                    |
                          team_review <---------------------------------------------+

Routes: ect_consult (ect_draft -> ect_approve, rejected -> back to ect_draft),
vrijstelling_advies (vrijstelling_request -> vrijstelling_advice -> vrijstelling_decision),
doorbraak (start_escalation -> await_escalation: the branch waits for the case's
EscalationFlow, which runs doorbraak_decision by the MPL chair for VO, or doe_advice ->
director_decision for PO; a breached three-month clock starts the same EscalationFlow),
jim (jim_assignment), arrangement (arrangement_setup -> arrangement_evaluation,
repeated until "beeindigen").

Each node records its step through one core service (casework.services); the flow only
decides what comes next.
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.flow import Flow
from viewflow.workflow.status import PROCESS, STATUS

from casework import services
from casework.models import (
    ArrangementEvaluation,
    Case,
    EctAdvice,
    Offer,
    PlacementDecision,
    Plan,
    Route,
    Vrijstelling,
)
from casework.responsibility import is_po_case
from workflows import forms
from workflows.models import CaseProcess, CaseTask, SignalProcess
from workflows.nodes import CaseView, VerificationView

# --- how each task records its step (task, actor, cleaned form data) -----------------------


def perform_team_review(task, actor, data):
    services.record_team_review(case=task.case, actor=actor, plan=data["plan"], routes=data["routes"],
                                outcome=data["outcome"])


def perform_ect_draft(task, actor, data):
    services.draft_ect_advice(case=task.case, actor=actor, question=data["question"], advice=data["advice"])


def perform_ect_approve(task, actor, data):
    services.review_ect_advice(case=task.case, actor=actor, approved=data["approved"], reason=data["reason"])


def perform_vrijstelling_request(task, actor, data):
    services.request_vrijstelling(case=task.case, actor=actor, grounds=data["grounds"], motivation=data["motivation"],
                                  medical_statement=data["medical_statement"])


def perform_vrijstelling_advice(task, actor, data):
    services.advise_vrijstelling(case=task.case, actor=actor, advice=data["advice"], motivation=data["motivation"],
                                 alternatives=data["alternatives"])


def perform_vrijstelling_decision(task, actor, data):
    services.decide_vrijstelling(case=task.case, actor=actor, granted=data["granted"], until=data["until"],
                                 motivation=data["motivation"])


def perform_doorbraak_decision(task, actor, data):
    services.decide_doorbraak(case=task.case, actor=actor, school_board=data["school_board"],
                              decision=data["decision"] or PlacementDecision.Decision.PLAATSING,
                              school=data["school"], start_date=data["start_date"],
                              preference_followed=data["preference_followed"], motivation=data["motivation"])


def perform_doe_advice(task, actor, data):
    services.advise_doe(case=task.case, actor=actor, advice=data["advice"], school_board=data["school_board"],
                        school=data["school"])


def perform_director_decision(task, actor, data):
    services.decide_as_director(case=task.case, actor=actor, school_board=data["school_board"],
                                school=data["school"], start_date=data["start_date"], motivation=data["motivation"])


def perform_jim_assignment(task, actor, data):
    services.assign_mentor(case=task.case, actor=actor, mentor_name=data["mentor_name"], relation=data["relation"],
                           contact=data["contact"], consent=data["consent"], share=data["share"],
                           mentor_user=data["mentor_username"])


def perform_arrangement_setup(task, actor, data):
    services.set_up_arrangement(case=task.case, actor=actor, education=data["education"],
                                care_provider=data["care_provider"], funding=data["funding"],
                                start_date=data["start_date"], end_date=data["end_date"],
                                evaluation_weeks=data["evaluation_weeks"])


def perform_arrangement_evaluation(task, actor, data):
    services.evaluate_arrangement(case=task.case, actor=actor, result=data["result"], notes=data["notes"])


def offer_sources(flow_class) -> tuple[str, ...]:
    """Which offers a flow's start confirmation is about: the arrangement's (CaseFlow) or the
    placement decision's (EscalationFlow)."""
    return Offer.ARRANGEMENT_SOURCES if flow_class is CaseFlow else Offer.PLACEMENT_SOURCES


def perform_start_confirmation(task, actor, data):
    services.confirm_start(case=task.case, actor=actor, started=data["started"], started_on=data["started_on"],
                           reason=data["reason"], sources=offer_sources(task.flow_task.flow_class))


def perform_case_review(task, actor, data):
    services.record_case_review(case=task.case, actor=actor, reason=task.process.data.get("reason", ""),
                                notes=data["notes"])


def drafter_of_pending_advice(case: Case):
    advice = services.pending_ect_advice(case)
    return advice.drafted_by if advice else None


# --- conditions the gateways read from the case's records ------------------------------------


def latest_routes(activation) -> list[str]:
    """The routes of the case's latest review (read once per gateway activation)."""
    cached = getattr(activation, "_latest_routes", None)
    if cached is None:
        plan = Plan.objects.filter(case_id=activation.process.case_id).order_by("-recorded_at", "-pk").first()
        cached = activation._latest_routes = plan.routes if plan else []
    return cached


def route_chosen(route: str):
    return lambda activation: route in latest_routes(activation)


def latest_advice_approved(activation) -> bool:
    advice = EctAdvice.objects.filter(case_id=activation.process.case_id).order_by("-drafted_at", "-pk").first()
    return advice is not None and advice.status == EctAdvice.Status.APPROVED


def arrangement_ended(activation) -> bool:
    last = ArrangementEvaluation.objects.filter(arrangement__case_id=activation.process.case_id).order_by(
        "-evaluated_at", "-pk").first()
    return last is not None and last.result == ArrangementEvaluation.Result.BEEINDIGEN


def po_case(activation) -> bool:
    return is_po_case(activation.process.case)


def advice_needed(activation) -> bool:
    request = services.open_vrijstelling(activation.process.case)
    return request is not None and request.grounds == Vrijstelling.Grounds.ART_5A


def mpl_settled(activation) -> bool:
    """The MPL commission placed the pupil (else: no agreement, the SWV director decides)."""
    decision = PlacementDecision.objects.filter(case_id=activation.process.case_id,
                                                kind=PlacementDecision.Kind.DOORBRAAK).order_by("-decided_at", "-pk")
    latest = decision.first()
    return latest is not None and latest.decision == PlacementDecision.Decision.PLAATSING


def _latest_offer(activation) -> Offer | None:
    """The latest offer of the route this flow carries."""
    return (Offer.objects.filter(case_id=activation.process.case_id,
                                 source__in=offer_sources(activation.flow_class))
            .order_by("-recorded_at", "-pk").first())


def start_date_reached(activation) -> bool:
    """The offered place's start date has come: no need to wait for it."""
    offer = _latest_offer(activation)
    return offer is None or offer.start_date <= timezone.localdate()


def offer_started(activation) -> bool:
    offer = _latest_offer(activation)
    return offer is not None and offer.status == Offer.Status.STARTED


class ForACase:
    """Both flows run for one Case: their StartHandle links the process to it."""

    def start_case(self, activation, case: Case):
        activation.process.case = case
        return activation.process


class CaseFlow(ForACase, Flow):
    process_class = CaseProcess
    task_class = CaseTask
    # Row lock on the process (SELECT ... FOR UPDATE NOWAIT, retried). On SQLite, which has no
    # row locks, it is a plain transaction: SQLite serialises writers itself.
    lock_impl = lock.select_for_update_lock
    process_title = _("Case")
    process_description = _("A thuiszitter case from signal to closure.")

    start = flow.StartHandle(this.start_case).Next(this.team_review)

    team_review = CaseView(
        form_class=forms.TeamReviewForm, perform=perform_team_review, title=_("Team review"),
        description=_("Discuss the case, record the plan of action and choose the routes, or close the case."),
    ).Next(this.has_routes)

    has_routes = flow.If(lambda activation: bool(latest_routes(activation))).Then(this.route_split).Else(this.end)

    route_split = (
        flow.Split()
        .Next(this.ect_draft, case=route_chosen(Route.ECT_CONSULT))
        .Next(this.vrijstelling_request, case=route_chosen(Route.VRIJSTELLING_ADVIES))
        .Next(this.start_escalation, case=route_chosen(Route.DOORBRAAK))
        .Next(this.jim_assignment, case=route_chosen(Route.JIM))
        .Next(this.arrangement_setup, case=route_chosen(Route.ARRANGEMENT))
    )

    # ECT consult, four eyes
    ect_draft = CaseView(
        form_class=forms.EctDraftForm, perform=perform_ect_draft, title=_("ECT: draft advice"),
        description=_("Write the ECT's advice after the case meeting."),
    ).Next(this.ect_approve)
    ect_approve = CaseView(
        form_class=forms.EctApproveForm, perform=perform_ect_approve, title=_("ECT: approve advice"),
        description=_("A second consultant approves the advice before it goes to the team."),
        exclude=drafter_of_pending_advice,
    ).Next(this.ect_approved)
    ect_approved = flow.If(latest_advice_approved).Then(this.join_routes).Else(this.ect_draft)

    # Vrijstelling 5a
    vrijstelling_request = CaseView(
        form_class=forms.VrijstellingRequestForm, perform=perform_vrijstelling_request,
        title=_("Leerplicht: request exemption advice"),
        description=_("Leerplicht asks for an exemption; for article 5 under a the SWV advises first."),
    ).Next(this.needs_advice)
    # Only a 5a exemption (not fit for school) needs the SWV's advice (seed 002 §8).
    needs_advice = flow.If(advice_needed).Then(this.vrijstelling_advice).Else(this.vrijstelling_decision)
    vrijstelling_advice = CaseView(
        form_class=forms.VrijstellingAdviceForm, perform=perform_vrijstelling_advice,
        title=_("ECT: exemption advice"), description=_("The ECT advises on the exemption."),
    ).Next(this.vrijstelling_decision)
    vrijstelling_decision = CaseView(
        form_class=forms.VrijstellingDecisionForm, perform=perform_vrijstelling_decision,
        title=_("Leerplicht: exemption decision"), description=_("Leerplicht records its decision."),
    ).Next(this.join_routes)

    # Doorbraak: runs as its own EscalationFlow (a clock can start it too); the branch waits on it
    start_escalation = flow.Function(this.begin_escalation).Next(this.await_escalation)
    await_escalation = flow.Handle().Next(this.join_routes)

    # JIM mentor
    jim_assignment = CaseView(
        form_class=forms.JimAssignmentForm, perform=perform_jim_assignment, title=_("Record the JIM mentor"),
        description=_("Record the mentor the young person chose, with consent and what may be shared."),
    ).Next(this.join_routes)

    # Onderwijs-zorgarrangement
    arrangement_setup = CaseView(
        form_class=forms.ArrangementSetupForm, perform=perform_arrangement_setup,
        title=_("Set up the education-and-care arrangement"),
        description=_("Record the agreed education, care, funding, dates and evaluation rhythm."),
    ).Next(this.arrangement_start_due)
    # The flow waits for the arrangement's start date (the sweeper releases `await_start`), then the
    # team confirms the start; an arrangement that did not start goes back to the team's review.
    arrangement_start_due = flow.If(start_date_reached).Then(this.start_confirmation).Else(this.await_start)
    await_start = flow.Handle().Next(this.start_confirmation)
    start_confirmation = CaseView(
        form_class=forms.StartConfirmationForm, perform=perform_start_confirmation,
        title=_("Confirm the start in the offered place"),
        description=_("Did the child start in the offered place? The three-month promise is kept on the day the "
                      "child starts."),
    ).Next(this.arrangement_started)
    arrangement_started = flow.If(offer_started).Then(this.arrangement_evaluation).Else(this.join_routes)
    arrangement_evaluation = CaseView(
        form_class=forms.ArrangementEvaluationForm, perform=perform_arrangement_evaluation,
        title=_("Evaluate the arrangement"), description=_("Continue, adjust or end the arrangement."),
    ).Next(this.arrangement_continues)
    arrangement_continues = flow.If(arrangement_ended).Then(this.join_routes).Else(this.arrangement_evaluation)

    join_routes = flow.Join().Next(this.team_review)

    end = flow.End()

    def begin_escalation(self, activation):
        start_escalation_for(activation.process.case)


def running_escalation(case) -> CaseProcess | None:
    return CaseProcess.objects.filter(case=case, flow_class=EscalationFlow, status=PROCESS.NEW).first()


def start_escalation_for(case) -> CaseProcess:
    """The case's running escalation, or a new one (from the team's doorbraak route or a clock)."""
    return running_escalation(case) or EscalationFlow.start.run(case=case)


class EscalationFlow(ForACase, Flow):
    """The escalation ladder for a place: the MPL commission's doorbraak (VO), or the DOE-team's
    advice and the SWV director's decision (PO). Started by the team's doorbraak route or by a
    breached three-month clock; when it ends, a team route waiting on it continues."""

    process_class = CaseProcess
    task_class = CaseTask
    lock_impl = lock.select_for_update_lock
    process_title = _("Escalation")
    process_description = _("Escalation for a school place (doorbraak).")

    start = flow.StartHandle(this.start_case).Next(this.doorbraak_sector)

    doorbraak_sector = flow.If(po_case).Then(this.doe_advice).Else(this.doorbraak_decision)
    doorbraak_decision = CaseView(
        form_class=forms.DoorbraakDecisionForm, perform=perform_doorbraak_decision,
        title=_("MPL: doorbraak decision"),
        description=_("The MPL commission decides which school board gets the duty of care, and from when; when it "
                      "cannot settle the case, the SWV director decides."),
    ).Next(this.mpl_outcome)
    mpl_outcome = flow.If(mpl_settled).Then(this.start_due).Else(this.director_decision)
    doe_advice = CaseView(
        form_class=forms.DoeAdviceForm, perform=perform_doe_advice, title=_("DOE-team: placement advice"),
        description=_("The DOE-team gives urgent placement advice to the SWV director."),
    ).Next(this.director_decision)
    director_decision = CaseView(
        form_class=forms.DirectorDecisionForm, perform=perform_director_decision,
        title=_("SWV director: placement decision"),
        description=_("The director decides on the placement (doorzettingsmacht)."),
    ).Next(this.start_due)

    # The place is there only when the child starts: wait for the start date, then the team confirms.
    start_due = flow.If(start_date_reached).Then(this.start_confirmation).Else(this.await_start)
    await_start = flow.Handle().Next(this.start_confirmation)
    start_confirmation = CaseView(
        form_class=forms.StartConfirmationForm, perform=perform_start_confirmation,
        title=_("Confirm the start in the offered place"),
        description=_("Did the child start in the offered place? The three-month promise is kept on the day the "
                      "child starts."),
    ).Next(this.finish)

    finish = flow.Function(this.release_waiting_route).Next(this.end)
    end = flow.End()

    def release_waiting_route(self, activation):
        """Let the team's waiting doorbraak branch continue, once this flow's lock is released. An
        escalation that a clock started has no waiting branch: when its place did not start, the
        case team gets a review task instead."""
        waiting = CaseTask.objects.filter(
            case_id=activation.process.case_id, flow_task=CaseFlow.await_escalation, status=STATUS.NEW
        ).first()
        if waiting is not None:
            lock.after_lock_released(lambda: CaseFlow.await_escalation.run(waiting))
        elif not offer_started(activation):
            case = activation.process.case
            lock.after_lock_released(lambda: ReviewFlow.start.run(case=case, reason="offer_failed"))


def release_finished_escalations() -> int:
    """Safety net for the sweeper: complete waiting doorbraak branches whose escalation ended
    (e.g. when the hand-over after the decision failed), and waits for a start date that has come.
    Returns how many were released."""
    released = 0
    for waiting in CaseTask.objects.filter(flow_task=CaseFlow.await_escalation, status=STATUS.NEW):
        if running_escalation(waiting.case) is None:
            CaseFlow.await_escalation.run(waiting)
            released += 1
    today = timezone.localdate()
    for waiting in CaseTask.objects.filter(flow_task__in=AWAIT_START, status=STATUS.NEW).select_related("case"):
        offer = services.pending_offer(waiting.case, offer_sources(waiting.flow_task.flow_class))
        if offer is None or offer.start_date <= today:
            waiting.flow_task.run(waiting)
            released += 1
    return released


def release_start(case: Case, offer: Offer) -> int:
    """The offered place's start date has come: the flow waiting for this offer asks for the
    confirmation (an arrangement's in the case flow, a placement's in the escalation)."""
    if offer.status != Offer.Status.PENDING:
        return 0
    released = 0
    for waiting in CaseTask.objects.filter(case=case, flow_task__in=AWAIT_START, status=STATUS.NEW):
        if offer.source in offer_sources(waiting.flow_task.flow_class):
            waiting.flow_task.run(waiting)
            released += 1
    return released


class ReviewFlow(ForACase, Flow):
    """A task for the case team that a clock asks for: the exemption ended, the young person is no
    longer of compulsory school age (close with outcome achttien), the cyclical review of a pupil
    reported sick (with the ECT), or an offered place that did not start."""

    process_class = CaseProcess
    task_class = CaseTask
    lock_impl = lock.select_for_update_lock
    process_title = _("Case review")
    process_description = _("The case team reviews the case after a clock.")

    start = flow.StartHandle(this.start_review).Next(this.case_review)
    case_review = CaseView(
        form_class=forms.CaseReviewForm, perform=perform_case_review, title=_("Review the case"),
        description=_("A clock asks the team to look at the case again: record what you concluded. Change the "
                      "registration, or close the case in the next team review, where needed."),
    ).Next(this.end)
    end = flow.End()

    def start_review(self, activation, case: Case, reason: str):
        activation.process.case = case
        activation.process.data = {"reason": reason}
        return activation.process


class ConsultFlow(ForACase, Flow):
    """An ECT consult that a clock started outside the team's review (three months passed for a
    pupil reported sick): the same four-eyes steps as the team's ect_consult route."""

    process_class = CaseProcess
    task_class = CaseTask
    lock_impl = lock.select_for_update_lock
    process_title = _("ECT consult")
    process_description = _("The ECT advises on a pupil reported sick for three months.")

    start = flow.StartHandle(this.start_case).Next(this.ect_draft)
    ect_draft = CaseView(
        form_class=forms.EctDraftForm, perform=perform_ect_draft, title=_("ECT: draft advice"),
        description=_("Write the ECT's advice after the case meeting."),
    ).Next(this.ect_approve)
    ect_approve = CaseView(
        form_class=forms.EctApproveForm, perform=perform_ect_approve, title=_("ECT: approve advice"),
        description=_("A second consultant approves the advice before it goes to the team."),
        exclude=drafter_of_pending_advice,
    ).Next(this.ect_approved)
    ect_approved = flow.If(latest_advice_approved).Then(this.end).Else(this.ect_draft)
    end = flow.End()


def perform_verify_signal(task, actor, data):
    from casework.participation import verify_public_signal

    verify_public_signal(public_signal=task.public_signal, actor=actor, verified=data["verified"],
                         registration=data["registration"], category=data["category"], reason=data["reason"])


class SignalVerificationFlow(Flow):
    """A signal from a parent or young person becomes a case only after Leerplicht verifies it."""

    process_class = SignalProcess
    task_class = CaseTask
    lock_impl = lock.select_for_update_lock
    process_title = _("Signal verification")

    start = flow.StartHandle(this.start_verification).Next(this.verify_signal)
    verify_signal = VerificationView(
        form_class=forms.SignalVerificationForm, perform=perform_verify_signal,
        title=_("Leerplicht: verify a signal from a parent or young person"),
        description=_("Check the signal (call the parent or young person if needed) and take it up as a case, "
                      "or explain why not."),
    ).Next(this.end)
    end = flow.End()

    def start_verification(self, activation, public_signal):
        activation.process.public_signal = public_signal
        return activation.process


FLOWS = [CaseFlow, EscalationFlow, SignalVerificationFlow, ReviewFlow, ConsultFlow]
AWAIT_START = [CaseFlow.await_start, EscalationFlow.await_start]
