"""Read path for the inbox: its lists, its filters, the counts on its tabs, the next task after
one is completed, and the open tasks of a case.

Who may take a task, and which tasks a user sees, is `workflows.queues`. Every list is limited to
tasks of cases the user may see and is already joined for the inbox page, so a page costs a
constant number of queries whatever its length.

Someone who holds a role for a whole region (the SWV director, the privacy officer) is often in no
team at all: their lists hold only the tasks of their region role, and the region desk
(`workflows.desk`) is what the inbox shows them besides. Long lists are paged and counted without
counting them whole (`workflows.paging`).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BooleanField, Case, ExpressionWrapper, F, Q, QuerySet, When
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.status import STATUS

from casework.access import is_id
from teams.models import RegionRole, School, Team
from workflows.flows import FLOWS
from workflows.models import OPEN_STATUSES as OPEN
from workflows.models import CaseTask
from workflows.nodes import CaseView
from workflows.paging import AtLeast, NewFirst
from workflows.queues import (
    eligible_filter,
    held_region_roles,
    memberships_of,
    my_team_ids,
    visible_tasks,
)

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
        return Q(status__in=OPEN, team_id__in=my_team_ids(user))
    if scope == "archive":
        return Q(owner=user, status=STATUS.DONE)
    if scope == "focus":
        eligible = eligible_filter(user)
        overdue = Q(status__in=OPEN, due_at__lt=now) & (Q(team_id__in=my_team_ids(user)) | eligible)
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
              followup: str = "", sort: str = "", new_first: bool = False, case: int | None = None,
              now=None) -> QuerySet[CaseTask]:
    """One of the inbox lists; `case`: only the tasks of that case. `due`: "overdue" (te laat) or "week" (due within 7 days);
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
    if case is not None:
        tasks = tasks.filter(case_id=case)
    if due == "overdue":
        tasks = tasks.filter(due_at__lt=now)
    elif due == "week":
        tasks = tasks.filter(due_at__lte=now + timedelta(days=FOCUS_DAYS))
    if scope != "archive":
        tasks = tasks.filter(followup_filter(followup, now))
    order = list_order(user, scope, sort)
    if new_first and scope != "archive":
        new = Q(created__gte=now - NEW_FOR)
        tasks = tasks.annotate(is_new=ExpressionWrapper(new, output_field=BooleanField()))
        order = (F("is_new").desc(), Case(When(new, then=F("created"))).desc(nulls_last=True), *order)
    return tasks.order_by(*order)


def list_order(user, scope: str, sort: str) -> tuple:
    """The list's sort; for someone who takes director decisions, the stalled ones first."""
    order = SORTS.get(sort) or SORTS[default_sort(scope)]
    if scope != "archive" and any(role in DECIDING_ROLES for _region, role in held_region_roles(user)):
        return stalled_first(order)
    return order


def task_pages(user, scope: str, *, sort: str = "", now=None, **filters):
    """`task_list(..., new_first=True)` as the inbox page reads it: new tasks first, as NewFirst
    (two index-ordered queries) for CappedPaginator; the archive as a plain list."""
    now = now or timezone.now()
    tasks = task_list(user, scope, sort=sort, now=now, **filters)
    if scope == "archive":
        return tasks
    return NewFirst(tasks, now - NEW_FOR, list_order(user, scope, sort))


def school_choices(user):
    """The schools to filter the inbox by: the schools of the user's teams (a regional team
    without a school of its own: every school of its region). Reference data, read through the
    teams, never from the task list (that grows with the queue)."""
    teams = Team.objects.filter(memberships__user=user)
    return (School.objects.filter(Q(teams__in=teams) | Q(region__teams__in=teams.filter(school__isnull=True)))
            .distinct().order_by("name"))


COUNT_CAP = 99  # a tab shows "99+" beyond this: a count never reads more than COUNT_CAP + 1 rows


