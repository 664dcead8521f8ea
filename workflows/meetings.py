"""Case meetings: the team's weekly rhythm, planning a meeting (a date and time, by default the
rhythm's next), its agenda (the team's open cases that need discussing: new signals and routes
that came back, by deadline, then breached and almost due clocks, then cases a member flagged),
attendance, recording decisions through the tasks' own forms, minutes, actions for a member
(a `meeting_action` task), flagging a case for the next meeting, the members' calendar addresses
(one secret address per member, stored hashed, shown once), and closing (which freezes the
minutes). These are the commands; what they and the pages read is `workflows.agendas`."""

import datetime as dt
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import services
from casework.access import is_id
from casework.models import Case
from notifications.models import Notification
from notifications.services import notify
from teams.models import CalendarFeed, Membership, Team, next_meeting
from workflows.agendas import (
    agenda_candidates,
    ensure_chair,
    ensure_member,
    feed_token_hash,
    meeting_tasks,
)
from workflows.flows import MeetingActionFlow
from workflows.models import OPEN_STATUSES as OPEN
from workflows.models import AgendaItem, Attendance, CaseTask, Meeting, MeetingFlag
from workflows.services import complete_task

MEETING_LENGTHS = (15, 480)  # minutes


@transaction.atomic
def set_meeting_rhythm(*, team: Team, actor, weekday: int, time: dt.time, minutes: int) -> Team:
    """A lead sets (or changes) the team's weekly meeting day, time and length. Meetings planned
    on the old day and time that have not started, and the meeting tasks due then, move to the new
    day of the same week."""
    ensure_chair(actor, team)
    errors = {}
    if weekday not in range(7):
        errors["weekday"] = [_("Choose a day of the week.")]
    if time is None:
        errors["time"] = [_("Give the time the meeting starts.")]
    if minutes is None or not MEETING_LENGTHS[0] <= minutes <= MEETING_LENGTHS[1]:
        errors["minutes"] = [_("A meeting lasts between %(low)s and %(high)s minutes.")
                             % {"low": MEETING_LENGTHS[0], "high": MEETING_LENGTHS[1]}]
    if errors:
        raise ValidationError(errors)
    old = (team.meeting_weekday, team.meeting_time)
    Team.objects.filter(pk=team.pk).update(meeting_weekday=weekday, meeting_time=time, meeting_minutes=minutes)
    team.refresh_from_db()
    if None not in old and old != (weekday, time):
        _follow_the_new_rhythm(team, old, timezone.now())
    return team


def _follow_the_new_rhythm(team: Team, old: tuple, now) -> None:
    """The planned meetings on the old day and time, and the open meeting tasks due then, move to
    the new day and time of the same week (not into the past, nor onto another meeting)."""
    for meeting in team.meetings.filter(status=Meeting.Status.PLANNED, starts_at__gt=now):
        moved = _on_new_rhythm(team, meeting.starts_at, old, now)
        if moved is not None and not team.meetings.filter(starts_at=moved).exists():
            Meeting.objects.filter(pk=meeting.pk).update(starts_at=moved)
    for task in meeting_tasks(team).filter(due_at__gt=now):
        moved = _on_new_rhythm(team, task.due_at, old, now)
        if moved is not None:
            CaseTask.objects.filter(pk=task.pk).update(due_at=moved)


def _on_new_rhythm(team: Team, moment, old: tuple, now):
    """Where a moment of the old rhythm goes: the team's new day and time in the same week; None for
    a moment that was not on the old rhythm (chosen on purpose), or when the new one has passed."""
    local = timezone.localtime(moment)
    if (local.weekday(), local.time()) != old:
        return None
    day = local.date() + dt.timedelta(days=team.meeting_weekday - local.weekday())
    moved = timezone.make_aware(dt.datetime.combine(day, team.meeting_time))
    return moved if moved > now else None


@transaction.atomic
def plan_next_meeting(*, team: Team, actor, starts_at=None) -> Meeting:
    """The team's next meeting (by its rhythm unless a time is given), with its agenda."""
    ensure_chair(actor, team)
    starts_at = starts_at or next_meeting(team, timezone.now())
    if starts_at is None:
        raise ValidationError({"starts_at": [_("Give the meeting time, or set the team's weekly meeting day.")]})
    if starts_at <= timezone.now():
        raise ValidationError({"starts_at": [_("A meeting is planned for a moment still to come.")]})
    meeting, created = Meeting.objects.get_or_create(team=team, starts_at=starts_at, defaults={"chair": actor})
    refresh_agenda(meeting)
    for membership in Membership.objects.filter(team=team):
        Attendance.objects.get_or_create(meeting=meeting, user_id=membership.user_id, defaults={"present": True})
    if created:
        notify(kind=Notification.Kind.AGENDA_PUBLISHED, case=None, actor=actor, data=_meeting_data(meeting))
    return meeting


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


