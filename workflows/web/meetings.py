"""Meeting pages (Dutch): the team's meetings, the agenda in session, an item's decision through
the task's own form, the printable agenda and the team's iCalendar feed."""

import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from icalendar import Calendar, Event, vText

from casework.access import MAX_ID, is_id, log_case_read, log_list_read
from casework.models import AccessLog
from teams.models import Team
from workflows import meetings
from workflows.models import Meeting
from workflows.services import TaskConflict, task_form


@login_required
@require_http_methods(["GET", "POST"])
def team_meetings(request, team_id: int):
    """The team's meetings; POST plans the next one, or (`action`) makes the member's own calendar
    address or, for a lead, renews every member's (the new address is shown this once)."""
    team = get_object_or_404(Team, pk=team_id)
    meetings.ensure_member(request.user, team)
    calendar_url, status = None, 200
    if request.method == "POST":
        action = request.POST.get("action", "plan")
        try:
            if action == "calendar":
                token = meetings.issue_calendar_feed(team=team, user=request.user)
            elif action == "renew_calendar":
                token = meetings.renew_calendar_feeds(team=team, actor=request.user)
            elif action == "plan":
                meeting = meetings.plan_next_meeting(team=team, actor=request.user)
                return redirect("meeting", meeting_id=meeting.pk)
            else:
                raise ValidationError(_("This action cannot be carried out with what was sent; reload the page."))
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
            status = 403 if isinstance(error, PermissionDenied) else 400
        else:
            calendar_url = request.build_absolute_uri(reverse("team-calendar", args=[team.pk, token]))
    return render(request, "meetings/team.html", {
        "team": team, "meetings": team.meetings.all()[:20], "calendar_url": calendar_url,
        "calendar_feed": meetings.calendar_feed_of(request.user, team), "is_lead": _leads(request.user, team),
    }, status=status)


def _leads(user, team) -> bool:
    try:
        meetings.ensure_chair(user, team)
    except (PermissionDenied, Http404):
        return False
    return True


def _shown_agenda(request, meeting, what: str) -> list:
    """The agenda's items; the cases they show are logged (one access-log row)."""
    items = list(meetings.agenda(meeting))
    log_list_read(request.user, [item.task.case for item in items], what=what, request=request)
    return items


def _meeting_page(request, meeting, status=200, **extra):
    context = {"meeting": meeting, "items": _shown_agenda(request, meeting, AccessLog.List.AGENDA),
               "attendance": meeting.attendance.select_related("user"),
               "is_chair": _leads(request.user, meeting.team), "closed": meeting.status == Meeting.Status.CLOSED,
               "may_read": meetings.may_read_minutes(request.user, meeting), **extra}
    return render(request, "meetings/meeting.html", context, status=status)


