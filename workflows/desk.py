"""The region desk: what someone who holds a role for a whole region (the SWV director, the
privacy officer) sees on top of their inbox: the director decisions waiting, their regions'
escalated cases, the open data breaches. They are often in no team at all."""

from dataclasses import dataclass

from django.db.models import F

from casework import models as core
from casework.selectors import visible_cases
from casework.services.privacy import breaches_for
from teams.models import Region, RegionRole
from workflows.inbox import DECIDING_ROLES, SORTS, stalled_first
from workflows.models import OPEN_STATUSES as OPEN
from workflows.models import CaseTask
from workflows.queues import eligible_filter, visible_tasks

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