def refresh_agenda(meeting: Meeting) -> int:
    """Add what the team should discuss and is not on the agenda yet (at the end, in agenda order):
    a task once, a case without a task only when the case is not on the agenda at all."""
    if meeting.status == Meeting.Status.CLOSED:
        return 0
    tasks = set(meeting.items.exclude(task=None).values_list("task_id", flat=True))
    cases = set(meeting.items.values_list("case_id", flat=True))
    last = meeting.items.aggregate(last=Max("position"))["last"] or 0
    added = 0
    for reason, case_id, task in agenda_candidates(meeting.team, timezone.now()):
        if (task is not None and task.pk in tasks) or (task is None and case_id in cases):
            continue
        last += 1
        AgendaItem.objects.create(meeting=meeting, task=task, case_id=case_id, reason=reason, position=last)
        cases.add(case_id)
        if task is not None:
            tasks.add(task.pk)
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
        notify(kind=Notification.Kind.MEETING_ITEM_ADDED, case=None, actor=actor, data=_meeting_data(meeting))
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
    if item.task_id is None:
        raise ValidationError({"__all__": [_("This item has no task to decide: write its minutes or agree an "
                                             "action.")]})
    complete_task(user=actor, task_id=item.task_id, data=data)
    AgendaItem.objects.filter(pk=item.pk).update(decided=True, minutes=(minutes or "").strip())
    _discussed(meeting, item)
    item.refresh_from_db()
    return item


@transaction.atomic
def write_minutes(*, meeting: Meeting, actor, item_id, minutes: str) -> None:
    ensure_chair(actor, meeting.team)
    _ensure_not_closed(meeting)
    item = meeting.items.filter(pk=item_id).first()
    if item is None:
        raise Http404
    item.minutes = (minutes or "").strip()
    item.save(update_fields=["minutes"])
    if item.minutes:
        _discussed(meeting, item)


@transaction.atomic
def set_action(*, meeting: Meeting, actor, item_id, action: str, owner_id, due_on: dt.date) -> CaseTask:
    """The meeting agrees an action on an item's case for one member of the team, due on a day:
    a `meeting_action` task in that member's inbox, and an event on the case's timeline."""
    ensure_chair(actor, meeting.team)
    _ensure_not_closed(meeting)
    item = meeting.items.filter(pk=item_id).select_related("case").first()
    if item is None:
        raise Http404
    errors = {}
    if not (action or "").strip():
        errors["action"] = [_("Write down the action agreed.")]
    owner = Membership.objects.filter(team=meeting.team, user_id=owner_id).select_related("user").first()
    if owner is None:
        errors["owner"] = [_("Choose a member of the team.")]
    if due_on is None or due_on < timezone.localdate():
        errors["due_on"] = [_("Choose a due date from today on.")]
    if not item.case.is_open:
        errors["__all__"] = [_("The case is closed: no more actions.")]
    if errors:
        raise ValidationError(errors)
    process = MeetingActionFlow.start.run(case=item.case, meeting_id=meeting.pk, team_id=meeting.team_id,
                                          owner_id=owner.user_id, due_on=due_on, action=action.strip())
    task = CaseTask.objects.get(process=process, flow_task=MeetingActionFlow.meeting_action)
    services.record_meeting_action(case=item.case, actor=actor, meeting_id=meeting.pk, task=task, owner=owner.user,
                                   due_on=due_on, action=action)
    _discussed(meeting, item)
    return task


def _discussed(meeting: Meeting, item: AgendaItem) -> None:
    """The item's case was discussed: the meeting is in session, and a flag for it is done."""
    if meeting.status == Meeting.Status.PLANNED:
        Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.OPEN)
    MeetingFlag.objects.filter(case_id=item.case_id, team=meeting.team, discussed_at=None).update(
        discussed_at=timezone.now())


@transaction.atomic
def flag_case(*, case: Case, actor, team_id) -> MeetingFlag:
    """A member puts the case on the agenda of their team's next meeting (once until discussed): one
    of the actor's own teams that works on the case, while the case is open."""
    team = (Team.objects.filter(pk=team_id, memberships__user=actor, case_participations__case=case).first()
            if is_id(team_id) else None)
    if team is None:
        raise ValidationError({"team": [_("Choose one of your teams on this case.")]})
    if not case.is_open:
        raise ValidationError({"__all__": [_("The case is closed: no more actions.")]})
    flag = MeetingFlag.objects.filter(case=case, team=team, discussed_at=None).first()
    if flag is not None:
        return flag
    services.record_meeting_flag(case=case, actor=actor, team=team)
    return MeetingFlag.objects.create(case=case, team=team, flagged_by=actor)


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
