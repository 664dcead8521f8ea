"""Meeting pages (Dutch): the team's meetings, the agenda in session, an item's decision through
the task's own form, the printable agenda and the team's iCalendar feed."""

import datetime as dt
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
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_http_methods
from icalendar import Calendar, Event, vText

from casework.access import MAX_ID, access_case_by_id, is_id, log_case_read, log_list_read
from casework.formkit import ServiceErrorsMixin
from casework.models import AccessLog
from teams.models import Team
from workflows import agendas, meetings
from workflows.models import Meeting
from workflows.services import TaskConflict, task_form


class RhythmForm(ServiceErrorsMixin, forms.Form):
    """The team's weekly meeting: day, start time and length."""

    weekday = forms.TypedChoiceField(label=_l("Day"), coerce=int, choices=Team._meta.get_field("meeting_weekday").choices)
    time = forms.TimeField(label=_l("Start time"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    minutes = forms.IntegerField(label=_l("Length in minutes"), widget=forms.NumberInput(attrs={
        "min": meetings.MEETING_LENGTHS[0], "max": meetings.MEETING_LENGTHS[1]}))  # the service says why not


class PlanForm(ServiceErrorsMixin, forms.Form):
    """When the meeting starts: both empty plans the rhythm's next meeting."""

    date = forms.DateField(label=_l("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"},
                                                                                      format="%Y-%m-%d"))
    time = forms.TimeField(label=_l("Start time"), required=False,
                           widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))

    def clean(self):
        data = super().clean()
        if bool(data.get("date")) != bool(data.get("time")) and not self.errors:
            raise ValidationError(_("Give both the date and the start time."))
        return data

    def starts_at(self):
        if not self.cleaned_data.get("date"):
            return None
        return timezone.make_aware(dt.datetime.combine(self.cleaned_data["date"], self.cleaned_data["time"]))


def _team_action(request, team, action: str, forms_shown: dict):
    """Carry out one action of the team's meetings page: a redirect or a new calendar token; _Invalid
    when a form of the page did not hold (its errors are on it, in `forms_shown`)."""
    if action == "calendar":
        return meetings.issue_calendar_feed(team=team, user=request.user)
    if action == "renew_calendar":
        return meetings.renew_calendar_feeds(team=team, actor=request.user)
    agendas.ensure_chair(request.user, team)  # a member is refused before their input is read
    form = forms_shown[action] = {"plan": PlanForm, "rhythm": RhythmForm}[action](request.POST, prefix=action)
    if not form.is_valid():
        raise _Invalid
    try:
        if action == "rhythm":
            meetings.set_meeting_rhythm(team=team, actor=request.user, **form.cleaned_data)
            messages.success(request, _("The team's meeting day is saved."))
            return redirect("team-meetings", team_id=team.pk)
        meeting = meetings.plan_next_meeting(team=team, actor=request.user, starts_at=form.starts_at())
        return redirect("meeting", meeting_id=meeting.pk)
    except ValidationError as error:
        form.add_service_errors(error)
        raise _Invalid from error


class _Invalid(Exception):
    """A form of the page did not hold (its errors are on it)."""


@login_required
@require_http_methods(["GET", "POST"])
def team_meetings(request, team_id: int):
    """The team's meetings and rhythm; POST (`action`) plans a meeting (a date and time, or the
    rhythm's next), sets the rhythm (leads), makes the member's own calendar address or, for a
    lead, renews every member's (the new address is shown this once)."""
    team = get_object_or_404(Team, pk=team_id)
    agendas.ensure_member(request.user, team)
    calendar_url, status = None, 200
    forms_shown = {"plan": PlanForm(initial=agendas.plan_defaults(team), prefix="plan"),
                   "rhythm": RhythmForm(prefix="rhythm", initial={
                       "weekday": team.meeting_weekday, "time": team.meeting_time, "minutes": team.meeting_minutes})}
    if request.method == "POST":
        action = request.POST.get("action", "plan")
        try:
            if action not in ("calendar", "renew_calendar", "plan", "rhythm"):
                raise ValidationError(_("This action cannot be carried out with what was sent; reload the page."))
            answer = _team_action(request, team, action, forms_shown)
        except _Invalid:
            status = 400
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
            status = 403 if isinstance(error, PermissionDenied) else 400
        else:
            if not isinstance(answer, str):
                return answer
            calendar_url = request.build_absolute_uri(reverse("team-calendar", args=[team.pk, answer]))
    return render(request, "meetings/team.html", {
        "team": team, "meetings": team.meetings.all()[:20], "calendar_url": calendar_url,
        "calendar_feed": agendas.calendar_feed_of(request.user, team), "is_lead": _leads(request.user, team),
        "plan_form": forms_shown["plan"], "rhythm_form": forms_shown["rhythm"],
    }, status=status)