class IdsField(forms.Field):
    """Several row ids (checkboxes): each must be one."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        values = list(value or [])
        if not all(is_id(item) for item in values):
            raise ValidationError(_("Choose from the list."), code="invalid")
        return [int(item) for item in values]


class TaskActionForm(forms.Form):
    task = forms.IntegerField(min_value=1, max_value=MAX_ID)


class ItemActionForm(forms.Form):
    item = forms.IntegerField(min_value=1, max_value=MAX_ID)


class MinutesActionForm(ItemActionForm):
    minutes = forms.CharField(required=False)


class AttendanceActionForm(forms.Form):
    present = IdsField(required=False)


# Each action of the meeting page and the form that checks its input (400 when it does not hold).
ACTION_FORMS = {"refresh": forms.Form, "add": TaskActionForm, "up": ItemActionForm, "down": ItemActionForm,
                "attendance": AttendanceActionForm, "minutes": MinutesActionForm, "close": forms.Form}


def _act(request, meeting, action: str, data: dict) -> None:
    if action == "refresh":
        meetings.ensure_chair(request.user, meeting.team)
        meetings.refresh_agenda(meeting)
    elif action == "add":
        meetings.add_item(meeting=meeting, actor=request.user, task_id=data["task"])
    elif action in ("up", "down"):
        meetings.move_item(meeting=meeting, actor=request.user, item_id=data["item"], direction=action)
    elif action == "attendance":
        meetings.record_attendance(meeting=meeting, actor=request.user, present_ids=data["present"])
    elif action == "minutes":
        meetings.write_minutes(meeting=meeting, actor=request.user, item_id=data["item"], minutes=data["minutes"])
    elif action == "close":
        meetings.close_meeting(meeting=meeting, actor=request.user)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_view(request, meeting_id: int):
    meeting = meetings.meeting_for(request.user, meeting_id)
    if request.method == "POST":
        action = request.POST.get("action", "")
        form = ACTION_FORMS.get(action, forms.Form)(request.POST)
        if action not in ACTION_FORMS or not form.is_valid():
            messages.error(request, _("This action cannot be carried out with what was sent; reload the page."))
            return _meeting_page(request, meeting, status=400)
        try:
            _act(request, meeting, action, form.cleaned_data)
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
    log_case_read(request.user, item.task.case, action=AccessLog.Action.VIEW, request=request)
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
    return render(request, "meetings/print.html", {
        "meeting": meeting, "items": _shown_agenda(request, meeting, AccessLog.List.AGENDA_PRINT)})


# Every line break Python's str.splitlines knows (a calendar app may too), and the other control
# characters, which RFC 5545 does not allow in TEXT (a tab is), nor UTF-8 in a lone surrogate.
LINE_BREAKS = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
NOT_TEXT = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\ud800-\udfff]")
TEXT_ESCAPES = {"\\": "\\\\", ";": "\\;", ",": "\\,", "\n": "\\n"}  # RFC 5545, 3.3.11
TO_ESCAPE = re.compile("[\\\\;,\n]")


class FeedText(vText):
    """Text written into the calendar feed (a team's name, an agenda), whatever it holds: every
    line break becomes one `\\n`, control characters are left out, and backslashes, semicolons and
    commas are escaped in one pass (RFC 5545, 3.3.11). Unlike icalendar's own vText it also
    escapes a non-standard property (`X-WR-CALNAME`, which icalendar writes verbatim: a line break
    there was an error, a comma went unescaped) and keeps a backslash before an `N` (vText writes
    `\\N` as a line break).
    icalendar folds the written lines at 75 octets, never inside a character."""

    def __new__(cls, value):
        return super().__new__(cls, NOT_TEXT.sub("", LINE_BREAKS.sub("\n", str(value))))

    def to_ical(self) -> bytes:
        return TO_ESCAPE.sub(lambda found: TEXT_ESCAPES[found.group()], str(self)).encode("utf-8")


def team_calendar(request, team_id: int, token: str):
    """The team's meetings as an iCalendar feed (a secret address; no names, case numbers only)."""
    team = meetings.team_of_feed(team_id, token)  # a current member's address, compared by its hash
    if team is None:
        raise Http404
    calendar = Calendar()
    calendar.add("prodid", "-//casework//meetings//NL")
    calendar.add("version", "2.0")
    calendar.add("name", FeedText(team))  # RFC 7986; and the name most calendar apps read:
    calendar.add("x-wr-calname", FeedText(team))
    for meeting in team.meetings.prefetch_related("items__task").order_by("starts_at"):
        event = Event()
        event.add("uid", f"meeting-{meeting.pk}@casework")
        event.add("dtstamp", timezone.now())
        event.add("dtstart", meeting.starts_at)
        event.add("dtend", meeting.starts_at + timezone.timedelta(minutes=team.meeting_minutes))
        event.add("summary", FeedText(_("Case meeting %(team)s") % {"team": team.name}))
        lines = [_("Agenda (case numbers):")] + [
            f"{item.position}. {_('case')} {item.task.case_id}: {item.task.title}"
            for item in meeting.items.all()]
        event.add("description", FeedText("\n".join(lines)))
        calendar.add_component(event)
    return HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")


@login_required
def my_teams(request):
    """The teams of the user, each with its upcoming and past meetings."""
    return render(request, "meetings/teams.html", {"teams": meetings.teams_of(request.user)})
