"""Who is responsible for each step of a case: the one rule that both the flows (which queue
offers a task) and the services (who may record a step) use.

Given a step's reference rows (`rows`: `casework.step.Step.rows`, a dict kept for one step: a
task's completion, a sweeper's batch) the teams of a region and a case's team are read once;
without them (`rows=None`) every call reads afresh, so nothing can go stale across requests."""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from casework.models import Case, CaseParticipant
from teams.models import KINDTEAM_SECTORS, Membership, RegionRole, Sector, Team


def _once(rows: dict | None, key: tuple, read: Callable):
    if rows is None:
        return read()
    if key not in rows:
        rows[key] = read()
    return rows[key]


def forget_case(rows: dict | None, case_id: int) -> None:
    """The case's participants changed: its team (and a step's authorisation) are read again."""
    if rows:
        for key in [key for key in rows if key[0] in ("case_team", "may_act") and key[1] == case_id]:
            del rows[key]


def latest_routes(rows: dict | None, case_id: int, read: Callable[[], list[str]]) -> list[str]:
    """The routes of the case's latest review (the flow's gateways choose by them), read once with
    the same rows; a step that records a review says them (`review_recorded`)."""
    return _once(rows, ("latest_routes", case_id), read)


def review_recorded(rows: dict | None, case_id: int, routes: list[str]) -> None:
    if rows is not None:
        rows[("latest_routes", case_id)] = list(routes)


def authorised(rows: dict | None, user, case: Case, step: str) -> None:
    """The caller checked, under its lock, that `user` may do `step` of this case (a task's
    eligibility): `may_act` answers yes without asking again with the same rows."""
    if rows is not None:
        rows[("may_act", case.pk, user.pk, step)] = True


def case_team(case: Case, rows: dict | None = None) -> Team | None:
    return _once(rows, ("case_team", case.pk, case.school_id), lambda: _case_team(case))


def _case_team(case: Case) -> Team | None:
    """The team that holds the case: the team of the school the child is enrolled at (AOJ-team,
    kindteam, MBO team), or Leerplicht for a child enrolled nowhere (AV, or exempted without a
    school). A case that changed between the two keeps both participants; this picks the one that
    fits the case now."""
    participants = (
        CaseParticipant.objects.filter(
            case=case, reason__in=[CaseParticipant.Reason.SCHOOL_TEAM, CaseParticipant.Reason.LEERPLICHT]
        )
        .select_related("team")
        .order_by("-since", "-pk")
    )
    wanted = CaseParticipant.Reason.SCHOOL_TEAM if case.school_id else CaseParticipant.Reason.LEERPLICHT
    chosen = None
    for participant in participants:
        if participant.reason == wanted and (not case.school_id or participant.team.school_id == case.school_id):
            return participant.team
        chosen = chosen or participant
    return chosen.team if chosen else None


def held_by(rows: dict | None, case: Case, team: Team) -> None:
    """The step has just opened the case with `team` as its only team (the intake)."""
    if rows is not None:
        rows[("case_team", case.pk, case.school_id)] = team


def region_team(case: Case, kind: str, rows: dict | None = None) -> Team | None:
    return _once(rows, ("region_team", case.region_id, kind),
                 lambda: Team.objects.filter(region_id=case.region_id, kind=kind).order_by("pk").first())


def is_po_case(case: Case) -> bool:
    """PO cases escalate to the DOE-team and the SWV director; all others to the MPL commission."""
    return case.sector in KINDTEAM_SECTORS


@dataclass(frozen=True)
class Responsibility:
    team: Callable[[Case, dict | None], Team | None] | None = None  # (case, reference rows)
    role: str = ""  # a Membership.Role the member must hold, "" for any member
    region_role: str = ""  # or a RegionRole for the case's region instead of a team


def _kind(kind):
    return lambda case, rows=None: region_team(case, kind, rows)


