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

Each node names its form and the core service (casework.services) that records its step; the
flow only decides what comes next. The nodes several flows share and the adapters between a
form and its service are in `workflows.adapters`; what the gateways read, in `workflows.gateways`.
"""

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.flow import Flow
from viewflow.workflow.status import PROCESS, STATUS

from casework import services
from casework.models import Case, Offer, Route
from casework.step import Step
from workflows import forms
from workflows.adapters import (
    action_arguments,
    ect_approve_view,
    ect_draft_view,
    mentor_account,
    owner_of_action,
    placement_unless_chosen,
    reason_of_review,
    stagnatie_view,
    start_confirmation_view,
    vrijstelling_advice_view,
)
from workflows.gateways import (
    advice_needed,
    arrangement_ended,
    doe_settled,
    latest_advice_approved,
    latest_routes,
    mbo_case,
    mpl_settled,
    offer_started,
    po_case,
    route_chosen,
    stagnatie_placed,
    start_date_reached,
)
from workflows.locking import StartHandle, process_row_lock
from workflows.models import CaseProcess, CaseTask, SignalProcess
from workflows.nodes import (
    CaseView,
    End,
    If,
    Join,
    MeetingActionView,
    Split,
    Switch,
    VerificationView,
    step_of,
)


class ForACase:
    """The flows run for one Case: their StartHandle links the process to it. A flow started inside
    a step (a task's, the sweeper's) is handed it: its first tasks read the step's reference rows."""

    def start_case(self, activation, case: Case, step: Step | None = None):
        activation.process.case = case
        activation.process.step = step
        return activation.process


class CaseFlow(ForACase, Flow):
    process_class = CaseProcess
    task_class = CaseTask
    lock_impl = process_row_lock
    process_title = _("Case")
    process_description = _("A thuiszitter case from signal to closure.")
    offered_sources = Offer.ARRANGEMENT_SOURCES  # its start confirmation is about the arrangement (`offer_sources`)

    start = StartHandle(this.start_case).Next(this.team_review)

    team_review = CaseView(
        form_class=forms.TeamReviewForm, service=services.record_team_review, title=_("Team review"),
        description=_("Discuss the case, record the plan of action and choose the routes, or close the case."),
    ).Next(this.has_routes)

    has_routes = If(lambda activation: bool(latest_routes(activation))).Then(this.route_split).Else(this.end)

    route_split = (
        Split()
        .Next(this.ect_draft, case=route_chosen(Route.ECT_CONSULT))
        .Next(this.vrijstelling_request, case=route_chosen(Route.VRIJSTELLING_ADVIES))
        .Next(this.start_escalation, case=route_chosen(Route.DOORBRAAK))
        .Next(this.jim_assignment, case=route_chosen(Route.JIM))
        .Next(this.arrangement_setup, case=route_chosen(Route.ARRANGEMENT))
    )

    # ECT consult, four eyes
    ect_draft = ect_draft_view().Next(this.ect_approve)
    ect_approve = ect_approve_view().Next(this.ect_approved)
    ect_approved = If(latest_advice_approved).Then(this.join_routes).Else(this.ect_draft)

    # Vrijstelling 5a
    vrijstelling_request = CaseView(
        form_class=forms.VrijstellingRequestForm, service=services.request_vrijstelling,
        title=_("Leerplicht: request exemption advice"),
        description=_("Leerplicht asks for an exemption; for article 5 under a the SWV advises first."),
    ).Next(this.needs_advice)
    # Only a 5a exemption (not fit for school) needs the SWV's advice (Thuiszitterspact Groningen,
    # "Uitgangspunten & ontwikkelpunten").
    needs_advice = If(advice_needed).Then(this.vrijstelling_advice).Else(this.vrijstelling_decision)
    vrijstelling_advice = vrijstelling_advice_view().Next(this.vrijstelling_decision)
    vrijstelling_decision = CaseView(
        form_class=forms.VrijstellingDecisionForm, service=services.decide_vrijstelling,
        title=_("Leerplicht: exemption decision"), description=_("Leerplicht records its decision."),
    ).Next(this.join_routes)

    # Doorbraak: runs as its own EscalationFlow (a clock can start it too); the branch waits on it
    start_escalation = flow.Function(this.begin_escalation).Next(this.await_escalation)
    await_escalation = flow.Handle().Next(this.join_routes)

    # JIM mentor
    jim_assignment = CaseView(
        form_class=forms.JimAssignmentForm, service=services.assign_mentor, arguments=mentor_account,
        title=_("Record the JIM mentor"),
        description=_("Record the mentor the young person chose, with consent and what may be shared."),
    ).Next(this.join_routes)

    # Onderwijs-zorgarrangement
    arrangement_setup = CaseView(
        form_class=forms.ArrangementSetupForm, service=services.set_up_arrangement,
        title=_("Set up the education-and-care arrangement"),
        description=_("Record the agreed education, care, funding, dates and evaluation rhythm."),
    ).Next(this.arrangement_start_due)
    # The flow waits for the arrangement's start date (the sweeper releases `await_start`), then the
    # team confirms the start; an arrangement that did not start goes back to the team's review.
    arrangement_start_due = If(start_date_reached).Then(this.start_confirmation).Else(this.await_start)
    await_start = flow.Handle().Next(this.start_confirmation)
    start_confirmation = start_confirmation_view().Next(this.arrangement_started)
    arrangement_started = If(offer_started).Then(this.arrangement_evaluation).Else(this.join_routes)
    arrangement_evaluation = CaseView(
        form_class=forms.ArrangementEvaluationForm, service=services.evaluate_arrangement,
        title=_("Evaluate the arrangement"), description=_("Continue, adjust or end the arrangement."),
    ).Next(this.arrangement_continues)
    arrangement_continues = If(arrangement_ended).Then(this.join_routes).Else(this.arrangement_evaluation)

    join_routes = Join().Next(this.team_review)

    end = End()

    def begin_escalation(self, activation):
        start_escalation_for(activation.process.case, step=step_of(activation.process))