def _leads(user, team) -> bool:
    try:
        agendas.ensure_chair(user, team)
    except (PermissionDenied, Http404):
        return False
    return True


def _shown_agenda(request, meeting, what: str) -> list:
    """The agenda's items; the cases they show are logged (one access-log row)."""
    items = list(agendas.agenda(meeting))
    log_list_read(request.user, [item.case for item in items], what=what, request=request)
    return items


def _meeting_page(request, meeting, status=200, **extra):
    items = _shown_agenda(request, meeting, AccessLog.List.AGENDA)
    actions = {}
    for task in agendas.actions_of(meeting):
        actions.setdefault(task.case_id, []).append(task)
    for item in items:
        item.actions = actions.get(item.case_id, [])
    context = {"meeting": meeting, "items": items, "today": timezone.localdate(),
               "members": meeting.team.memberships.select_related("user").order_by("user__first_name", "user__username"),
               "attendance": meeting.attendance.select_related("user"),
               "is_chair": _leads(request.user, meeting.team), "closed": meeting.status == Meeting.Status.CLOSED,
               "may_read": agendas.may_read_minutes(request.user, meeting), **extra}
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


class ActionActionForm(ItemActionForm):
    action_text = forms.CharField(required=False, max_length=2000)
    owner = forms.IntegerField(min_value=1, max_value=MAX_ID)
    due_on = forms.DateField()


# Each action of the meeting page and the form that checks its input (400 when it does not hold).
ACTION_FORMS = {"refresh": forms.Form, "add": TaskActionForm, "up": ItemActionForm, "down": ItemActionForm,
                "attendance": AttendanceActionForm, "minutes": MinutesActionForm, "close": forms.Form,
                "action": ActionActionForm}


def _act(request, meeting, action: str, data: dict) -> None:
    if action == "refresh":
        agendas.ensure_chair(request.user, meeting.team)
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
    elif action == "action":
        meetings.set_action(meeting=meeting, actor=request.user, item_id=data["item"], action=data["action_text"],
                            owner_id=data["owner"], due_on=data["due_on"])
        messages.success(request, _("The action is in the inbox of the member who carries it out."))


@login_required
@require_http_methods(["GET", "POST"])
def meeting_view(request, meeting_id: int):
    meeting = agendas.meeting_for(request.user, meeting_id)
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
    meeting = agendas.meeting_for(request.user, meeting_id)
    item = meeting.items.filter(pk=item_id, task__isnull=False).select_related("task__case__child").first()
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
    meeting = agendas.meeting_for(request.user, meeting_id)
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
    team = agendas.team_of_feed(team_id, token)  # a current member's address, compared by its hash
    if team is None:
        raise Http404
    calendar = Calendar()
    calendar.add("prodid", "-//casework//meetings//NL")
    calendar.add("version", "2.0")
    calendar.add("name", FeedText(team))  # RFC 7986; and the name most calendar apps read:
    calendar.add("x-wr-calname", FeedText(team))
    for meeting in team.meetings.prefetch_related("items__task__case").order_by("starts_at"):
        event = Event()
        event.add("uid", f"meeting-{meeting.pk}@casework")
        event.add("dtstamp", timezone.now())
        event.add("dtstart", meeting.starts_at)
        event.add("dtend", meeting.starts_at + timezone.timedelta(minutes=team.meeting_minutes))
        event.add("summary", FeedText(_("Case meeting %(team)s") % {"team": team.name}))
        lines = [_("Agenda (case numbers):")] + [
            f"{item.position}. {_('case')} {item.case_id}: {item.task.title if item.task else item.get_reason_display()}"
            for item in meeting.items.all()]
        event.add("description", FeedText("\n".join(lines)))
        calendar.add_component(event)
    return HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")


@login_required
def my_teams(request):
    """The teams of the user, each with its upcoming and past meetings."""
    return render(request, "meetings/teams.html", {"teams": agendas.teams_of(request.user)})


@login_required
@require_http_methods(["POST"])
def flag_case(request, case_id: int):
    """A member puts the case on the agenda of their team's next meeting (from the case page)."""
    case = access_case_by_id(request.user, case_id, request=request)
    try:
        meetings.flag_case(case=case, actor=request.user, team_id=request.POST.get("team", ""))
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, _("The case is on the agenda of the team's next meeting."))
    return redirect(reverse("case-detail", args=[case.pk]) + "#meeting-flag")
