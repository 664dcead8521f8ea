"""Who hears what: the one table of audiences, `AUDIENCES` (each `Notification.Kind` and the rules
whose users together hear of it), as it reads (also in docs/architecture.md):

| kind | audience |
|---|---|
| task_available | members of the task's team with its required role, or the region-role holders it needs (in PO the coördinator deelverband beside the SWV director); never the four-eyes excluded drafter (also for a public signal to verify: Leerplicht) |
| ect_advice_reviewed | the drafter of the advice and the case team |
| vrijstelling_advised | the region's Leerplicht team |
| placement_decided | the case team (doorbraak or director decision) |
| registration_changed | the case team |
| consent_changed | the case team (a parent or young person gave or withdrew consent) |
| signal_forwarded | the case team (a professional not on the case signalled the child: who and how to reach them) |
| deadline_warning | the open task's assignee; else its team; else the case team |
| deadline_breached | coordinators of the case team, plus per clock: 48 hours → the region's ECT; 3 months → the MPL (VO) or DOE (PO) chair and the SWV director(s), but for a pupil reported sick the region's ECT, and for an MBO student the region's Leerplicht/RMC team and the institution team's coordinators; arrangement evaluation → the case team; a cyclical review of a pupil reported sick that passed while the last one is still open → that review's assignee, else its team |
| offer_failed | the case team (an offered place did not start) |
| doorbraak_stalled | the chair of the MPL (a stalled doorbraak decision) or of the DOE-team (a stalled advice): the SWV director decides now |
| stagnatie_escalated | the region's Leerplicht/RMC team (an MBO student's placement went to the institution's management) |
| exemption_ended | the case team and the region's Leerplicht team |
| leerplicht_ended | the case team (asked to close the case with outcome achttien) |
| case_closed | everyone on the case |
| agenda_published | the meeting's invitees (the team) |
| meeting_item_added | the meeting's invitees |
| mentioned | the people on the case a note mentions as @username |
| task_assigned | the colleague a coordinator (or team member) assigned the task to |
| task_released | the person whose claimed task was released to the queue by someone else |
| follow_up_due | a snoozed task's assignee on its follow-up date; else, as task_available, its team |

Then, always: never the actor, and never anyone who cannot see the case.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from casework.models import CaseParticipant, EctAdvice
from casework.responsibility import case_team, is_po_case, region_roles_for, region_team
from notifications import registry
from notifications.models import Notification
from teams.models import Membership, RegionRole, Team, User

Kind = Notification.Kind


def team_members(team: Team | None, role: str = "") -> QuerySet[User]:
    if team is None:
        return User.objects.none()
    members = Membership.objects.filter(team=team)
    if role:
        members = members.filter(role=role)
    return User.objects.filter(pk__in=members.values("user_id"))


def region_role_holders(case, role: str) -> QuerySet[User]:
    """Who holds the role in the case's region, or stands in for it there (the coördinator
    deelverband beside the SWV director in PO)."""
    return User.objects.filter(pk__in=RegionRole.objects.filter(
        region=case.region, role__in=region_roles_for(role, case)).values("user_id"))


def everyone_on(case) -> QuerySet[User]:
    return User.objects.filter(
        Q(pk__in=Membership.objects.filter(team__case_participations__case=case).values("user_id"))
        | Q(pk__in=CaseParticipant.objects.filter(case=case, user__isnull=False)
            .exclude(reason=CaseParticipant.Reason.MENTOR).values("user_id"))
    )


def can_see(case) -> Exists:
    """Users who may see the case (the same rule as casework.access, from the user's side)."""
    my_teams = Membership.objects.filter(user=OuterRef(OuterRef("pk"))).values("team_id")
    return Exists(CaseParticipant.objects.filter(case=case).filter(
        Q(team__in=my_teams) | (Q(user=OuterRef("pk")) & ~Q(reason=CaseParticipant.Reason.MENTOR))))


def most_urgent_task(case):
    """The case's open human task that is due first (what a clock warning is about)."""
    return registry.most_urgent_task(case)


def open_review(case, reason: str):
    """The case's open review task a periodic clock asked for (see casework.clocks.review_pending)."""
    return registry.open_review(case, reason)


def case_team_members(case, task, data) -> QuerySet[User]:
    return team_members(case_team(case))


def leerplicht_team(case, task, data) -> QuerySet[User]:
    """The region's Leerplicht (and RMC) team."""
    return team_members(region_team(case, Team.Kind.LEERPLICHT))


def task_team(case, task, data) -> QuerySet[User]:
    """Who may take the task: its owner when it was claimed at creation (a rejected advice back to
    its drafter), else the members of its team with its required role or the region-role holders
    it needs; never the four-eyes excluded drafter."""
    if task.owner_id:
        return User.objects.filter(pk=task.owner_id)
    users = (region_role_holders(case, task.region_role) if task.region_role
             else team_members(task.team, task.required_role))
    if task.excluded_user_id:
        users = users.exclude(pk=task.excluded_user_id)
    return users


def advice_drafter_and_case_team(case, task, data) -> QuerySet[User]:
    drafter = EctAdvice.objects.filter(pk=data.get("advice_id")).values("drafted_by_id")
    return User.objects.filter(Q(pk__in=drafter) | Q(pk__in=team_members(case_team(case)).values("pk")))


def stalled_task_chair(case, task, data) -> QuerySet[User]:
    """The chair of the DOE-team (a stalled advice) or of the MPL (a stalled doorbraak decision)."""
    chair_team = region_team(case, Team.Kind.DOE if data.get("task") == "doe_advice" else Team.Kind.MPL)
    return team_members(chair_team, Membership.Role.CHAIR)


def urgent_task_holder(case, task, data) -> QuerySet[User]:
    """The open task's assignee (the case's most urgent one when none is named); else its team;
    else the case team."""
    task = task or most_urgent_task(case)
    if task is not None and task.owner_id:
        return User.objects.filter(pk=task.owner_id)
    if task is not None and task.team_id:
        return team_members(task.team)
    return team_members(case_team(case))


def breach_audience(case, task, data) -> QuerySet[User]:
    """The case team's coordinators, plus who the breached clock (`data["deadline_kind"]`) calls."""
    users = team_members(case_team(case), Membership.Role.COORDINATOR)
    clock = data.get("deadline_kind")
    if clock == "team_action_48h":
        users = users | team_members(region_team(case, Team.Kind.ECT))
    elif clock == "offer_3_months" and case.registration == "ziek":
        users = users | team_members(region_team(case, Team.Kind.ECT))
    elif clock == "offer_3_months" and case.sector == "mbo":
        users = users | team_members(region_team(case, Team.Kind.LEERPLICHT))
    elif clock == "offer_3_months":
        chair_team = region_team(case, Team.Kind.DOE if is_po_case(case) else Team.Kind.MPL)
        users = (users | team_members(chair_team, Membership.Role.CHAIR)
                 | region_role_holders(case, RegionRole.Role.SWV_DIRECTOR))
    elif clock == "arrangement_evaluation":
        users = users | team_members(case_team(case))
    elif clock == "ziek_review":
        review = open_review(case, clock)
        if review is not None and review.owner_id:
            users = users | User.objects.filter(pk=review.owner_id)
        elif review is not None and review.team_id:
            users = users | team_members(review.team)
    return users


def everyone_on_the_case(case, task, data) -> QuerySet[User]:
    return everyone_on(case)


def mentioned_users(case, task, data) -> QuerySet[User]:
    return User.objects.filter(pk__in=data.get("user_ids", []))


def named_user(case, task, data) -> QuerySet[User]:
    """The one user the notice names (`data["user_id"]`)."""
    return User.objects.filter(pk=data.get("user_id"))


def task_owner_or_team(case, task, data) -> QuerySet[User]:
    """A snoozed task's assignee; else, as for a new task, its team."""
    if task.owner_id:
        return User.objects.filter(pk=task.owner_id)
    return task_team(case, task, data)


def meeting_invitees(case, task, data) -> QuerySet[User]:
    return User.objects.filter(pk__in=registry.meeting_invitees(data["meeting_id"]))


# kind -> the rules whose users together are its audience (the table in the module's docstring).
AUDIENCES: dict[str, tuple] = {
    Kind.TASK_AVAILABLE: (task_team,),
    Kind.ECT_ADVICE_REVIEWED: (advice_drafter_and_case_team,),
    Kind.VRIJSTELLING_ADVISED: (leerplicht_team,),
    Kind.PLACEMENT_DECIDED: (case_team_members,),
    Kind.REGISTRATION_CHANGED: (case_team_members,),
    Kind.CONSENT_CHANGED: (case_team_members,),
    Kind.SIGNAL_FORWARDED: (case_team_members,),
    Kind.DEADLINE_WARNING: (urgent_task_holder,),
    Kind.DEADLINE_BREACHED: (breach_audience,),
    Kind.OFFER_FAILED: (case_team_members,),
    Kind.DOORBRAAK_STALLED: (stalled_task_chair,),
    Kind.STAGNATIE_ESCALATED: (leerplicht_team,),
    Kind.EXEMPTION_ENDED: (case_team_members, leerplicht_team),
    Kind.LEERPLICHT_ENDED: (case_team_members,),
    Kind.CASE_CLOSED: (everyone_on_the_case,),
    Kind.AGENDA_PUBLISHED: (meeting_invitees,),
    Kind.MEETING_ITEM_ADDED: (meeting_invitees,),
    Kind.MENTIONED: (mentioned_users,),
    Kind.TASK_ASSIGNED: (named_user,),
    Kind.TASK_RELEASED: (named_user,),
    Kind.FOLLOW_UP_DUE: (task_owner_or_team,),
}


def audience(kind: str, *, case, task=None, data=None) -> QuerySet[User]:
    """Who hears of a notice of `kind` (before the fan-out leaves out the actor and anyone who
    cannot see the case). A kind not in the table (an entry written before its kind was retired)
    raises ValueError."""
    rules = AUDIENCES.get(kind)
    if rules is None:
        raise ValueError(f"unknown notification kind {kind!r}")
    data = data or {}
    users = rules[0](case, task, data)
    for rule in rules[1:]:
        users = users | rule(case, task, data)
    return users
