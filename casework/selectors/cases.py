"""The case lists and pages: querysets already limited to what the user may see, and shaped for their page."""

from django.db.models import Exists, OuterRef, Prefetch, QuerySet, prefetch_related_objects
from django.utils import timezone

from casework.access import log_case_read, visible_case_filter
from casework.clocks import in_state
from casework.models import AccessLog, Case, CaseEvent, CaseParticipant, Deadline, EctAdvice, Mentor
from systems.clients import system_of
from teams.models import Membership, RegionRole, School


def visible_cases(user, *, deadline_state: str = "", status: str = "", updated_since=None, school: int | None = None,
                  region: int | None = None, now=None) -> QuerySet[Case]:
    """The cases `user` may see, with what a list row shows (constant queries per page);
    optionally only those with a clock in `deadline_state` (e.g. breached, warning) now, in
    `status`, of `school` or `region`, or changed after `updated_since` (every change to a case
    is one of its events, so: with an event after that moment)."""
    cases = (
        Case.objects.filter(visible_case_filter(user))
        .select_related("child", "school", "region")
        .prefetch_related(Prefetch("deadlines", queryset=Deadline.objects.order_by("due_at", "pk")))
        .order_by("-signalled_at", "-pk")
    )
    if deadline_state:
        clocks = Deadline.objects.filter(case=OuterRef("pk")).filter(in_state(deadline_state, now or timezone.now()))
        cases = cases.filter(Exists(clocks))
    if status:
        cases = cases.filter(status=status)
    if school is not None:
        cases = cases.filter(school_id=school)
    if region is not None:
        cases = cases.filter(region_id=region)
    if updated_since is not None:
        cases = cases.filter(Exists(CaseEvent.objects.filter(case=OuterRef("pk"), at__gt=updated_since)))
    return cases


def with_timeline(case: Case) -> Case:
    """The case with its events (and their actors) and clocks loaded, for a case page."""
    prefetch_related_objects(
        [case],
        Prefetch("events", queryset=CaseEvent.objects.select_related("actor").order_by("at", "pk")),
        Prefetch("deadlines", queryset=Deadline.objects.order_by("due_at", "pk")),
    )
    return case


def signalled_case(user, case: Case, *, request=None) -> Case:
    """The case `user` has just opened with a signal (`casework.services.signal_case`), for the answer:
    the read logged as the signal's, then the row with its child, school and region and its timeline.
    Who may see it is not asked again: the intake made the signaller someone who does. The row is
    read, not taken from the object the intake returned: the intake also writes with set-based
    statements that leave that object as it was (a known child's pupil number, the registration a
    late signal's clock changes, the clocks it breaches)."""
    log_case_read(user, case, action=AccessLog.Action.SIGNAL, request=request)
    return with_timeline(Case.objects.select_related("child", "school", "region").get(pk=case.pk))


def case_file(case: Case) -> dict:
    """What the case page shows besides the timeline: plans, approved advice, decisions, mentor,
    arrangements (a fixed number of queries)."""
    return {
        "plans": case.plans.select_related("recorded_by")[:5],
        "advices": case.ect_advices.filter(status=EctAdvice.Status.APPROVED).select_related("drafted_by", "reviewed_by"),
        "vrijstellingen": case.vrijstellingen.select_related("requested_by", "advised_by", "decided_by"),
        "placements": case.placements.select_related("school_board", "school", "decided_by"),
        "mentor": case.mentors.filter(active=True).first(),
        "arrangements": case.arrangements.prefetch_related("evaluations"),
    }


def mentor_page(case: Case, mentor: Mentor) -> dict:
    """Only what the young person agreed to share with the JIM mentor."""
    shared = set(mentor.share)
    return {
        "plan": case.plans.first() if Mentor.Share.PLAN in shared else None,
        "advices": list(case.ect_advices.filter(status=EctAdvice.Status.APPROVED))
        if Mentor.Share.ADVICE in shared else [],
        "placements": list(case.placements.select_related("school_board", "school").exclude(kind="doe_advice", start_date__isnull=True))
        if Mentor.Share.DECISIONS in shared else [],
        "vrijstellingen": list(case.vrijstellingen.filter(decided_at__isnull=False))
        if Mentor.Share.DECISIONS in shared else [],
        "notes": list(case.notes.filter(shared_with_mentor=True).order_by("-created_at", "-pk"))
        if Mentor.Share.NOTES in shared else [],
    }


def coordinated_clocks(user, *, state: str = "", now=None) -> QuerySet[Deadline]:
    """Clocks of the open cases of the teams `user` coordinates (coordinator or chair), soonest
    first; with `state`, only clocks in that state now."""
    led_teams = Membership.objects.filter(
        user=user, role__in=Membership.LEAD_ROLES).values("team_id")
    clocks = (
        Deadline.objects.filter(case__participants__team__in=led_teams)
        .exclude(case__status=Case.Status.CLOSED)
        .filter(visible_case_filter(user, "case_id"))
        .select_related("case__child", "case__school")
        .distinct()
        .order_by("due_at", "pk")
    )
    if state:
        clocks = clocks.filter(in_state(state, now or timezone.now()))
    return clocks


def case_participants(case: Case) -> QuerySet[CaseParticipant]:
    return case.participants.select_related("team", "user").order_by("since", "pk")


def schools_for_signal() -> QuerySet[School]:
    return School.objects.select_related("region").order_by("name")


def mentorships_of(user) -> QuerySet[Mentor]:
    """The open cases this user is the JIM mentor of (with an account), for their landing page."""
    return (Mentor.objects.filter(user=user, active=True, case__status__in=Case.OPEN_STATUSES)
            .select_related("case__child").order_by("case__child__given_name", "case_id"))


def signaller_contact(actor) -> dict[str, str]:
    """Who signalled and how to reach them, as the case team reads it (name, teams, e-mail); for a
    connected system, its name, its organisation and its technical contact."""
    system = system_of(actor)
    if system is not None:
        return {"signaller_name": str(system), "signaller_email": system.contact,
                "signaller_organisation": system.organisation_name}
    organisations = sorted({membership.team.name for membership in Membership.objects.filter(user=actor)
                            .select_related("team")}
                           | {str(role.region) for role in RegionRole.objects.filter(user=actor)
                              .select_related("region")})
    return {"signaller_name": actor.get_full_name() or actor.username, "signaller_email": actor.email or "",
            "signaller_organisation": ", ".join(organisations)}