def running_escalation(case) -> CaseProcess | None:
    return CaseProcess.objects.filter(case=case, flow_class=EscalationFlow, status=PROCESS.NEW).first()


def start_escalation_for(case, step: Step | None = None) -> CaseProcess:
    """The case's running escalation, or a new one (from the team's doorbraak route or a clock)."""
    return running_escalation(case) or EscalationFlow.start.run(case=case, step=step)


class EscalationFlow(ForACase, Flow):
    """The escalation ladder for a place: the MPL commission's doorbraak (VO), or the DOE-team's
    advice and the decision of the SWV director or the coördinator deelverband (PO); for MBO the
    institution's stagnatiemeldpunt, then its management. Started by the team's doorbraak route or
    by a breached three-month clock; when it ends, a team route waiting on it continues. Where
    people stop, the sweep climbs (`workflows.climb`): a stalled MPL or DOE task goes to the
    director, a stalled stagnatie task to the institution's management."""

    process_class = CaseProcess
    task_class = CaseTask
    lock_impl = process_row_lock
    process_title = _("Escalation")
    process_description = _("Escalation for a school place (doorbraak).")

    start = StartHandle(this.start_case).Next(this.doorbraak_sector)

    # PO: the DOE-team; MBO has no doorzettingsmacht: the institution's stagnatiemeldpunt, then its
    # management; VO: the MPL.
    doorbraak_sector = (Switch().Case(this.doe_advice, po_case).Case(this.stagnatie, mbo_case)
                        .Default(this.doorbraak_decision))
    doorbraak_decision = CaseView(
        form_class=forms.DoorbraakDecisionForm, service=services.decide_doorbraak,
        arguments=placement_unless_chosen,
        title=_("MPL: doorbraak decision"),
        description=_("The MPL commission decides which school board gets the duty of care, and from when; when it "
                      "cannot settle the case, the SWV director decides."),
    ).Next(this.mpl_outcome)
    mpl_outcome = If(mpl_settled).Then(this.start_due).Else(this.director_decision)
    doe_advice = CaseView(
        form_class=forms.DoeAdviceForm, service=services.advise_doe, title=_("DOE-team: placement advice"),
        description=_("The DOE-team gives urgent placement advice to the SWV director or the coördinator "
                      "deelverband, or settles the placement itself when no doorzettingsmacht is needed."),
    ).Next(this.doe_outcome)
    doe_outcome = If(doe_settled).Then(this.start_due).Else(this.director_decision)
    # Also where an MPL or DOE task stalled (the sweep: `workflows.climb`): the director decides.
    director_decision = CaseView(
        form_class=forms.DirectorDecisionForm, service=services.decide_as_director,
        title=_("SWV director: placement decision"),
        description=_("The director decides on the placement (doorzettingsmacht)."),
    ).Next(this.start_due)

    stagnatie = stagnatie_view(
        _("MBO stagnatiemeldpunt: placement"),
        _("The institution's stagnatiemeldpunt records the steps taken with the transition coaches and RMC, or a "
          "placement at the institution."),
    ).Next(this.stagnatie_outcome)
    stagnatie_outcome = If(stagnatie_placed).Then(this.start_due).Else(this.stagnatie)
    # After CASEWORK_MBO_ESCALATION_DAYS without a placement (the sweep: `workflows.climb`).
    stagnatie_escalation = stagnatie_view(
        _("MBO management: escalated placement"),
        _("No placement in time: the institution's management takes the case (escalated within the staff or line)."),
    ).Next(this.escalation_outcome)
    escalation_outcome = If(stagnatie_placed).Then(this.start_due).Else(this.stagnatie_escalation)

    # The place is there only when the child starts: wait for the start date, then the team confirms.
    start_due = If(start_date_reached).Then(this.start_confirmation).Else(this.await_start)
    await_start = flow.Handle().Next(this.start_confirmation)
    start_confirmation = start_confirmation_view().Next(this.finish)

    finish = flow.Function(this.release_waiting_route).Next(this.end)
    end = End()

    def release_waiting_route(self, activation):
        """Let the team's waiting doorbraak branch continue, once this flow's lock is released. An
        escalation that a clock started has no waiting branch: when its place did not start, the
        case team gets a review task instead."""
        waiting = CaseTask.objects.filter(
            case_id=activation.process.case_id, flow_task=CaseFlow.await_escalation, status=STATUS.NEW
        ).first()
        step = step_of(activation.process)
        later = step.afterwards() if step is not None else None  # whom the next tasks' notices name
        if waiting is not None:
            lock.after_lock_released(lambda: release_waiting(waiting, later))
        elif not offer_started(activation):
            case = activation.process.case
            lock.after_lock_released(lambda: ReviewFlow.start.run(case=case, reason="offer_failed", step=later))


