"""Read path for the inbox: its lists, its filters, the counts on its tabs, the next task after
one is completed, and the open tasks of a case.

Who may take a task, and which tasks a user sees, is `workflows.queues`. Every list is limited to
tasks of cases the user may see and is already joined for the inbox page, so a page costs a
constant number of queries whatever its length.

Someone who holds a role for a whole region (the SWV director, the privacy officer) is often in no
team at all: their lists hold only the tasks of their region role, and `region_desk` is what the
inbox shows them besides (the director decisions waiting, their regions' escalated cases, the
open data breaches).
"""

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import BooleanField, Case, ExpressionWrapper, F, Q, QuerySet, Value, When
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.status import STATUS

from casework import models as core
from casework.access import is_id
from casework.selectors import visible_cases
from casework.services.privacy import breaches_for
from teams.models import Region, RegionRole, School, Team, team_ids_of
from workflows.flows import FLOWS
from workflows.models import OPEN_STATUSES as OPEN
from workflows.models import CaseTask
from workflows.nodes import CaseView
from workflows.queues import eligible_filter, held_region_roles, visible_tasks

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
    return NewFirst(tasks, now, list_order(user, scope, sort))


def school_choices(user):
    """The schools to filter the inbox by: the schools of the user's teams (a regional team
    without a school of its own: every school of its region). Reference data, read through the
    teams, never from the task list (that grows with the queue)."""
    teams = Team.objects.filter(memberships__user=user)
    return (School.objects.filter(Q(teams__in=teams) | Q(region__teams__in=teams.filter(school__isnull=True)))
            .distinct().order_by("name"))


COUNT_CAP = 99  # a tab shows "99+" beyond this: a count never reads more than COUNT_CAP + 1 rows


class AtLeast(int):
    """A count that stopped at its cap: compares as the cap, shows as "99+"."""

    def __str__(self):
        return f"{int(self)}+"


def capped_count(queryset, cap: int) -> int:
    """How many rows, reading at most cap + 1 of them: an `AtLeast(cap)` beyond. The list's own
    order is kept: PostgreSQL then reads the first cap + 1 rows from the ordering index and stops
    (without it, it builds bitmaps of every unclaimed task in the database)."""
    found = queryset[: cap + 1].count()
    return AtLeast(cap) if found > cap else found


def tab_counts(user, now=None) -> dict[str, dict[str, int]]:
    """Per counted list (as it opens, without filters): how many tasks, and how many of them are
    overdue, each counted no further than COUNT_CAP (a queue of 10,000 shows "99+"). One query,
    whatever the number of lists and tasks: a capped sub-select per count."""
    now = now or timezone.now()
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
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    counts = {scope: {} for scope in COUNTED_SCOPES}
    for (scope, kind), value in zip(keys, row, strict=True):
        counts[scope][kind] = AtLeast(COUNT_CAP) if value > COUNT_CAP else value
    return counts


DESK_ROWS = 10  # rows per part of the region desk; "all of them" links to the full list


@dataclass(frozen=True)
class RegionDesk:
    """The work of a region role holder, on top of their inbox. A director: the director decisions
    waiting in their regions (the tasks they may take; also in Team tasks) and the escalated cases
    of their regions that they are on (a director joins a case when it is escalated to them). A
    privacy officer: the data breaches of their regions still waiting for the decision on
    notifying the AP. Lists hold at most DESK_ROWS; `more_*` says there are more."""

    director_regions: list[Region]
    deciding_as: list[str]  # the region roles the director decisions are taken in (their labels)
    decisions: list[CaseTask]
    more_decisions: bool
    escalated: list[core.Case]
    more_escalated: bool
    privacy_regions: list[Region]
    open_breaches: list[core.DataBreach]

    @property
    def cases_shown(self) -> list[core.Case]:
        """The cases whose child the desk names (for the access log's list row)."""
        return [task.case for task in self.decisions] + self.escalated


# Who takes the director decisions: the SWV director, and in PO the coördinator deelverband.
DECIDING_ROLES = {RegionRole.Role.SWV_DIRECTOR: _("SWV director"),
                  RegionRole.Role.COORDINATOR_DEELVERBAND: RegionRole.Role.COORDINATOR_DEELVERBAND.label}
# A director decision that a stalled MPL or DOE task handed over (`workflows.climb`).
STALLED = Q(data__has_key="stalled")


def stalled_first(order) -> tuple:
    """A decider's lists: the decisions that stalled below them come first."""
    return (ExpressionWrapper(STALLED, output_field=BooleanField()).desc(), *order)


def _first(queryset) -> tuple[list, bool]:
    rows = list(queryset[: DESK_ROWS + 1])
    return rows[:DESK_ROWS], len(rows) > DESK_ROWS


