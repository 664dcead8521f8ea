"""The task nodes several flows share, and the adapters between a node's form and its core
service: where the form's fields and the service's keywords differ, what a form starts from,
and who may (not) take a task under four eyes."""

from django.utils.translation import gettext_lazy as _

from casework import selectors, services
from casework.models import Case, PlacementDecision
from teams.models import Sector, User
from workflows import forms
from workflows.gateways import offer_sources
from workflows.nodes import CaseView

# --- where a form's fields and its service's keywords differ ------------------------------------


def placement_unless_chosen(task, data) -> dict:
    """The MPL's decision is a placement unless the commission chose otherwise."""
    return {**data, "decision": data["decision"] or PlacementDecision.Decision.PLAATSING}


def mentor_account(task, data) -> dict:
    """The form's `mentor_username` (an account chosen by username) is the service's `mentor_user`."""
    fields = dict(data)
    fields["mentor_user"] = fields.pop("mentor_username")
    return fields


def offered_by_this_flow(task, data) -> dict:
    """The start confirmation is about the offers of the task's own flow."""
    return {**data, "sources": offer_sources(task.flow_task.flow_class)}


def start_as_offered(task) -> dict:
    """The start confirmation's form starts from what the offer means for taking part."""
    case = task.case
    return selectors.start_defaults(case, selectors.pending_offer(case, offer_sources(task.flow_task.flow_class)))


def reason_of_review(task, data) -> dict:
    """The clock's reason for the review, kept on the process when the flow started."""
    return {**data, "reason": task.process.data.get("reason", "")}


# --- four eyes ------------------------------------------------------------------------------------


def drafter_of_pending_advice(case: Case) -> int | None:
    advice = selectors.pending_ect_advice(case)
    return advice.drafted_by_id if advice else None


def drafter_of_rejected_advice(activation):
    """A rejected advice goes back to the consultant who drafted it (the queue when they may no
    longer take it: `CaseView.prepare_task` checks)."""
    advice = selectors.rejected_ect_advice(activation.process.case)
    return advice.drafted_by if advice is not None and advice.drafted_by.is_active else None


def redraft_or_team_question(task) -> dict:
    """The draft form starts from the rejected advice, or else from the team's question."""
    advice = selectors.rejected_ect_advice(task.case)
    if advice is not None:
        return {"question": advice.question, "advice": advice.advice}
    return {"question": selectors.team_question(task.case)}


def ect_draft_view() -> CaseView:
    """The ECT consultant drafts the advice (the team's route and a clock-started consult)."""
    return CaseView(
        form_class=forms.EctDraftForm, service=services.draft_ect_advice, title=_("ECT: draft advice"),
        description=_("Write the ECT's advice after the case meeting."), initial=redraft_or_team_question,
    ).Assign(drafter_of_rejected_advice)


def ect_approve_view() -> CaseView:
    """A second consultant approves the advice (four eyes)."""
    return CaseView(
        form_class=forms.EctApproveForm, service=services.review_ect_advice, title=_("ECT: approve advice"),
        description=_("A second consultant approves the advice before it goes to the team."),
        exclude=drafter_of_pending_advice,
    )


def vrijstelling_advice_view() -> CaseView:
    """The ECT's (for MBO the institution team's) advice on a 5a exemption: in the team's route and
    for an exemption recorded with the signal."""
    return CaseView(
        form_class=forms.VrijstellingAdviceForm, service=services.advise_vrijstelling,
        title=_("ECT: exemption advice"), description=_("The ECT advises on the exemption."),
        by_sector={Sector.MBO: (_("MBO team: exemption advice"),
                                _("The MBO institution's team advises on the exemption of its student."))},
    )


def start_confirmation_view() -> CaseView:
    """The case team confirms whether the child started in the offered place (an arrangement's in
    the case flow, a placement decision's in the escalation): one node per flow, the same step."""
    return CaseView(
        form_class=forms.StartConfirmationForm, service=services.confirm_start, arguments=offered_by_this_flow,
        initial=start_as_offered,
        title=_("Confirm the start in the offered place"),
        description=_("Did the child start in the offered place? The three-month promise is kept on the day the "
                      "child starts."),
    )


def stagnatie_step(task, data) -> dict:
    """The stagnatie service records which rung recorded the steps."""
    return {**data, "node": task.node_name}


def stagnatie_view(title, description) -> "CaseView":
    return CaseView(form_class=forms.StagnatieForm, service=services.record_stagnatie, arguments=stagnatie_step,
                    title=title, description=description)


def owner_of_action(activation):
    return User.objects.get(pk=activation.process.data["owner_id"])


def action_arguments(task, data) -> dict:
    return {"meeting_id": task.process.data["meeting_id"], "task_id": task.pk, "note": data["note"]}
