"""The baselines of the case-path benchmark, bare viewflow flows with no casework layers:

- `BareFlow`: four View nodes in a row (review, ECT draft, ECT approve, review);
- `BareGraphFlow`: the same graph as `workflows.flows.CaseFlow` — every node, gateway and edge,
  of the same viewflow node types — with bare View nodes and gateway conditions that read the
  process's `data` (which the benchmark's driver sets, as a real step's service would record its
  answer). A VO case through the ECT route passes the same 11 nodes in both flows.
"""

from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.flow import Flow
from viewflow.workflow.flow.views import UpdateProcessView


def bare_view():
    return flow.View(UpdateProcessView.as_view(fields=[]))


class BareFlow(Flow):
    lock_impl = lock.select_for_update_lock

    start = flow.StartHandle().Next(this.step_1)
    step_1 = bare_view().Next(this.step_2)
    step_2 = bare_view().Next(this.step_3)
    step_3 = bare_view().Next(this.step_4)
    step_4 = bare_view().Next(this.end)
    end = flow.End()


def _data(activation, key, default=None):
    return activation.process.data.get(key, default)


def _route(name):
    return lambda activation: name in _data(activation, "routes", [])


class BareGraphFlow(Flow):
    """CaseFlow's graph, node for node (see workflows/flows.py), without casework."""

    lock_impl = lock.select_for_update_lock

    start = flow.StartHandle().Next(this.team_review)
    team_review = bare_view().Next(this.has_routes)
    has_routes = flow.If(lambda activation: bool(_data(activation, "routes"))).Then(this.route_split).Else(this.end)
    route_split = (
        flow.Split()
        .Next(this.ect_draft, case=_route("ect_consult"))
        .Next(this.vrijstelling_request, case=_route("vrijstelling_advies"))
        .Next(this.start_escalation, case=_route("doorbraak"))
        .Next(this.jim_assignment, case=_route("jim"))
        .Next(this.arrangement_setup, case=_route("arrangement"))
    )
    ect_draft = bare_view().Next(this.ect_approve)
    ect_approve = bare_view().Next(this.ect_approved)
    ect_approved = flow.If(lambda activation: _data(activation, "approved", True)).Then(
        this.join_routes).Else(this.ect_draft)
    vrijstelling_request = bare_view().Next(this.needs_advice)
    needs_advice = flow.If(lambda activation: _data(activation, "advice", True)).Then(
        this.vrijstelling_advice).Else(this.vrijstelling_decision)
    vrijstelling_advice = bare_view().Next(this.vrijstelling_decision)
    vrijstelling_decision = bare_view().Next(this.join_routes)
    start_escalation = flow.Function(this.begin_escalation).Next(this.await_escalation)
    await_escalation = flow.Handle().Next(this.join_routes)
    jim_assignment = bare_view().Next(this.join_routes)
    arrangement_setup = bare_view().Next(this.arrangement_start_due)
    arrangement_start_due = flow.If(lambda activation: _data(activation, "start_due", True)).Then(
        this.start_confirmation).Else(this.await_start)
    await_start = flow.Handle().Next(this.start_confirmation)
    start_confirmation = bare_view().Next(this.arrangement_started)
    arrangement_started = flow.If(lambda activation: _data(activation, "started", True)).Then(
        this.arrangement_evaluation).Else(this.join_routes)
    arrangement_evaluation = bare_view().Next(this.arrangement_continues)
    arrangement_continues = flow.If(lambda activation: _data(activation, "ended", True)).Then(
        this.join_routes).Else(this.arrangement_evaluation)
    join_routes = flow.Join().Next(this.team_review)
    end = flow.End()

    def begin_escalation(self, activation):
        """The bare flow starts no second flow (the bench's path does not take this route)."""