RESPONSIBILITIES: dict[str, Responsibility] = {
    "team_review": Responsibility(team=case_team),
    "ect_draft": Responsibility(team=_kind(Team.Kind.ECT)),
    "ect_approve": Responsibility(team=_kind(Team.Kind.ECT)),
    "vrijstelling_request": Responsibility(team=_kind(Team.Kind.LEERPLICHT)),
    "vrijstelling_advice": Responsibility(team=lambda case, rows=None: case_team(case, rows) if case.sector == Sector.MBO
                                          else region_team(case, Team.Kind.ECT, rows)),
    "vrijstelling_decision": Responsibility(team=_kind(Team.Kind.LEERPLICHT)),
    "doorbraak_decision": Responsibility(team=_kind(Team.Kind.MPL), role=Membership.Role.CHAIR),
    "doe_advice": Responsibility(team=_kind(Team.Kind.DOE), role=Membership.Role.CHAIR),
    "director_decision": Responsibility(region_role=RegionRole.Role.SWV_DIRECTOR),
    # MBO: the institution's stagnatiemeldpunt, then its management (no doorzettingsmacht).
    "stagnatie": Responsibility(team=case_team, role=Membership.Role.STAGNATIEMELDPUNT),
    "stagnatie_escalation": Responsibility(team=case_team, role=Membership.Role.MBO_MANAGEMENT),
    "jim_assignment": Responsibility(team=case_team),
    "arrangement_setup": Responsibility(team=case_team),
    "arrangement_evaluation": Responsibility(team=case_team),
    "start_confirmation": Responsibility(team=case_team),
    "case_review": Responsibility(team=case_team),
    # An action agreed in a team meeting: its task goes to the meeting's team (`workflows.flows`);
    # after a hand-over, to the case's new team.
    "meeting_action": Responsibility(team=case_team),
}


# Who else takes a region role's tasks, and for which sectors: in PO the coördinator deelverband
# decides as the SWV director does, on the DOE-team's proposal.
REGION_ROLE_DEPUTIES: dict[str, tuple[tuple[str, frozenset], ...]] = {
    RegionRole.Role.SWV_DIRECTOR: ((RegionRole.Role.COORDINATOR_DEELVERBAND, KINDTEAM_SECTORS),),
}


def region_roles_for(region_role: str, case: Case) -> list[str]:
    """The region roles whose holders may take a task of `region_role` on this case."""
    return [region_role, *(deputy for deputy, sectors in REGION_ROLE_DEPUTIES.get(region_role, ())
                           if case.sector in sectors)]


def deputy_sectors(held_role: str) -> list[tuple[str, frozenset]]:
    """(region role, sectors) whose tasks a holder of `held_role` may also take."""
    return [(region_role, sectors) for region_role, deputies in REGION_ROLE_DEPUTIES.items()
            for deputy, sectors in deputies if deputy == held_role]


def responsible(case: Case, step: str, rows: dict | None = None) -> tuple[Team | None, str, str]:
    """(team, required role, region role) for a step of this case."""
    rule = RESPONSIBILITIES[step]
    return (rule.team(case, rows) if rule.team else None), rule.role, rule.region_role


def may_act(user, case: Case, step: str, rows: dict | None = None) -> bool:
    if rows is not None and rows.get(("may_act", case.pk, user.pk, step)):
        return True
    team, role, region_role = responsible(case, step, rows)
    if region_role:
        return RegionRole.objects.filter(user=user, region_id=case.region_id,
                                         role__in=region_roles_for(region_role, case)).exists()
    if team is None:
        return False
    memberships = Membership.objects.filter(user=user, team=team)
    if role:
        memberships = memberships.filter(role=role)
    return memberships.exists()


def ensure_can_act(user, case: Case, step: str, rows: dict | None = None) -> None:
    if not may_act(user, case, step, rows):
        raise PermissionDenied(_("You are not in the team that handles this step of the case."))


def may_register(user, case: Case, rows: dict | None = None) -> bool:
    """Who records registration and taking part: the case team, and Leerplicht of the region."""
    teams = [team for team in (case_team(case, rows), region_team(case, Team.Kind.LEERPLICHT, rows)) if team is not None]
    return Membership.objects.filter(user=user, team__in=teams).exists()


def ensure_can_register(user, case: Case, rows: dict | None = None) -> None:
    if not may_register(user, case, rows):
        raise PermissionDenied(_("Only the case team and Leerplicht record the registration of a case."))
