"""Who may take a task, and which tasks a user sees: the rules below the nodes.

A node asks `may_take` before viewflow assigns or executes its task; every task list and
lookup starts from `visible_tasks`. Nothing here knows the flows or the pages. `TASK_SOURCE` is
what notifications read of the tasks (it never imports the flows' app).
"""

from django.db.models import Q, QuerySet

from casework.access import visible_case_filter
from casework.responsibility import deputy_sectors, region_roles_for
from notifications.registry import TaskSource
from teams.models import Membership, RegionRole
from workflows.models import OPEN_STATUSES, Attendance, CaseTask


def held_region_roles(user) -> list[tuple[int, str]]:
    """(region id, role) of the user's region roles, read once per user object (a request's)."""
    held = getattr(user, "_held_region_roles", None)
    if held is None:
        held = user._held_region_roles = list(RegionRole.objects.filter(user=user).values_list("region_id", "role"))
    return held


def memberships_of(user) -> list[tuple[int, str]]:
    """(team id, role) of the user's memberships, read once per user object (a request's: the
    inbox page's lists and tab counts ask several times)."""
    held = getattr(user, "_task_memberships", None)
    if held is None:
        held = user._task_memberships = list(Membership.objects.filter(user=user).values_list("team_id", "role"))
    return held


def my_team_ids(user) -> list[int]:
    """`teams.models.team_ids_of`, from `memberships_of` (read once per user object)."""
    return [team for team, _role in memberships_of(user)]


def eligible_filter(user) -> Q:
    """Tasks `user` may take: in a team of theirs with the required role, or by region role.

    Built from the user's memberships as one `team_id IN (...)` condition with the roles as a
    filter beside it, so a team's queue is read in due-date order from its partial index
    (`casetask_open_queue`) and a page stops after its rows, whatever the queue's length."""
    memberships = memberships_of(user)
    region_roles = held_region_roles(user)
    roles = {role for _, role in memberships}
    if len(roles) <= 1:  # the usual case: one role in every team
        role_allowed = Q(required_role__in=["", *roles])
    else:
        role_allowed = Q(required_role="")
        for role in roles:
            role_allowed |= Q(required_role=role, team_id__in=[team for team, held in memberships if held == role])
    eligible = Q(region_role="", team_id__in=[team for team, _ in memberships]) & role_allowed
    for role in {role for _, role in region_roles}:
        regions = [region for region, held in region_roles if held == role]
        eligible |= Q(region_role=role, case__region_id__in=regions)
        for task_role, sectors in deputy_sectors(role):
            eligible |= Q(region_role=task_role, case__region_id__in=regions, case__sector__in=sorted(sectors))
    return eligible


def may_take(user, task: CaseTask) -> bool:
    """`eligible_filter` for one task (also one not saved yet: a task claimed as it is created)."""
    if not user.is_authenticated or task.excluded_user_id == user.pk:
        return False
    if task.region_role:
        if not task.case_id:
            return False
        return RegionRole.objects.filter(user=user, role__in=region_roles_for(task.region_role, task.case),
                                         region_id=task.case.region_id).exists()
    memberships = Membership.objects.filter(user=user, team_id=task.team_id)
    if task.required_role:
        memberships = memberships.filter(role=task.required_role)
    return task.team_id is not None and memberships.exists()


def visible_tasks(user) -> QuerySet[CaseTask]:
    """Human tasks of the cases `user` may see (the base of every task list and lookup)."""
    my_teams = my_team_ids(user)
    return (
        CaseTask.objects.filter(visible_case_filter(user, "case_id", team_ids=my_teams, per_row=True)
                                | Q(case__isnull=True, public_signal__isnull=False, team__in=my_teams),
                                flow_task_type="HUMAN")
        .select_related("case__child", "case__school", "team", "owner", "public_signal")
    )


def _open_human_tasks(case) -> QuerySet[CaseTask]:
    return CaseTask.objects.filter(case=case, status__in=OPEN_STATUSES, flow_task_type="HUMAN")


# What notifications read of the tasks (notifications.registry; registered in workflows.apps).
TASK_SOURCE = TaskSource(
    tasks=lambda ids: CaseTask.objects.in_bulk(list(ids)),
    held_by=lambda user: CaseTask.objects.filter(owner=user).values("pk"),
    most_urgent=lambda case: _open_human_tasks(case).order_by("due_at", "pk").first(),
    open_review=lambda case, reason: (_open_human_tasks(case).filter(process__data__reason=reason)
                                      .order_by("created", "pk").first()),
    meeting_invitees=lambda meeting_id: Attendance.objects.filter(meeting_id=meeting_id).values("user_id"),
)
