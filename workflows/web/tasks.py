"""The inbox and the task pages (Dutch). Thin: parse, call workflows.services or a selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST
from viewflow.workflow.status import STATUS

from casework import selectors
from casework.access import can_see_case, log_list_read
from casework.http.queries import query_without_page
from casework.models import AccessLog, Case
from teams.models import Team, User
from teams.preferences import save_inbox_preferences
from workflows import inbox, paging, worklists
from workflows.context import decision_context, next_step, recorded_events
from workflows.desk import region_desk
from workflows.forms import FollowUpForm
from workflows.services import (
    TaskConflict,
    bulk_distribute,
    claim_task,
    complete_task,
    is_coordinator_of,
    log_task_read,
    refusal,
    set_follow_up,
    task_for_user,
    task_form,
    unclaim_task,
)

TASKS_PER_PAGE = 25
SCOPE_TITLES = {"focus": gettext_lazy("My work"), "mine": gettext_lazy("My tasks"),
                "queue": gettext_lazy("Team tasks"), "team": gettext_lazy("Team overview"),
                "archive": gettext_lazy("Completed")}


def landing_scope(user) -> str:
    return user.inbox_landing if user.inbox_landing in inbox.SCOPES else "focus"


@login_required
def inbox_view(request, scope: str | None = None):
    """One inbox list; `/tasks/` (no scope) is the list the user chose to land on."""
    landing = scope is None
    if landing:
        scope = landing_scope(request.user)
    elif scope not in inbox.SCOPES:
        scope = "mine"
    view = inbox.list_view(scope, request.GET)
    filters = {key: value for key, value in view.filters.items() if key != "sort"}
    sort = view.filters["sort"] if view.filters["sort"] in inbox.SORTS else inbox.default_sort(scope)
    now = timezone.now()
    tasks = inbox.task_pages(request.user, scope, sort=sort, now=now, **filters)
    page = paging.CappedPaginator(tasks, TASKS_PER_PAGE).get_page(request.GET.get("page"))
    # A region role holder (the director, the privacy officer) sees their region's work on the
    # page they land on.
    desk = region_desk(request.user) if landing or scope == "focus" else None
    # A JIM mentor with an account finds the young people they mentor there too.
    mentorships = list(selectors.mentorships_of(request.user)) if landing or scope == "focus" else []
    log_list_read(request.user, [task.case for task in page.object_list] + (desk.cases_shown if desk else [])
                  + [mentor.case for mentor in mentorships], what=AccessLog.List.INBOX, request=request)
    rows = list(page.object_list)
    counts = inbox.tab_counts(request.user, now)
    my_teams = list(Team.objects.filter(memberships__user=request.user).order_by("name"))
    context = {
        "scope": scope,
        "scopes": [(key, str(SCOPE_TITLES[key]), counts.get(key)) for key in inbox.SCOPES],
        "page": page,
        "new_tasks": [task for task in rows if getattr(task, "is_new", False)],
        "tasks": [task for task in rows if not getattr(task, "is_new", False)],
        "filters": filters,
        "sort": sort,
        "list_url": view.url,
        "focus_days": inbox.FOCUS_DAYS,
        "node_choices": inbox.node_choices(),
        "team_choices": my_teams,
        "in_team": bool(my_teams),
        "desk": desk,
        "mentorships": mentorships,
        "school_choices": inbox.school_choices(request.user),
        "query": query_without_page(request),
        "worklists": worklists.worklists_of(request.user),
        "current_worklist": request.GET.get("list", ""),
        "can_distribute": scope in ("focus", "mine", "queue", "team"),
        "sort_links": sort_links(request, sort),
        "colleagues": User.objects.filter(memberships__team__in=my_teams, is_active=True).distinct()
        .order_by("first_name", "last_name", "username"),
        "landing_choices": User.InboxLanding.choices,
        "after_complete_choices": User.AfterComplete.choices,
    }
    return render(request, "workflows/inbox.html", context)


@login_required
@require_POST
def inbox_preferences(request):
    """Remember the list to land on and where to go after completing a task."""
    try:
        save_inbox_preferences(request.user, inbox_landing=request.POST.get("inbox_landing", ""),
                               after_complete=request.POST.get("after_complete", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Preferences saved."))
    return redirect(inbox_url(request.POST.get("next", "")))


def list_of(request, params) -> inbox.ListView | None:
    """The inbox list a task page was opened from (its `next_list` parameter), if any."""
    return inbox.list_view_from_url(params.get("next_list", ""), landing_scope(request.user))


def inbox_url(url: str) -> str:
    """`url` when it is an inbox list, else the landing view (never a redirect elsewhere)."""
    view = inbox.list_view_from_url(url, "")
    return view.url if view and view.scope else reverse("inbox-default")


# column -> (ascending sort, descending sort); the first click sorts ascending
SORTABLE_COLUMNS = {"case": ("case", "case"), "task": ("task", "task"), "deadline": ("due_at", "-due_at"),
                    "waiting": ("created", "-created")}


def sort_links(request, current: str) -> dict:
    """Per sortable column: the query that sorts by it (toggling direction) and the arrow to show."""
    links = {}
    for column, (ascending, descending) in SORTABLE_COLUMNS.items():
        toggled = descending if current == ascending and ascending != descending else ascending
        direction = "ascending" if current == ascending else "descending" if current == descending else "none"
        links[column] = {"query": query_without_page(request, sort=toggled), "direction": direction,
                         "arrow": {"ascending": "↑", "descending": "↓"}.get(direction, "")}
    return links


@login_required
@require_POST
def worklist_save(request):
    scope = request.POST.get("scope", "")
    try:
        worklist = worklists.save_worklist(user=request.user, name=request.POST.get("name", ""), scope=scope,
                                           filters={key: request.POST.get(key, "") for key in inbox.FILTER_KEYS})
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("inbox", scope=scope if scope in inbox.SCOPES else "mine")
    messages.success(request, _("Work list saved: %(name)s.") % {"name": worklist.name})
    return redirect(worklist_url(worklist))


def worklist_url(worklist) -> str:
    return reverse("inbox", kwargs={"scope": worklist.scope}) + "?" + worklist.query_string


@login_required
@require_POST
def worklist_delete(request, worklist_id: int):
    worklists.delete_worklist(user=request.user, worklist_id=worklist_id)
    messages.success(request, _("Work list removed."))
    return redirect("inbox-default")


@login_required
@require_POST
def tasks_distribute(request):
    """Assign the selected tasks to a colleague or release them to the queue, with a reason."""
    back = request.POST.get("next", "")
    if not back.startswith("/tasks/"):
        back = reverse("inbox-default")
    try:
        changed = bulk_distribute(actor=request.user, action=request.POST.get("action", ""),
                                  task_ids=request.POST.getlist("tasks"), reason=request.POST.get("reason", ""),
                                  assignee_id=request.POST.get("assignee", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except (PermissionDenied, TaskConflict) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, ngettext("%(count)s task distributed.", "%(count)s tasks distributed.",
                                           len(changed)) % {"count": len(changed)})
    return redirect(back)


@login_required
@require_POST
def task_follow_up(request, task_id: int):
    form = FollowUpForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(message for errors in form.errors.values() for message in errors))
        return redirect("task-detail", task_id=task_id)
    try:
        task = set_follow_up(user=request.user, task_id=task_id, follow_up_on=form.cleaned_data["follow_up_on"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("task-detail", task_id=task_id)
    except (PermissionDenied, TaskConflict) as error:
        messages.error(request, str(error))
        return redirect("task-detail", task_id=task_id)
    if task.follow_up_on:
        messages.success(request, _("The task is snoozed until %(date)s; it comes back then with a notification.")
                         % {"date": date_format(task.follow_up_on, "DATE_FORMAT")})
        return redirect("inbox", scope="mine" if task.owner_id == request.user.pk else "queue")
    messages.success(request, _("The task is back in your lists."))
    return redirect("task-detail", task_id=task.pk)


def _task_page(request, task, form, status=200, *, came_from: inbox.ListView | None = None):
    case = selectors.with_timeline(task.case) if task.case_id else None
    may_take = task.may_take  # read with the task (workflows.services.task_for_user)
    is_open = task.status in (STATUS.NEW, STATUS.ASSIGNED)
    context = {
        "task": task,
        "case": case,
        "form": form,
        "decision": decision_context(task),
        "recorded": recorded_events(task),
        "next_list": came_from.url if came_from else "",
        "follow_up_form": FollowUpForm(initial={"follow_up_on": task.follow_up_on}),
        "can_complete": is_open and task.owner_id in (None, request.user.pk) and may_take,
        "can_claim": task.status == STATUS.NEW and may_take,
        "can_unclaim": task.status == STATUS.ASSIGNED and task.owner_id == request.user.pk,
        "can_follow_up": is_open and (task.owner_id == request.user.pk or (task.owner_id is None and may_take)
                                      or is_coordinator_of(request.user, task)),
        "refusal": "" if may_take or not is_open else refusal(request.user, task),
    }
    return render(request, "workflows/task_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def task_detail(request, task_id: int):
    if request.method == "GET":
        task = task_for_user(request.user, task_id, request=request, log=True)
        return _task_page(request, task, task_form(task), came_from=list_of(request, request.GET))
    task = task_for_user(request.user, task_id)
    came_from = list_of(request, request.POST)
    form = task_form(task, request.POST)
    try:  # the read is logged in the step's own transaction
        complete_task(user=request.user, task_id=task.pk, data=request.POST, request=request)
    except ValidationError as error:
        log_task_read(request.user, task, request)  # the step's transaction (and its log row) rolled back
        if form.is_valid():  # the form's own errors are already on it; add the service's rules
            form.add_service_errors(error)
        return _task_page(request, task, form, status=400, came_from=came_from)
    except PermissionDenied as error:
        log_task_read(request.user, task, request)
        form.is_valid()
        form.add_error(None, str(error))
        return _task_page(request, task, form, status=403, came_from=came_from)
    except TaskConflict as error:
        messages.error(request, str(error))
        return redirect("inbox", scope="mine")
    return after_completing(request, task, came_from)


def after_completing(request, task, came_from: inbox.ListView | None):
    """"Task completed", naming the child, and per the user's choice: the case page with the case's
    next step (the default), or the next task of the list they came from with a notice naming its
    child (else the list). A case the user can no longer see (a start at another school hands it
    over) sends them to the list."""
    done = _("Task completed: %(title)s for %(who)s.") % {"title": task.title, "who": task_subject(task)}
    case = case_after(task)
    if request.user.after_complete == User.AfterComplete.CASE and case is not None and can_see_case(request.user, case):
        messages.success(request, f"{done} {next_step(case)}")
        return redirect("case-detail", case.pk)
    came_from = came_from or inbox.list_view(landing_scope(request.user), {})
    following = inbox.next_task(request.user, came_from, after=task)
    if following is None:
        messages.success(request, f"{done} " + _("There are no more tasks in this list."))
        return redirect(came_from.url)
    messages.success(request, f"{done} " + _("Next: %(title)s for %(who)s.") % {
        "title": following.title, "who": task_subject(following)})
    return redirect(task_url(following, came_from))


def case_after(task):
    """The case a completed task leaves, as the step left it: the task's own, or the case a verified
    public signal opened (None when the signal was not taken up)."""
    case_id = task.case_id
    if not case_id and task.public_signal_id:
        task.public_signal.refresh_from_db(fields=["case"])
        case_id = task.public_signal.case_id
    return Case.objects.filter(pk=case_id).select_related("child").first() if case_id else None


def task_subject(task) -> str:
    """Whom a task is about, in a sentence: the child, or the public signal's child."""
    if task.case_id:
        return str(task.case.child)
    signal = task.public_signal
    return f"{signal.given_name} {signal.family_name}" if signal else ""


def task_url(task, came_from: inbox.ListView | None) -> str:
    url = reverse("task-detail", kwargs={"task_id": task.pk})
    return f"{url}?{urlencode({'next_list': came_from.url})}" if came_from else url


@login_required
@require_POST
def task_claim(request, task_id: int):
    try:
        task = claim_task(user=request.user, task_id=task_id)
    except (PermissionDenied, TaskConflict) as error:
        messages.error(request, str(error))
        return redirect("inbox", scope="queue")
    return redirect(task_url(task, list_of(request, request.POST)))


@login_required
@require_POST
def task_unclaim(request, task_id: int):
    try:
        unclaim_task(user=request.user, task_id=task_id)
    except (PermissionDenied, TaskConflict) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The task is back in the team's queue."))
    return redirect("inbox", scope="mine")
