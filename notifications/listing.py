"""The "Meldingen" list as people can manage it: a user's notifications grouped by case (the latest
first, with a count and an unread count per case), filtered by kind, by "mine" or "my teams" and
by unread, each item a link that opens its case or task.

"Mine" are the notifications meant for you in person: about a task that is yours now (claimed by
or assigned to you), a task someone assigned to you or released from you, or a note that
mentions you. "My teams" are all the others: what you hear as a member of a team or as the
holder of a role in the region (a new task in the team's queue, a clock of a team's case).

A group names the child and the school only when the user may see the case now (notices stay
after someone leaves a team); otherwise it says "Zaak N". Notices about no case (a meeting's
agenda) form one group of their own. A page costs a fixed number of queries however many groups
and notices it shows."""

from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Max, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.urls import reverse

from casework.access import is_id, visible_case_filter
from casework.models import Case
from notifications import registry
from notifications.models import Notification
from notifications.presentation import KIND_LABELS, describe, rejection_reasons

# Kinds addressed to one person by someone's act: always "mine".
PERSONAL_KINDS = (Notification.Kind.MENTIONED, Notification.Kind.TASK_ASSIGNED, Notification.Kind.TASK_RELEASED)
SCOPES = ("", "mine", "teams")
GROUPS_PER_PAGE = 10
# Notices shown per group; the group links to all of its notices (the list filtered by its case).
ITEMS_PER_GROUP = 5
ITEMS_OF_ONE_CASE = 100
NO_CASE = "none"


@dataclass(frozen=True)
class Filters:
    kind: str = ""
    scope: str = ""
    unread: bool = False
    case: str = ""  # a case id, NO_CASE, or "" for all

    @classmethod
    def from_query(cls, params) -> "Filters":
        """The filters of a query string; an unknown value is ignored (the list unfiltered by it)."""
        kind = params.get("kind", "")
        scope = params.get("scope", "")
        case = params.get("case", "")
        return cls(kind=kind if kind in KIND_LABELS else "", scope=scope if scope in SCOPES else "",
                   unread=params.get("unread") == "1", case=case if case == NO_CASE or is_id(case) else "")


def mine(user) -> Q:
    """The notifications meant for `user` in person (see the module's docstring)."""
    return Q(task__in=registry.held_by(user)) | Q(kind__in=PERSONAL_KINDS)


def notifications_of(user, filters: Filters) -> QuerySet[Notification]:
    rows = Notification.objects.filter(recipient=user)
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.scope == "mine":
        rows = rows.filter(mine(user))
    elif filters.scope == "teams":
        rows = rows.exclude(mine(user))
    if filters.unread:
        rows = rows.filter(read_at__isnull=True)
    if filters.case == NO_CASE:
        rows = rows.filter(case__isnull=True)
    elif filters.case:
        rows = rows.filter(case_id=int(filters.case))
    return rows


@dataclass
class Item:
    notification: Notification
    title: str
    url: str  # opens it: marks it read and goes to its case or task


@dataclass
class Group:
    case_id: int | None
    total: int
    unread: int
    latest: object
    case: Case | None = None  # only when the user may see it now
    items: list[Item] = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.total - len(self.items)

    @property
    def key(self) -> str:
        return str(self.case_id) if self.case_id else NO_CASE


def groups_page(user, filters: Filters, page_number) -> tuple[Page, list[Group]]:
    """One page of the user's groups (latest first) with their latest notices."""
    rows = notifications_of(user, filters)
    groups = (rows.order_by().values("case_id")
              .annotate(latest=Max("created_at"), total=Count("pk"), unread=Count("pk", filter=Q(read_at__isnull=True)))
              .order_by("-latest", "case_id"))
    page = Paginator(groups, GROUPS_PER_PAGE).get_page(page_number)
    shown = [Group(case_id=row["case_id"], total=row["total"], unread=row["unread"], latest=row["latest"])
             for row in page.object_list]
    if not shown:
        return page, []
    case_ids = [group.case_id for group in shown if group.case_id]
    visible = {case.pk: case for case in Case.objects.filter(pk__in=case_ids).filter(visible_case_filter(user))
               .select_related("child", "school")} if case_ids else {}
    in_groups = Q(case_id__in=case_ids)
    if any(group.case_id is None for group in shown):
        in_groups |= Q(case__isnull=True)
    per_group = ITEMS_OF_ONE_CASE if filters.case else ITEMS_PER_GROUP
    latest = list(rows.filter(in_groups).with_tasks()
                  .annotate(rank=Window(RowNumber(), partition_by=[F("case_id")],
                                        order_by=[F("created_at").desc(), F("pk").desc()]))
                  .filter(rank__lte=per_group).order_by("-created_at", "-pk"))
    reasons = rejection_reasons(latest)
    by_case = {group.case_id: group for group in shown}
    for group in shown:
        group.case = visible.get(group.case_id)
    for notification in latest:
        title, _target = describe(notification, reasons=reasons)
        by_case[notification.case_id].items.append(
            Item(notification, title, reverse("notification-open", args=[notification.pk])))
    return page, shown