# The tab counts' statement per shape of user (id, memberships, region roles), built once per
# process on PostgreSQL: building it (eight capped sub-selects on the visible tasks) cost more than the rest of
# the inbox page. Its parameters that are times are moved to the request's time on reuse.
_COUNTS_SQL: dict[tuple, tuple[str, list, list, object]] = {}
COUNTS_SQL_KEEP = 512


def tab_counts(user, now=None) -> dict[str, dict[str, int]]:
    """Per counted list (as it opens, without filters): how many tasks, and how many of them are
    overdue, each counted no further than COUNT_CAP (a queue of 10,000 shows "99+"). One query,
    whatever the number of lists and tasks: a capped sub-select per count."""
    now = now or timezone.now()
    sql, params, keys = counts_statement(user, now)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    counts = {scope: {} for scope in COUNTED_SCOPES}
    for (scope, kind), value in zip(keys, row, strict=True):
        counts[scope][kind] = AtLeast(COUNT_CAP) if value > COUNT_CAP else value
    return counts


def counts_statement(user, now) -> tuple[str, list, list]:
    """`tab_counts`' SQL, parameters and (scope, kind) per column: built for this shape of user
    once, then reused with its times (`now`, `now` + FOCUS_DAYS, today) moved to `now`. On
    PostgreSQL only: there the parameters are the datetimes and dates themselves (SQLite's backend
    has turned them into text), so SQLite builds it every time."""
    if connection.vendor != "postgresql":
        return build_counts_statement(user, now)
    key = (user.pk, tuple(sorted(memberships_of(user))), tuple(sorted(held_region_roles(user))))
    built = _COUNTS_SQL.get(key)
    if built is None:
        if len(_COUNTS_SQL) >= COUNTS_SQL_KEEP:
            _COUNTS_SQL.clear()
        built = _COUNTS_SQL[key] = (*build_counts_statement(user, now), now)
    sql, params, keys, built_at = built
    return sql, moved_in_time(params, built_at, now), keys


def moved_in_time(params: list, built_at, now) -> list:
    """The parameters with every time moved as far as `now` is from `built_at` (dates by the days
    between their local dates): the statement's times are all `now` plus or minus a constant."""
    if now == built_at:
        return params
    shift = now - built_at
    days = timezone.localdate(now) - timezone.localdate(built_at)
    return [value + shift if isinstance(value, datetime) else value + days if isinstance(value, date) else value
            for value in params]


def build_counts_statement(user, now) -> tuple[str, list, list]:
    shown = followup_filter("", now)
    late = Q(due_at__lt=now)
    base = visible_tasks(user).filter(status__in=OPEN).select_related(None).values("pk")
    parts, params, keys = [], [], []
    for scope in COUNTED_SCOPES:
        condition = scope_filter(user, scope, now) & shown
        for kind, where in (("total", condition), ("overdue", condition & late)):
            keys.append((scope, kind))
            try:
                sql, sql_params = base.filter(where).order_by()[: COUNT_CAP + 1].query.sql_with_params()
            except EmptyResultSet:  # a list that can hold no task: "team" for someone in no team
                parts.append("0")
                continue
            parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted_{len(parts)})")  # noqa: S608 (Django's SQL)
            params.extend(sql_params)
    return "SELECT " + ", ".join(parts), params, keys


# Who takes the director decisions: the SWV director, and in PO the coördinator deelverband.
DECIDING_ROLES = {RegionRole.Role.SWV_DIRECTOR: _("SWV director"),
                  RegionRole.Role.COORDINATOR_DEELVERBAND: RegionRole.Role.COORDINATOR_DEELVERBAND.label}
# A director decision that a stalled MPL or DOE task handed over (`workflows.climb`).
STALLED = Q(data__has_key="stalled")


def stalled_first(order) -> tuple:
    """A decider's lists: the decisions that stalled below them come first."""
    return (ExpressionWrapper(STALLED, output_field=BooleanField()).desc(), *order)


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
