"""The flow diagram of a case, with its active and finished nodes marked (viewflow's chart)."""

from django.utils.safestring import mark_safe
from viewflow.workflow import chart

from workflows.flows import CaseFlow, ConsultFlow, EscalationFlow, ReviewFlow
from workflows.models import OPEN_STATUSES as OPEN
from workflows.models import CaseProcess, CaseTask


def case_flow_charts(case) -> list[tuple[str, str]]:
    """(title, SVG) of the case's flow, and of its latest escalation, clock-started consult and
    review if there are any."""
    charts = [(str(CaseFlow.process_title), flow_svg(CaseFlow, case))]
    ran = set(CaseProcess.objects.filter(case=case).values_list("flow_class", flat=True))
    for flow_class in (EscalationFlow, ConsultFlow, ReviewFlow):
        if flow_class in ran:
            charts.append((str(flow_class.process_title), flow_svg(flow_class, case)))
    return charts


def flow_svg(flow_class, case) -> str:
    """SVG of one flow; node states come from the case's latest process of that flow."""
    process = CaseProcess.objects.filter(case=case, flow_class=flow_class).order_by("-pk").first()
    grid = chart.calc_layout_data(flow_class)
    if process is not None:
        chart.calc_cell_status(flow_class, grid, process.pk)
        # viewflow keeps the first status it meets per node, so a node that runs again after
        # a loop would show as done: mark the nodes with open tasks explicitly.
        for task in CaseTask.objects.filter(process_id=process.pk, status__in=OPEN):
            if task.flow_task in grid.nodes:
                grid[task.flow_task].status = task.status
    return mark_safe(chart.grid_to_svg(grid))  # noqa: S308 (viewflow renders it from its own template)
