"""Who is responsible for each step of a case: the one rule that both the flows (which queue
offers a task) and the services (who may record a step) use."""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from casework.models import Case, CaseParticipant
from teams.models import KINDTEAM_SECTORS, Membership, RegionRole, Team


def case_team(case: Case) -> Team | None:
    """The team that holds the case: the school's AOJ-team/kindteam, or Leerplicht for AV."""
    participant = (
        CaseParticipant.objects.filter(
            case=case, reason__in=[CaseParticipant.Reason.SCHOOL_TEAM, CaseParticipant.Reason.LEERPLICHT]
        )
        .select_related("team")
        .first()
    )
    return participant.team if participant else None


def region_team(case: Case, kind: str) -> Team | None:
    return Team.objects.filter(region=case.region, kind=kind).order_by("pk").first()


def is_po_case(case: Case) -> bool:
    """PO cases escalate to the DOE-team and the SWV director; all others to the MPL commission."""
    return case.sector in KINDTEAM_SECTORS


@dataclass(frozen=True)
class Responsibility:
    team: Callable[[Case], Team | None] | None = None
    role: str = ""  # a Membership.Role the member must hold, "" for any member
    region_role: str = ""  # or a RegionRole for the case's region instead of a team


def _kind(kind):
    return lambda case: region_team(case, kind)


RESPONSIBILITIES: dict[str, Responsibility] = {
    "team_review": Responsibility(team=case_team),
    "ect_draft": Responsibility(team=_kind(Team.Kind.ECT)),
    "ect_approve": Responsibility(team=_kind(Team.Kind.ECT)),
    "vrijstelling_request": Responsibility(team=_kind(Team.Kind.LEERPLICHT)),
    "vrijstelling_advice": Responsibility(team=_kind(Team.Kind.ECT)),
    "vrijstelling_decision": Responsibility(team=_kind(Team.Kind.LEERPLICHT)),
    "doorbraak_decision": Responsibility(team=_kind(Team.Kind.MPL), role=Membership.Role.CHAIR),
    "doe_advice": Responsibility(team=_kind(Team.Kind.DOE), role=Membership.Role.CHAIR),
    "director_decision": Responsibility(region_role=RegionRole.Role.SWV_DIRECTOR),
    "jim_assignment": Responsibility(team=case_team),
    "arrangement_setup": Responsibility(team=case_team),
    "arrangement_evaluation": Responsibility(team=case_team),
}


def responsible(case: Case, step: str) -> tuple[Team | None, str, str]:
    """(team, required role, region role) for a step of this case."""
    rule = RESPONSIBILITIES[step]
    return (rule.team(case) if rule.team else None), rule.role, rule.region_role


def may_act(user, case: Case, step: str) -> bool:
    team, role, region_role = responsible(case, step)
    if region_role:
        return RegionRole.objects.filter(user=user, region_id=case.region_id, role=region_role).exists()
    if team is None:
        return False
    memberships = Membership.objects.filter(user=user, team=team)
    if role:
        memberships = memberships.filter(role=role)
    return memberships.exists()


def ensure_can_act(user, case: Case, step: str) -> None:
    if not may_act(user, case, step):
        raise PermissionDenied(_("You are not in the team that handles this step of the case."))
