"""The baseline of the case-path benchmark: a bare viewflow flow with as many View nodes as a
VO case path completes (review, ECT draft, ECT approve, review), no casework layers."""

from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.flow import Flow
from viewflow.workflow.flow.views import UpdateProcessView


class BareFlow(Flow):
    lock_impl = lock.select_for_update_lock

    start = flow.StartHandle().Next(this.step_1)
    step_1 = flow.View(UpdateProcessView.as_view(fields=[])).Next(this.step_2)
    step_2 = flow.View(UpdateProcessView.as_view(fields=[])).Next(this.step_3)
    step_3 = flow.View(UpdateProcessView.as_view(fields=[])).Next(this.step_4)
    step_4 = flow.View(UpdateProcessView.as_view(fields=[])).Next(this.end)
    end = flow.End()
