"""The flow diagram of a case in the users' words: viewflow lays the flow out on a grid, this module
gives every node a translated label (a human task's title; a gateway's question; plain words for
the waits, splits and joins), marks what is done and what is open now, and lists the steps in
reading order as the diagram's text alternative. `templates/workflows/_flow_chart.html` draws it."""

from dataclasses import dataclass, field
from textwrap import wrap

from django.utils.translation import pgettext_lazy
from viewflow.workflow import chart
from viewflow.workflow.status import STATUS

from workflows.flows import CaseFlow, ConsultFlow, EscalationFlow, ExemptionAdviceFlow, ReviewFlow
from workflows.models import OPEN_STATUSES as OPEN
from workflows.models import CaseProcess, CaseTask

# The labels of the nodes that are not human tasks (those show their translated task title),
# keyed by node name; the same name means the same thing in every flow.
LABELS = {
    "start": pgettext_lazy("flow chart", "Start"),
    "end": pgettext_lazy("flow chart", "End"),
    "has_routes": pgettext_lazy("flow chart", "Routes chosen?"),
    "route_split": pgettext_lazy("flow chart", "Start the routes"),
    "join_routes": pgettext_lazy("flow chart", "Join the routes"),
    "ect_approved": pgettext_lazy("flow chart", "Advice approved?"),
    "needs_advice": pgettext_lazy("flow chart", "Advice needed (5a)?"),
    "start_escalation": pgettext_lazy("flow chart", "Start the escalation"),
    "await_escalation": pgettext_lazy("flow chart", "Wait for the escalation"),
    "arrangement_start_due": pgettext_lazy("flow chart", "Start date reached?"),
    "start_due": pgettext_lazy("flow chart", "Start date reached?"),
    "await_start": pgettext_lazy("flow chart", "Wait for the start date"),
    "arrangement_started": pgettext_lazy("flow chart", "Started?"),
    "arrangement_continues": pgettext_lazy("flow chart", "Arrangement ended?"),
    "doorbraak_sector": pgettext_lazy("flow chart", "Which sector?"),
    "mpl_outcome": pgettext_lazy("flow chart", "MPL agreed?"),
    "doe_outcome": pgettext_lazy("flow chart", "Settled by the DOE-team?"),
    "stagnatie_outcome": pgettext_lazy("flow chart", "Placed?"),
    "escalation_outcome": pgettext_lazy("flow chart", "Placed?"),
    "finish": pgettext_lazy("flow chart", "Continue the team's route"),
}
EDGE_LABELS = {"yes": pgettext_lazy("flow chart", "yes"), "no": pgettext_lazy("flow chart", "no")}

FONT_SIZE = 12
LINE_HEIGHT = 14
TASK_LINE_CHARS = 20
GATEWAY_LINE_CHARS = 18


@dataclass
class Node:
    name: str
    label: str
    kind: str  # "task" (a box: human task, wait or function), "gateway" (a diamond) or "event"
    state: str  # "done", "current" (an open task), "canceled" or ""
    x: int
    y: int
    width: int
    height: int
    shape: str  # viewflow's SVG of the node's shape
    lines: list[tuple[str, int, int]] = field(default_factory=list)  # (text, x, y) in the node
    title_id: str = ""


@dataclass
class Edge:
    path: str
    label: str = ""
    label_x: int = 0
    label_y: int = 0


@dataclass
class FlowChart:
    key: str
    title: str
    width: int
    height: int
    nodes: list[Node]
    edges: list[Edge]

    @property
    def steps(self) -> list[Node]:
        """The boxes in reading order (column by column): the diagram's text alternative."""
        return [node for node in self.nodes if node.kind == "task"]

    @property
    def current(self) -> list[Node]:
        return [node for node in self.nodes if node.state == "current"]


def case_flow_charts(case) -> list[FlowChart]:
    """The diagram of the case's flow, and of its latest escalation, clock-started consult and
    review if there are any."""
    charts = [flow_chart(CaseFlow, case)]
    ran = set(CaseProcess.objects.filter(case=case).values_list("flow_class", flat=True))
    charts += [flow_chart(flow_class, case) for flow_class in (EscalationFlow, ConsultFlow, ReviewFlow, ExemptionAdviceFlow)
               if flow_class in ran]
    return charts