def region_desk(user) -> RegionDesk | None:
    """The region desk of `user`, or None when they hold no region role."""
    held = list(RegionRole.objects.filter(user=user).select_related("region").order_by("region__name"))
    if not held:
        return None
    directing = [role.region for role in held if role.role in DECIDING_ROLES]
    guarding = [role.region for role in held if role.role == RegionRole.Role.PRIVACY_OFFICER]
    decisions, more_decisions, escalated, more_escalated, breaches = [], False, [], False, []
    if directing:
        regions = [region.pk for region in directing]
        decisions, more_decisions = _first(
            visible_tasks(user).filter(eligible_filter(user), status__in=OPEN, region_role=RegionRole.Role.SWV_DIRECTOR,
                                       case__region_id__in=regions)
            .select_related("case__region").order_by(*stalled_first(SORTS["due_at"])))
        escalated, more_escalated = _first(
            visible_cases(user).filter(status=core.Case.Status.ESCALATED, region_id__in=regions)
            .order_by(F("escalated_at").asc(nulls_last=True), "pk"))
    if guarding:
        breaches = list(breaches_for(user).filter(decided_at__isnull=True).order_by("discovered_at", "pk"))
    return RegionDesk(director_regions=directing, deciding_as=[str(DECIDING_ROLES[role]) for role in DECIDING_ROLES
                                                               if any(held_role.role == role for held_role in held)],
                      decisions=decisions, more_decisions=more_decisions,
                      escalated=escalated, more_escalated=more_escalated, privacy_regions=guarding,
                      open_breaches=breaches)


class CappedPaginator(Paginator):
    """Django's Paginator without the `COUNT(*)` of the whole list: it counts at most LOOK_AHEAD
    pages beyond the one asked for, so a page of a 10,000-task queue reads about 11 pages of ids.
    When there are more, `count` and `num_pages` are `AtLeast` values ("page 1 of 11+")."""

    LOOK_AHEAD = 10
    # No list is this long, so a count up to here is exact; it keeps the count's LIMIT within the
    # databases' 64-bit integers for any page number (page 2**63 - 1 is a 404, not an overflow).
    MOST = 2**62

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit = (1 + self.LOOK_AHEAD) * self.per_page

    def aim_at(self, number) -> None:
        """Count far enough for page `number` and LOOK_AHEAD pages after it ("last": to the end,
        the one page number that needs the whole count)."""
        try:
            wanted = max(1, int(number))
        except (TypeError, ValueError):
            wanted = self.MOST if number == "last" else 1
        self.limit = min((wanted + self.LOOK_AHEAD) * self.per_page, self.MOST)
        self.__dict__.pop("count", None)
        self.__dict__.pop("num_pages", None)

    def get_page(self, number):
        self.aim_at(number)
        return super().get_page(number)

    def page(self, number):
        if "count" not in self.__dict__:
            self.aim_at(number)
        return super().page(number)

    @cached_property
    def count(self):
        counter = getattr(self.object_list, "capped_count", None)
        if counter is not None:
            return counter(self.limit)
        return capped_count(self.object_list, self.limit)

    @cached_property
    def num_pages(self):
        pages = super().num_pages
        return AtLeast(pages) if isinstance(self.count, AtLeast) else pages


class NewFirst:
    """A list with the tasks younger than NEW_FOR on top (newest first) and the others after them
    in the list's own order, as two queries that each follow an index and stop at the page's
    end (one ORDER BY over both would sort the whole queue for every page). Sliceable and
    countable (capped), for CappedPaginator."""

    ordered = True

    def __init__(self, tasks, now, order):
        new = Q(created__gte=now - NEW_FOR)
        self.new = tasks.filter(new).annotate(is_new=Value(True, BooleanField())).order_by("-created", *order)
        self.rest = tasks.exclude(new).annotate(is_new=Value(False, BooleanField())).order_by(*order)
        self._new_count = None

    def new_count(self, cap: int) -> int:
        if self._new_count is None or (isinstance(self._new_count, AtLeast) and self._new_count < cap):
            self._new_count = capped_count(self.new, cap)
        return self._new_count

    def capped_count(self, cap: int) -> int:
        new = self.new_count(cap)
        if isinstance(new, AtLeast):
            return new
        rest = capped_count(self.rest, cap - new)
        return AtLeast(new + rest) if isinstance(rest, AtLeast) else new + rest

    def count(self) -> int:
        return self.new.count() + self.rest.count()

    def __len__(self):
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            rows = self[index:index + 1]
            if not rows:
                raise IndexError(index)
            return rows[0]
        start, stop = index.start or 0, index.stop
        new = self.new_count(stop)
        rows = list(self.new[start:min(stop, new)]) if start < new else []
        if stop > new:
            rows += list(self.rest[max(0, start - new):stop - new])
        return rows


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