def release_waiting(waiting: CaseTask, step: Step | None) -> None:
    """The team's doorbraak branch goes on (after the escalation's commit), in the name of `step`."""
    waiting.process.coerced.step = step
    CaseFlow.await_escalation.run(waiting)


class ReviewFlow(ForACase, Flow):
    """A task for the case team that a clock asks for: the exemption ended, the young person is no
    longer of compulsory school age (close with outcome achttien), the cyclical review of a pupil
    reported sick (with the ECT), or an offered place that did not start."""

    process_class = CaseProcess
    task_class = CaseTask
    lock_impl = process_row_lock
    process_title = _("Case review")
    process_description = _("The case team reviews the case after a clock.")

    start = StartHandle(this.start_review).Next(this.case_review)
    case_review = CaseView(
        form_class=forms.CaseReviewForm, service=services.record_case_review, arguments=reason_of_review,
        title=_("Review the case"),
        description=_("A clock asks the team to look at the case again: record what you concluded. Change the "
                      "registration, or close the case in the next team review, where needed."),
    ).Next(this.end)
    end = End()

    def start_review(self, activation, case: Case, reason: str, step: Step | None = None):
        activation.process.case = case
        activation.process.step = step
        activation.process.data = {"reason": reason}
        return activation.process


def open_reviews(case: Case, reason: str):
    """The case's open `case_review` tasks asked for by `reason`, oldest first."""
    return CaseTask.objects.filter(case=case, flow_task=ReviewFlow.case_review, process__data__reason=reason,
                                   status__in=[STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED]).order_by("created", "pk")