def flow_chart(flow_class, case) -> FlowChart:
    """One flow; node states come from the case's latest process of that flow."""
    process = CaseProcess.objects.filter(case=case, flow_class=flow_class).order_by("-pk").first()
    grid = chart.calc_layout_data(flow_class)
    states = {}
    if process is not None:
        chart.calc_cell_status(flow_class, grid, process.pk)
        states = {node: _state(grid[node].status) for node in grid.nodes}
        # viewflow keeps the first status it meets per node, so a node that runs again after
        # a loop would show as done: mark the nodes with open tasks explicitly.
        for task in CaseTask.objects.filter(process_id=process.pk, status__in=OPEN):
            if task.flow_task in grid.nodes:
                states[task.flow_task] = "current"
    key = flow_class.__name__.lower()
    cells = sorted(grid.cells, key=lambda cell: (cell.col, cell.row))
    leaving = {}  # node: the directions its edges leave in ("up", "down", "across")
    for edge in grid.edges:
        if edge.segments:
            leaving.setdefault(edge.src, set()).add(_direction(edge.segments))
    nodes = [_node(cell, states.get(cell.node, ""), key, leaving.get(cell.node, set())) for cell in cells]
    edges = [_edge(edge) for edge in grid.edges if edge.segments]
    return FlowChart(key=key, title=str(flow_class.process_title), width=grid.width, height=grid.height,
                     nodes=nodes, edges=edges)


def node_label(node) -> str:
    return str(LABELS.get(node.name) or node.task_title or "")


def _state(status) -> str:
    if status in OPEN:
        return "current"
    if status == STATUS.DONE:
        return "done"
    if status == STATUS.CANCELED:
        return "canceled"
    return ""


def _kind(node) -> str:
    shape = getattr(node, "shape", chart.DEFAULT_SHAPE)
    if shape.get("text-align") == "middle" or shape is chart.DEFAULT_SHAPE:
        return "task"
    return "gateway" if "GATEWAY" in node.task_type else "event"


def _direction(segments) -> str:
    (_, y1), (_, y2) = segments[0], segments[1]
    return "across" if y1 == y2 else "down" if y2 > y1 else "up"


def _node(cell, state: str, key: str, leaving: set[str]) -> Node:
    label = node_label(cell.node)
    kind = _kind(cell.node)
    shape = cell.shape
    node = Node(name=cell.node.name, label=label, kind=kind, state=state, x=shape.x, y=shape.y,
                width=shape.width, height=shape.height, shape=shape.svg,
                title_id=f"flow-{key}-{cell.node.name}")
    if kind == "task":  # centred in the box, like viewflow
        lines = wrap(label, TASK_LINE_CHARS)
        top = (shape.height - (len(lines) - 1) * LINE_HEIGHT) // 2
        node.lines = [(line, shape.width // 2, top + n * LINE_HEIGHT) for n, line in enumerate(lines)]
    elif kind == "gateway":  # the question above the diamond, or below when an edge leaves upwards
        lines = wrap(label, GATEWAY_LINE_CHARS)
        if "up" in leaving and "down" not in leaving:
            node.lines = [(line, shape.width // 2, shape.height + (n + 1) * LINE_HEIGHT)
                          for n, line in enumerate(lines)]
        else:
            node.lines = [(line, shape.width // 2, -6 - (len(lines) - 1 - n) * LINE_HEIGHT)
                          for n, line in enumerate(lines)]
    else:  # start and end: below the circle
        node.lines = [(label, shape.width // 2, shape.height + LINE_HEIGHT)]
    return node


def _edge(edge) -> Edge:
    path = " ".join(f"{'M' if n == 0 else 'L'}{x},{y}" for n, (x, y) in enumerate(edge.segments))
    label = EDGE_LABELS.get(edge.label)
    if label is None or len(edge.segments) < 2:
        return Edge(path=path)
    (x1, y1), (x2, y2) = edge.segments[0], edge.segments[1]
    if y1 == y2:  # leaving sideways: above the line, just after the start
        return Edge(path=path, label=str(label), label_x=min(x1, x2) + 10, label_y=y1 - 6)
    # leaving up or down: beside the middle of the first stretch, clear of the gateway's question
    return Edge(path=path, label=str(label), label_x=x1 + 6, label_y=(y1 + y2) // 2 + 4)
