"""Read path for the inbox: its lists, its filters, the counts on its tabs, the next task after
one is completed, and the open tasks of a case.

Who may take a task, and which tasks a user sees, is `workflows.queues`. Every list is limited to
tasks of cases the user may see and is already joined for the inbox page, so a page costs a
constant number of queries whatever its length.
"""

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.db.models import BooleanField, Case, Count, ExpressionWrapper, F, Q, QuerySet, When
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from viewflow.workflow.status import STATUS

from casework.access import is_id
from teams.models import team_ids_of
from workflows.flows import FLOWS
from workflows.models import OPEN_STATUSES as OPEN
from workflows.models import CaseTask
from workflows.nodes import CaseView
from workflows.queues import eligible_filter, visible_tasks

# "focus" (my work): my claimed tasks, my teams' overdue tasks and the unclaimed tasks I may take
# that are due within FOCUS_DAYS.
SCOPES = ("focus", "mine", "queue", "team", "archive")
COUNTED_SCOPES = ("focus", "mine", "queue", "team")
FOCUS_DAYS = 7
# A task younger than this is "new": on top of the first page whatever the sort.
NEW_FOR = timedelta(days=1)
SORTS = {
    "due_at": (F("due_at").asc(nulls_last=True), "created", "pk"),
    "-due_at": (F("due_at").desc(nulls_last=True), "-created", "-pk"),
    "created": ("created", "pk"),
    "-created": ("-created", "-pk"),
    "case": ("case_id", "created"),
    "task": ("flow_task", "created"),
    "-finished": (F("finished").desc(nulls_last=True), "-pk"),
}
DEFAULT_SORT = "due_at"
ARCHIVE_SORT = "-finished"
DUE_FILTERS = ("overdue", "week")
# Follow-up: by default a task snoozed until a later date is hidden; "snoozed" shows only those,
# "all" shows both.
FOLLOW_UP_FILTERS = ("snoozed", "all")
FILTER_KEYS = ("node", "team", "school", "due", "followup", "sort")
ACTIVE = [STATUS.ASSIGNED, STATUS.STARTED]


def default_sort(scope: str) -> str:
    """The archive lists the last completed first; the open lists the earliest deadline first."""
    return ARCHIVE_SORT if scope == "archive" else DEFAULT_SORT


def scope_filter(user, scope: str, now) -> Q:
    """The condition of one list on `visible_tasks(user)` (before the filters)."""
    if scope == "mine":
        return Q(owner=user, status__in=ACTIVE)
    if scope == "queue":
        return Q(status=STATUS.NEW, owner__isnull=True) & eligible_filter(user) & ~Q(excluded_user=user)
    if scope == "team":
        return Q(status__in=OPEN, team_id__in=team_ids_of(user))
    if scope == "archive":
        return Q(owner=user, status=STATUS.DONE)
    if scope == "focus":
        eligible = eligible_filter(user)
        overdue = Q(status__in=OPEN, due_at__lt=now) & (Q(team_id__in=team_ids_of(user)) | eligible)
        soon = (Q(status=STATUS.NEW, owner__isnull=True, due_at__lte=now + timedelta(days=FOCUS_DAYS))
                & eligible & ~Q(excluded_user=user))
        return Q(owner=user, status__in=ACTIVE) | overdue | soon
    raise ValueError(scope)


def followup_filter(followup: str, now) -> Q:
    today = timezone.localdate(now)
    if followup == "snoozed":
        return Q(follow_up_on__gt=today)
    if followup == "all":
        return Q()
    return Q(follow_up_on__isnull=True) | Q(follow_up_on__lte=today)