class MeetingActionFlow(ForACase, Flow):
    """An action a team meeting agreed on a case: one task for the member it chose, due on the
    chosen day; done, it is on the case's timeline."""

    process_class = CaseProcess
    task_class = CaseTask
    lock_impl = process_row_lock
    process_title = _("Meeting action")
    process_description = _("An action agreed in the team meeting, for one member.")

    start = StartHandle(this.start_action).Next(this.meeting_action)
    meeting_action = MeetingActionView(
        form_class=forms.MeetingActionForm, service=services.record_meeting_action_done, arguments=action_arguments,
        title=_("Action from the team meeting"),
        description=_("The team meeting agreed this action with you: carry it out and write down what you did."),
    ).Assign(owner_of_action).Next(this.end)
    end = End()

    def start_action(self, activation, case: Case, *, meeting_id: int, team_id: int, owner_id: int, due_on,
                     action: str):
        activation.process.case = case
        activation.process.data = {"meeting_id": meeting_id, "team_id": team_id, "owner_id": owner_id,
                                   "due_on": due_on.isoformat(), "action": action}
        return activation.process


class ConsultFlow(ForACase, Flow):
    """An ECT consult that a clock started outside the team's review (three months passed for a
    pupil reported sick): the same four-eyes steps as the team's ect_consult route."""

    process_class = CaseProcess
    task_class = CaseTask
    lock_impl = process_row_lock
    process_title = _("ECT consult")
    process_description = _("The ECT advises on a pupil reported sick for three months.")

    start = StartHandle(this.start_case).Next(this.ect_draft)
    ect_draft = ect_draft_view().Next(this.ect_approve)
    ect_approve = ect_approve_view().Next(this.ect_approved)
    ect_approved = If(latest_advice_approved).Then(this.end).Else(this.ect_draft)
    end = End()


class ExemptionAdviceFlow(ForACase, Flow):
    """The SWV's advice on a 5a exemption recorded with the signal (Leerplicht granted it before the
    case existed): the same advice step as the team's vrijstelling route, without a new request or
    decision; the exemption counts as granted once the advice is on record (Thuiszitterspact
    Groningen, "Uitgangspunten & ontwikkelpunten")."""

    process_class = CaseProcess
    task_class = CaseTask
    lock_impl = process_row_lock
    process_title = _("Exemption advice")
    process_description = _("The SWV advises on a 5a exemption recorded with the signal.")

    start = StartHandle(this.start_case).Next(this.vrijstelling_advice)
    vrijstelling_advice = vrijstelling_advice_view().Next(this.end)
    end = End()


class SignalVerificationFlow(Flow):
    """A signal from a parent or young person becomes a case only after Leerplicht verifies it."""

    process_class = SignalProcess
    task_class = CaseTask
    lock_impl = process_row_lock
    process_title = _("Signal verification")

    start = StartHandle(this.start_verification).Next(this.verify_signal)
    verify_signal = VerificationView(
        form_class=forms.SignalVerificationForm, service=services.participation.verify_public_signal,
        title=_("Leerplicht: verify a signal from a parent or young person"),
        description=_("Check the signal (call the parent or young person if needed) and take it up as a case, "
                      "or explain why not."),
    ).Next(this.end)
    end = End()

    def start_verification(self, activation, public_signal):
        activation.process.public_signal = public_signal
        return activation.process


FLOWS = [CaseFlow, EscalationFlow, SignalVerificationFlow, ReviewFlow, ConsultFlow, ExemptionAdviceFlow,
         MeetingActionFlow]
