"""Read path for tasks: who may take a task, and the three lists of the inbox.

Every list is limited to tasks of cases the user may see and is already joined for the
inbox page, so a page costs a constant number of queries whatever its length.
"""

from datetime import timedelta

from django.db.models import F, Q, QuerySet
from django.utils import timezone
from viewflow.workflow.status import STATUS

from casework.access import is_id, visible_case_filter
from teams.models import Membership, RegionRole, team_ids_of
from workflows.models import OPEN_STATUSES as OPEN
from workflows.models import CaseTask

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


def eligible_filter(user) -> Q:
    """Tasks `user` may take: in a team of theirs with the required role, or by region role.

    Built from the user's memberships as plain `team_id IN (...)` conditions, so the queue is read
    through the (team, status, created) index whatever the number of other teams' tasks."""
    memberships = list(Membership.objects.filter(user=user).values_list("team_id", "role"))
    region_roles = list(RegionRole.objects.filter(user=user).values_list("region_id", "role"))
    eligible = Q(region_role="", required_role="", team_id__in=[team for team, _ in memberships])
    for role in {role for _, role in memberships}:
        eligible |= Q(region_role="", required_role=role,
                      team_id__in=[team for team, held in memberships if held == role])
    for role in {role for _, role in region_roles}:
        eligible |= Q(region_role=role, case__region_id__in=[region for region, held in region_roles if held == role])
    return eligible


def may_take(user, task: CaseTask) -> bool:
    if not user.is_authenticated or task.excluded_user_id == user.pk:
        return False
    return CaseTask.objects.filter(pk=task.pk).filter(eligible_filter(user)).exists()


def visible_tasks(user) -> QuerySet[CaseTask]:
    """Human tasks of the cases `user` may see (the base of every task list and lookup)."""
    my_teams = team_ids_of(user)
    return (
        CaseTask.objects.filter(visible_case_filter(user, "case_id", team_ids=my_teams)
                                | Q(case__isnull=True, public_signal__isnull=False, team__in=my_teams),
                                flow_task_type="HUMAN")
        .select_related("case__child", "case__school", "team", "owner", "public_signal")
    )


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
    from workflows.flows import FLOWS

    return [node for flow_class in FLOWS for node in flow_class.instance.nodes() if node.name == name]


def open_tasks_of_case(case) -> QuerySet[CaseTask]:
    return CaseTask.objects.filter(case=case, status__in=OPEN, flow_task_type="HUMAN").select_related("team", "owner")


def node_choices() -> list[tuple[str, str]]:
    """(node name, Dutch title) of every human task, for the inbox filter."""
    from workflows.flows import FLOWS
    from workflows.nodes import CaseView

    seen = {}
    for flow_class in FLOWS:
        for node in flow_class.instance.nodes():
            if isinstance(node, CaseView):
                seen.setdefault(node.name, str(node.task_title))
    return list(seen.items())