def task_list(user, scope: str, *, node: str = "", team: str = "", school: str = "", due: str = "",
              followup: str = "", sort: str = "", new_first: bool = False, now=None) -> QuerySet[CaseTask]:
    """One of the inbox lists. `due`: "overdue" (te laat) or "week" (due within 7 days);
    `followup`: see FOLLOW_UP_FILTERS. "team" is every open task of the user's teams, claimed or
    not (the coordinator's view for distributing work); "focus" see `scope_filter`.
    `new_first` (the inbox page): tasks younger than NEW_FOR come first, newest first, whatever
    the sort, so that a new task is never hidden on a later page; each is annotated `is_new`."""
    now = now or timezone.now()
    tasks = visible_tasks(user).filter(scope_filter(user, scope, now))
    if node:
        tasks = tasks.filter(flow_task__in=nodes_named(node))
    if is_id(team):
        tasks = tasks.filter(team_id=int(team))
    if is_id(school):
        tasks = tasks.filter(case__school_id=int(school))
    if due == "overdue":
        tasks = tasks.filter(due_at__lt=now)
    elif due == "week":
        tasks = tasks.filter(due_at__lte=now + timedelta(days=FOCUS_DAYS))
    if scope != "archive":
        tasks = tasks.filter(followup_filter(followup, now))
    order = SORTS.get(sort) or SORTS[default_sort(scope)]
    if new_first and scope != "archive":
        new = Q(created__gte=now - NEW_FOR)
        tasks = tasks.annotate(is_new=ExpressionWrapper(new, output_field=BooleanField()))
        order = (F("is_new").desc(), Case(When(new, then=F("created"))).desc(nulls_last=True), *order)
    return tasks.order_by(*order)


def tab_counts(user, now=None) -> dict[str, dict[str, int]]:
    """Per counted list (as it opens, without filters): how many tasks, and how many of them are
    overdue. One aggregate query, whatever the number of lists and tasks."""
    now = now or timezone.now()
    shown = followup_filter("", now)
    late = Q(due_at__lt=now)
    filters = {scope: scope_filter(user, scope, now) & shown for scope in COUNTED_SCOPES}
    totals = (visible_tasks(user).filter(status__in=OPEN).select_related(None).aggregate(
        **{f"{scope}_total": Count("pk", filter=condition) for scope, condition in filters.items()},
        **{f"{scope}_overdue": Count("pk", filter=condition & late) for scope, condition in filters.items()}))
    return {scope: {"total": totals[f"{scope}_total"], "overdue": totals[f"{scope}_overdue"]}
            for scope in COUNTED_SCOPES}


@dataclass(frozen=True)
class ListView:
    """One inbox list as the user had it open: its scope and its filters (with the sort)."""

    scope: str
    filters: dict

    @property
    def url(self) -> str:
        query = urlencode({key: value for key, value in self.filters.items() if value})
        return reverse("inbox", kwargs={"scope": self.scope}) + (f"?{query}" if query else "")


def list_view(scope: str, params) -> ListView:
    """The list named by an inbox URL's scope and query (unknown keys dropped)."""
    return ListView(scope, {key: params.get(key, "") for key in FILTER_KEYS})


def list_view_from_url(url: str, landing: str) -> ListView | None:
    """The list an inbox URL (`/tasks/<scope>/?...`, or `/tasks/?...` for the landing view) shows;
    None for anything else (never a redirect to elsewhere)."""
    parts = urlsplit(url or "")
    if parts.scheme or parts.netloc:
        return None
    segments = [segment for segment in parts.path.split("/") if segment]
    if segments == ["tasks"]:
        scope = landing
    elif len(segments) == 2 and segments[0] == "tasks" and segments[1] in SCOPES:
        scope = segments[1]
    else:
        return None
    return list_view(scope, QueryDict(parts.query))


def next_task(user, view: ListView, *, after: CaseTask) -> CaseTask | None:
    """The first open task of the list that `user` can work on now (their own or unclaimed),
    other than `after` (the task just completed); None when the list has no more."""
    if view.scope == "archive":
        return None
    filters = {key: value for key, value in view.filters.items() if key != "sort"}
    tasks = task_list(user, view.scope, sort=view.filters.get("sort", ""), new_first=True, **filters)
    return (tasks.filter(Q(owner=user) | Q(owner__isnull=True), status__in=OPEN)
            .exclude(excluded_user=user).exclude(pk=after.pk).first())


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
