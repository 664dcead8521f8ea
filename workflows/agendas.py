"""The meetings' reads: a user's teams and whether they may lead them, a meeting of theirs,
what the team's next meeting should discuss (`agenda_candidates`: open meeting tasks, breached and
almost due clocks, flagged cases), the agenda as the page shows it, the actions agreed, the
teams a case can be flagged for, who may read the minutes, and the team a calendar address
opens. The commands are `workflows.meetings`."""

import datetime as dt
import hashlib

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.access import is_id
from casework.clocks import MEETING_STEPS
from casework.models import Case, CaseEvent, Deadline
from teams.models import CalendarFeed, Membership, Team, next_meeting
from workflows.flows import MeetingActionFlow
from workflows.inbox import nodes_named
from workflows.models import OPEN_STATUSES as OPEN
from workflows.models import AgendaItem, CaseTask, Meeting, MeetingFlag

LEADS = Membership.LEAD_ROLES
Reason = AgendaItem.Reason
# The clocks that put a case on the agenda when breached or almost due (within NEAR_DAYS).
AGENDA_CLOCKS = (Deadline.Kind.TEAM_ACTION_48H, Deadline.Kind.LRV_4_WEEKS, Deadline.Kind.OFFER_3_MONTHS,
                 Deadline.Kind.ARRANGEMENT_EVALUATION)
NEAR_DAYS = 7


def teams_of(user):
    return Team.objects.filter(memberships__user=user).distinct().order_by("name")


def ensure_member(user, team: Team) -> None:
    if not Membership.objects.filter(user=user, team=team).exists():
        raise Http404


def ensure_chair(user, team: Team) -> None:
    ensure_member(user, team)
    if not Membership.objects.filter(user=user, team=team, role__in=LEADS).exists():
        raise PermissionDenied(_("Only the team's coordinator or chair leads its meetings."))


def meeting_for(user, meeting_id) -> Meeting:
    """A meeting of one of the user's teams (404 otherwise)."""
    meeting = Meeting.objects.filter(pk=meeting_id, team__memberships__user=user).select_related("team", "chair").first()
    if meeting is None:
        raise Http404
    return meeting


def meeting_tasks(team: Team):
    """The team's open tasks that belong in a meeting, by deadline."""
    nodes = [node for name in MEETING_STEPS for node in nodes_named(name)]
    return CaseTask.objects.filter(team=team, status__in=OPEN, flow_task__in=nodes).order_by("due_at", "created")


def plan_defaults(team: Team) -> dict:
    """The plan form's date and time: the rhythm's next meeting (empty without a rhythm)."""
    starts = next_meeting(team, timezone.now())
    if starts is None:
        return {}
    local = timezone.localtime(starts)
    return {"date": local.date(), "time": local.time().replace(tzinfo=None, second=0, microsecond=0)}


def feed_token_hash(token: str) -> str:
    return hashlib.sha256(str(token).encode("utf-8", "replace")).hexdigest()


def calendar_feed_of(user, team: Team) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user, team=team).first()


def team_of_feed(team_id, token: str) -> Team | None:
    """The team whose calendar this address opens, if it is a current member's feed; else None."""
    if not is_id(team_id):
        return None
    feed = CalendarFeed.objects.filter(team_id=team_id, token_hash=feed_token_hash(token)).select_related("team").first()
    if feed is None or not Membership.objects.filter(user_id=feed.user_id, team_id=feed.team_id).exists():
        return None
    return feed.team


def team_cases(team: Team):
    """The open cases the team works on."""
    return Case.objects.filter(participants__team=team, status__in=Case.OPEN_STATUSES)


def agenda_candidates(team: Team, now) -> list[tuple[str, int, CaseTask | None]]:
    """(reason, case id, task or None) for what the team's next meeting should discuss, in agenda
    order: the open meeting tasks by deadline (a first team review is a new signal, a later one
    means the routes came back), then the cases with a breached clock, with a clock almost due, and
    the cases a member flagged."""
    tasks = list(meeting_tasks(team))
    reviewed = set(CaseEvent.objects.filter(
        case_id__in=[task.case_id for task in tasks if task.node_name == "team_review"],
        kind=CaseEvent.Kind.TEAM_REVIEW).values_list("case_id", flat=True))
    found = []
    for task in tasks:
        reason = Reason.TASK
        if task.node_name == "team_review":
            reason = Reason.ROUTE_RETURNED if task.case_id in reviewed else Reason.NEW_SIGNAL
        found.append((reason, task.case_id, task))
    clocks = Deadline.objects.filter(
        case__in=team_cases(team), kind__in=AGENDA_CLOCKS, met_at__isnull=True, stopped_at__isnull=True,
    ).filter(Q(breached_at__isnull=False) | Q(due_at__lte=now + dt.timedelta(days=NEAR_DAYS)) | Q(warn_at__lte=now))
    clocks = list(clocks.order_by("due_at", "pk").values_list("case_id", "breached_at", "due_at"))
    found += [(Reason.CLOCK_BREACHED, case_id, None) for case_id, breached, due in clocks if breached or due <= now]
    found += [(Reason.CLOCK_NEAR, case_id, None) for case_id, breached, due in clocks if not (breached or due <= now)]
    flags = MeetingFlag.objects.filter(team=team, discussed_at__isnull=True, case__status__in=Case.OPEN_STATUSES)
    found += [(Reason.FLAGGED, case_id, None) for case_id in flags.values_list("case_id", flat=True)]
    return found


def actions_of(meeting: Meeting) -> list[CaseTask]:
    """The actions the meeting agreed (their tasks, with their owners), oldest first."""
    return list(CaseTask.objects.filter(flow_task=MeetingActionFlow.meeting_action, process__data__meeting_id=meeting.pk)
                .select_related("owner", "process").order_by("created", "pk"))


def flag_teams(user, case: Case) -> list[tuple[Team, MeetingFlag | None]]:
    """The user's teams on the case, each with its open flag for the case (or None)."""
    teams = list(Team.objects.filter(memberships__user=user, case_participations__case=case).distinct().order_by("name"))
    flags = {flag.team_id: flag for flag in MeetingFlag.objects.filter(case=case, discussed_at=None, team__in=teams)
             .select_related("flagged_by")}
    return [(team, flags.get(team.pk)) for team in teams]


def agenda(meeting: Meeting):
    """The agenda with each item's case, task and clocks (a fixed number of queries)."""
    return meeting.items.select_related("case__child", "case__school", "task").prefetch_related(
        Prefetch("case__deadlines", queryset=Deadline.objects.order_by("due_at")))


def may_read_minutes(user, meeting: Meeting) -> bool:
    """After closing, the minutes are for the attendees (and the team's leads)."""
    if meeting.attendance.filter(user=user, present=True).exists():
        return True
    return Membership.objects.filter(user=user, team=meeting.team, role__in=LEADS).exists()
