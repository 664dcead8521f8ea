"""Read path for the inbox: its lists, its filters, and the open tasks of a case.

Who may take a task, and which tasks a user sees, is `workflows.queues`. Every list is limited to tasks of cases the user may see and is already joined for the
inbox page, so a page costs a constant number of queries whatever its length.
"""

from datetime import timedelta

from django.db.models import F, Q, QuerySet
from django.utils import timezone
from viewflow.workflow.status import STATUS

from casework.access import is_id
from teams.models import team_ids_of
from workflows.flows import FLOWS
from workflows.models import OPEN_STATUSES as OPEN
from workflows.models import CaseTask
from workflows.nodes import CaseView
from workflows.queues import eligible_filter, visible_tasks

SCOPES = ("mine", "queue", "team", "archive")
SORTS = {
    "due_at": (F("due_at").asc(nulls_last=True), "created", "pk"),
    "-due_at": (F("due_at").desc(nulls_last=True), "-created", "-pk"),
    "created": ("created", "pk"),
    "-created": ("-created", "-pk"),
    "case": ("case_id", "created"),
    "task": ("flow_task", "created"),
}
DEFAULT_SORT = "due_at"
DUE_FILTERS = ("overdue", "week")
# Follow-up: by default a task snoozed until a later date is hidden; "snoozed" shows only those,
# "all" shows both.
FOLLOW_UP_FILTERS = ("snoozed", "all")
FILTER_KEYS = ("node", "team", "school", "due", "followup", "sort")


def task_list(user, scope: str, *, node: str = "", team: str = "", school: str = "", due: str = "",
              followup: str = "", sort: str = DEFAULT_SORT, now=None) -> QuerySet[CaseTask]:
    """One of the inbox lists. `due`: "overdue" (te laat) or "week" (due within 7 days);
    `followup`: see FOLLOW_UP_FILTERS. "team" is every open task of the user's teams, claimed or
    not (the coordinator's view for distributing work)."""
    tasks = visible_tasks(user)
    if scope == "mine":
        tasks = tasks.filter(owner=user, status__in=[STATUS.ASSIGNED, STATUS.STARTED])
    elif scope == "queue":
        tasks = tasks.filter(status=STATUS.NEW, owner__isnull=True).filter(eligible_filter(user))
        tasks = tasks.exclude(excluded_user=user)
    elif scope == "team":
        tasks = tasks.filter(status__in=[STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED],
                             team_id__in=team_ids_of(user))
    elif scope == "archive":
        tasks = tasks.filter(owner=user, status=STATUS.DONE)
    else:
        raise ValueError(scope)
    if node:
        tasks = tasks.filter(flow_task__in=nodes_named(node))
    if is_id(team):
        tasks = tasks.filter(team_id=int(team))
    if is_id(school):
        tasks = tasks.filter(case__school_id=int(school))
    now = now or timezone.now()
    if due == "overdue":
        tasks = tasks.filter(due_at__lt=now)
    elif due == "week":
        tasks = tasks.filter(due_at__lte=now + timedelta(days=7))
    if scope != "archive":
        today = timezone.localdate(now)
        if followup == "snoozed":
            tasks = tasks.filter(follow_up_on__gt=today)
        elif followup != "all":
            tasks = tasks.filter(Q(follow_up_on__isnull=True) | Q(follow_up_on__lte=today))
    return tasks.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))


def nodes_named(name: str) -> list:
    return [node for flow_class in FLOWS for node in flow_class.instance.nodes() if node.name == name]


def open_tasks_of_case(case) -> QuerySet[CaseTask]:
    return CaseTask.objects.filter(case=case, status__in=OPEN, flow_task_type="HUMAN").select_related("team", "owner")


def node_choices() -> list[tuple[str, str]]:
    """(node name, Dutch title) of every human task, for the inbox filter."""
    seen = {}
    for flow_class in FLOWS:
        for node in flow_class.instance.nodes():
            if isinstance(node, CaseView):
                seen.setdefault(node.name, str(node.task_title))
    return list(seen.items())
