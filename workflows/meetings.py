"""Case meetings: planning the next meeting of a team, its agenda (the team's open meeting
tasks, by deadline, with each case's clocks), attendance, recording decisions through the
tasks' own forms, minutes, and closing (which freezes the minutes)."""

import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Prefetch
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.access import is_id
from casework.clocks import MEETING_STEPS
from casework.models import Deadline
from notifications.services import notify
from teams.models import CalendarFeed, Membership, Team, next_meeting
from workflows.inbox import nodes_named
from workflows.models import OPEN_STATUSES as OPEN
from workflows.models import AgendaItem, Attendance, CaseTask, Meeting
from workflows.services import complete_task

LEADS = Membership.LEAD_ROLES


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


@transaction.atomic
def plan_next_meeting(*, team: Team, actor, starts_at=None) -> Meeting:
    """The team's next meeting (by its rhythm unless a time is given), with its agenda."""
    ensure_chair(actor, team)
    starts_at = starts_at or next_meeting(team, timezone.now())
    if starts_at is None:
        raise ValidationError({"starts_at": [_("Give the meeting time, or set the team's weekly meeting day.")]})
    meeting, created = Meeting.objects.get_or_create(team=team, starts_at=starts_at, defaults={"chair": actor})
    refresh_agenda(meeting)
    for membership in Membership.objects.filter(team=team):
        Attendance.objects.get_or_create(meeting=meeting, user_id=membership.user_id, defaults={"present": True})
    if created:
        notify(kind="agenda_published", case=None, actor=actor, data=_meeting_data(meeting))
    return meeting


# --- the calendar feed: one secret address per member, stored hashed, shown once -------------


def feed_token_hash(token: str) -> str:
    return hashlib.sha256(str(token).encode("utf-8", "replace")).hexdigest()


@transaction.atomic
def issue_calendar_feed(*, team: Team, user) -> str:
    """A new address of the team's meeting calendar for this member (their previous one ends).
    Returns the token: it is shown once, only its hash is kept."""
    ensure_member(user, team)
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(user=user, team=team, defaults={
        "token_hash": feed_token_hash(token), "created_at": timezone.now()})
    return token


@transaction.atomic
def renew_calendar_feeds(*, team: Team, actor) -> str:
    """A lead ends every member's calendar address of the team (one leaked, say) and gets a new
    one; the others make their own again. Returns the lead's new token (shown once)."""
    ensure_chair(actor, team)
    CalendarFeed.objects.filter(team=team).delete()
    return issue_calendar_feed(team=team, user=actor)


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


def refresh_agenda(meeting: Meeting) -> int:
    """Add the team's open meeting tasks that are not on the agenda yet (at the end)."""
    if meeting.status == Meeting.Status.CLOSED:
        return 0
    present = set(meeting.items.values_list("task_id", flat=True))
    last = meeting.items.aggregate(last=Max("position"))["last"] or 0
    added = 0
    for task in meeting_tasks(meeting.team):
        if task.pk not in present:
            last += 1
            AgendaItem.objects.create(meeting=meeting, task=task, position=last)
            added += 1
    return added


@transaction.atomic
def add_item(*, meeting: Meeting, actor, task_id) -> AgendaItem:
    """The chair puts another open task of the team on the agenda."""
    ensure_chair(actor, meeting.team)
    _ensure_not_closed(meeting)
    task = CaseTask.objects.filter(pk=task_id, team=meeting.team, status__in=OPEN).first()
    if task is None:
        raise ValidationError({"task": [_("Choose an open task of this team.")]})
    last = meeting.items.aggregate(last=Max("position"))["last"] or 0
    item, created = AgendaItem.objects.get_or_create(meeting=meeting, task=task, defaults={"position": last + 1})
    if created:
        notify(kind="meeting_item_added", case=None, actor=actor, data=_meeting_data(meeting))
    return item


def _meeting_data(meeting: Meeting) -> dict:
    return {"meeting_id": meeting.pk, "starts": timezone.localtime(meeting.starts_at).strftime("%d-%m %H:%M")}


@transaction.atomic
def move_item(*, meeting: Meeting, actor, item_id, direction: str) -> None:
    """Move an item one place up or down."""
    ensure_chair(actor, meeting.team)
    _ensure_not_closed(meeting)
    items = list(meeting.items.order_by("position", "pk"))
    index = next((i for i, item in enumerate(items) if item.pk == int(item_id)), None)
    if index is None:
        raise Http404
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]
    for position, item in enumerate(items, 1):
        AgendaItem.objects.filter(pk=item.pk).update(position=position)


@transaction.atomic
def record_attendance(*, meeting: Meeting, actor, present_ids) -> None:
    ensure_chair(actor, meeting.team)
    _ensure_not_closed(meeting)
    present = {int(pk) for pk in present_ids}
    for attendance in meeting.attendance.all():
        Attendance.objects.filter(pk=attendance.pk).update(present=attendance.user_id in present)


def decide_item(*, meeting: Meeting, actor, item_id, data, minutes: str = "") -> AgendaItem:
    """Record the decision on an agenda item through the task's own form: the same completion,
    validation and single CaseEvent as from the inbox; then the item's minutes."""
    ensure_chair(actor, meeting.team)
    _ensure_not_closed(meeting)
    item = meeting.items.filter(pk=item_id).select_related("task").first()
    if item is None:
        raise Http404
    complete_task(user=actor, task_id=item.task_id, data=data)
    AgendaItem.objects.filter(pk=item.pk).update(decided=True, minutes=(minutes or "").strip())
    if meeting.status == Meeting.Status.PLANNED:
        Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.OPEN)
    item.refresh_from_db()
    return item


@transaction.atomic
def write_minutes(*, meeting: Meeting, actor, item_id, minutes: str) -> None:
    ensure_chair(actor, meeting.team)
    _ensure_not_closed(meeting)
    if not meeting.items.filter(pk=item_id).update(minutes=(minutes or "").strip()):
        raise Http404


@transaction.atomic
def close_meeting(*, meeting: Meeting, actor) -> Meeting:
    """Close the meeting: from now on its minutes cannot change."""
    ensure_chair(actor, meeting.team)
    _ensure_not_closed(meeting)
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.CLOSED, closed_at=timezone.now())
    meeting.refresh_from_db()
    return meeting


def _ensure_not_closed(meeting: Meeting) -> None:
    if Meeting.objects.filter(pk=meeting.pk, status=Meeting.Status.CLOSED).exists():
        raise ValidationError({"__all__": [_("The meeting is closed: its minutes are final.")]})


def agenda(meeting: Meeting):
    """The agenda with each item's task, case and clocks (a fixed number of queries)."""
    return meeting.items.select_related("task__case__child", "task__case__school").prefetch_related(
        Prefetch("task__case__deadlines", queryset=Deadline.objects.order_by("due_at")))


def may_read_minutes(user, meeting: Meeting) -> bool:
    """After closing, the minutes are for the attendees (and the team's leads)."""
    if meeting.attendance.filter(user=user, present=True).exists():
        return True
    return Membership.objects.filter(user=user, team=meeting.team, role__in=LEADS).exists()
