"""Meeting pages (Dutch): the team's meetings, the agenda in session, an item's decision through
the task's own form, the printable agenda and the team's iCalendar feed."""

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from icalendar import Calendar, Event

from teams.models import Team
from workflows import meetings
from workflows.models import Meeting
from workflows.services import TaskConflict, task_form


@login_required
def team_meetings(request, team_id: int):
    team = get_object_or_404(Team, pk=team_id)
    meetings.ensure_member(request.user, team)
    if request.method == "POST":
        try:
            meeting = meetings.plan_next_meeting(team=team, actor=request.user)
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            return redirect("meeting", meeting_id=meeting.pk)
    return render(request, "meetings/team.html", {"team": team, "meetings": team.meetings.all()[:20]})


def _meeting_page(request, meeting, status=200, **extra):
    context = {"meeting": meeting, "items": meetings.agenda(meeting),
               "attendance": meeting.attendance.select_related("user"),
               "is_chair": _is_chair(request.user, meeting), "closed": meeting.status == Meeting.Status.CLOSED,
               "may_read": meetings.may_read_minutes(request.user, meeting), **extra}
    return render(request, "meetings/meeting.html", context, status=status)


def _is_chair(user, meeting) -> bool:
    try:
        meetings.ensure_chair(user, meeting.team)
    except (PermissionDenied, Http404):
        return False
    return True


@login_required
@require_http_methods(["GET", "POST"])
def meeting_view(request, meeting_id: int):
    meeting = meetings.meeting_for(request.user, meeting_id)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "refresh":
                meetings.ensure_chair(request.user, meeting.team)
                meetings.refresh_agenda(meeting)
            elif action == "add":
                meetings.add_item(meeting=meeting, actor=request.user, task_id=request.POST.get("task"))
            elif action in ("up", "down"):
                meetings.move_item(meeting=meeting, actor=request.user, item_id=request.POST.get("item"),
                                   direction=action)
            elif action == "attendance":
                meetings.record_attendance(meeting=meeting, actor=request.user,
                                           present_ids=request.POST.getlist("present"))
            elif action == "minutes":
                meetings.write_minutes(meeting=meeting, actor=request.user, item_id=request.POST.get("item"),
                                       minutes=request.POST.get("minutes", ""))
            elif action == "close":
                meetings.close_meeting(meeting=meeting, actor=request.user)
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
            return _meeting_page(request, meeting, status=403 if isinstance(error, PermissionDenied) else 400)
        return redirect("meeting", meeting_id=meeting.pk)
    return _meeting_page(request, meeting)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_item(request, meeting_id: int, item_id: int):
    """Decide an agenda item in session: the task's own form, plus the item's minutes."""
    meeting = meetings.meeting_for(request.user, meeting_id)
    item = meeting.items.filter(pk=item_id).select_related("task__case__child").first()
    if item is None:
        raise Http404
    form = task_form(item.task, request.POST or None)
    if request.method == "POST":
        try:
            meetings.decide_item(meeting=meeting, actor=request.user, item_id=item.pk, data=request.POST,
                                 minutes=request.POST.get("minutes", ""))
        except ValidationError as error:
            if form.is_valid():
                form.add_service_errors(error)
            return render(request, "meetings/item.html", {"meeting": meeting, "item": item, "form": form}, status=400)
        except (PermissionDenied, TaskConflict) as error:
            messages.error(request, str(error))
            return redirect("meeting", meeting_id=meeting.pk)
        return redirect("meeting", meeting_id=meeting.pk)
    return render(request, "meetings/item.html", {"meeting": meeting, "item": item, "form": form})


@login_required
def meeting_print(request, meeting_id: int):
    meeting = meetings.meeting_for(request.user, meeting_id)
    return render(request, "meetings/print.html", {"meeting": meeting, "items": meetings.agenda(meeting)})


def team_calendar(request, team_id: int, token: str):
    """The team's meetings as an iCalendar feed (a secret address; no names, case numbers only)."""
    team = get_object_or_404(Team, pk=team_id)
    if not team.calendar_token or not secrets.compare_digest(team.calendar_token, token):
        raise Http404
    calendar = Calendar()
    calendar.add("prodid", "-//casework//meetings//NL")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", str(team))
    for meeting in team.meetings.prefetch_related("items__task").order_by("starts_at"):
        event = Event()
        event.add("uid", f"meeting-{meeting.pk}@casework")
        event.add("dtstamp", timezone.now())
        event.add("dtstart", meeting.starts_at)
        event.add("dtend", meeting.starts_at + timezone.timedelta(minutes=team.meeting_minutes))
        event.add("summary", _("Case meeting %(team)s") % {"team": team.name})
        lines = [_("Agenda (case numbers):")] + [
            f"{item.position}. {_('case')} {item.task.case_id}: {item.task.flow_task.task_title}"
            for item in meeting.items.all()]
        event.add("description", "\n".join(lines))
        calendar.add_component(event)
    return HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")


@login_required
def my_teams(request):
    """The teams of the user, each with its upcoming and past meetings."""
    return render(request, "meetings/teams.html", {"teams": meetings.teams_of(request.user)})
