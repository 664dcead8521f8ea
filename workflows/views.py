"""The inbox and the task pages (Dutch). Thin: parse, call workflows.tasks or a selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from viewflow.workflow.status import STATUS

from casework import selectors
from teams.models import School, Team
from workflows import inbox
from workflows.tasks import (
    TaskConflict,
    claim_task,
    complete_task,
    refusal,
    task_for_user,
    task_form,
    unclaim_task,
)

TASKS_PER_PAGE = 25
SCOPE_TITLES = {"mine": gettext_lazy("My tasks"), "queue": gettext_lazy("Team tasks"),
                "archive": gettext_lazy("Completed")}


@login_required
def inbox_view(request, scope: str = "mine"):
    if scope not in inbox.SCOPES:
        scope = "mine"
    filters = {key: request.GET.get(key, "") for key in ("node", "team", "school", "due")}
    sort = request.GET.get("sort", inbox.DEFAULT_SORT)
    tasks = inbox.task_list(request.user, scope, sort=sort, **filters)
    page = Paginator(tasks, TASKS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "scope": scope,
        "scopes": [(key, str(SCOPE_TITLES[key])) for key in inbox.SCOPES],
        "page": page,
        "filters": filters,
        "sort": sort,
        "node_choices": inbox.node_choices(),
        "team_choices": Team.objects.filter(memberships__user=request.user).order_by("name"),
        # the schools of this list's own tasks (not of every visible case: that grows with history)
        "school_choices": School.objects.filter(
            pk__in=inbox.task_list(request.user, scope).values("case__school_id")).order_by("name"),
        "query": request.GET.urlencode(),
    }
    return render(request, "workflows/inbox.html", context)


def _task_page(request, task, form, status=200):
    case = selectors.with_timeline(task.case) if task.case_id else None
    may_take = inbox.may_take(request.user, task)
    is_open = task.status in (STATUS.NEW, STATUS.ASSIGNED)
    context = {
        "task": task,
        "case": case,
        "form": form,
        "can_complete": is_open and task.owner_id in (None, request.user.pk) and may_take,
        "can_claim": task.status == STATUS.NEW and may_take,
        "can_unclaim": task.status == STATUS.ASSIGNED and task.owner_id == request.user.pk,
        "refusal": "" if may_take or not is_open else refusal(request.user, task),
    }
    return render(request, "workflows/task_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def task_detail(request, task_id: int, **kwargs):
    task = task_for_user(request.user, task_id, request=request, log=True)
    if request.method == "GET":
        return _task_page(request, task, task_form(task))
    form = task_form(task, request.POST)
    try:
        complete_task(user=request.user, task_id=task.pk, data=request.POST)
    except ValidationError as error:
        if form.is_valid():  # the form's own errors are already on it; add the service's rules
            form.add_service_errors(error)
        return _task_page(request, task, form, status=400)
    except PermissionDenied as error:
        form.is_valid()
        form.add_error(None, str(error))
        return _task_page(request, task, form, status=403)
    except TaskConflict as error:
        messages.error(request, str(error))
        return redirect("inbox", scope="mine")
    messages.success(request, _("Task completed: %(title)s.") % {"title": task.flow_task.task_title})
    return redirect("inbox", scope="mine")


@login_required
@require_POST
def task_claim(request, task_id: int):
    try:
        task = claim_task(user=request.user, task_id=task_id)
    except (PermissionDenied, TaskConflict) as error:
        messages.error(request, str(error))
        return redirect("inbox", scope="queue")
    return redirect("task-detail", task_id=task.pk)


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
