"""Dutch web pages for cases. Thin: parse, call one selector or service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from casework import selectors, services
from casework.access import access_case_by_id, is_id, log_list_read, mentor_case_by_id
from casework.models import AccessLog, Deadline
from casework.responsibility import may_register
from casework.services import casefile, participation, privacy
from casework.services.intake import SignalForwarded, forwarded_message
from casework.web.forms import (
    DocumentForm,
    NoteForm,
    ParticipationForm,
    RegistrationForm,
    SignalForm,
    StartkwalificatieForm,
    ThuiswerkplanForm,
)
from workflows import agendas
from workflows.chart import case_flow_charts
from workflows.inbox import open_tasks_of_case

CASES_PER_PAGE = 25


@login_required
def case_list(request):
    page = Paginator(selectors.visible_cases(request.user), CASES_PER_PAGE).get_page(request.GET.get("page"))
    log_list_read(request.user, page.object_list, what=AccessLog.List.CASES, request=request)
    return render(request, "casework/case_list.html", {"page": page})


@login_required
def case_detail(request, case_id: int):
    return case_page(request, access_case_by_id(request.user, case_id, request=request))


def case_page(request, case, *, note_form=None, document_form=None, registration_form=None,
              participation_form=None, startkwalificatie_form=None, thuiswerkplan_form=None, status: int = 200):
    """The case page (also re-rendered with the errors of one of its forms)."""
    case = selectors.with_timeline(case)
    corrects = request.GET.get("corrects", "")
    notes = list(casefile.notes_of(case))
    context = {
        "case": case,
        "participants": selectors.case_participants(case),
        "file": selectors.case_file(case),
        "open_tasks": open_tasks_of_case(case),
        "meeting_flags": agendas.flag_teams(request.user, case),
        "flow_charts": case_flow_charts(case),
        "notes": notes,
        "editable_notes": {note.pk for note in notes if casefile.may_edit(note, request.user)},
        "note_form": note_form or NoteForm(initial={"corrects": corrects if is_id(corrects) else None}),
        "correcting": next((note for note in notes if str(note.pk) == corrects), None),
        "documents": (documents := list(casefile.documents_of(case))),
        "withdrawable_documents": {doc.pk for doc in documents if casefile.may_withdraw(doc, request.user)},
        "document_form": document_form or DocumentForm(),
        "accepted_types": ", ".join(casefile.accepted_extensions()),
        "max_document_mb": casefile.max_document_bytes() // (1024 * 1024),
        "may_register": case.is_open and may_register(request.user, case),
        "registration_form": registration_form or RegistrationForm(),
        "participation_form": participation_form or ParticipationForm(initial={"level": case.participation,
                                                                               "setting": case.participation_setting}),
        "startkwalificatie_form": startkwalificatie_form or StartkwalificatieForm(),
        "thuiswerkplan_form": thuiswerkplan_form or ThuiswerkplanForm(),
        "thuiswerkplannen": list(case.thuiswerkplannen.all()[:3]),
        "exemption": selectors.running_exemption(case),
        "links": participation.links_of(case),
        "may_send_links": participation.is_case_team(request.user, case),
        "may_read_access_log": privacy.is_case_coordinator(request.user, case),
        "consents_per_person": participation.consents_per_person(case),
    }
    return render(request, "casework/case_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def signal_new(request):
    form = SignalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.signal_case(actor=request.user, data=form.to_signal_input(), request=request)
        except ValidationError as error:
            form.add_service_errors(error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        except SignalForwarded:  # not on the child's open case: the same words as the API, no case
            messages.success(request, forwarded_message())
            return redirect("case-signal")
        except services.DuplicateSignal as duplicate:
            form.add_error(
                None,
                _("This child already has an open case (case %(id)s). Your signal has been added to it.")
                % {"id": duplicate.case_id},
            )
        else:
            messages.success(request, _("The case has been signalled. The team has 48 hours to act."))
            return redirect("case-detail", case_id=case.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "casework/signal_form.html", {"form": form}, status=status)


@login_required
def mentor_view(request, case_id: int):
    """The JIM mentor's read-only page: only the parts the young person agreed to share."""
    case, mentor = mentor_case_by_id(request.user, case_id, request=request)
    context = {"case": case, "mentor": mentor, "shared": selectors.mentor_page(case, mentor)}
    return render(request, "casework/mentor.html", context)


@login_required
def clock_overview(request):
    """The clocks of the teams the user coordinates, soonest first (filter by state)."""
    state = request.GET.get("state", "")
    if state not in Deadline.State.values:
        state = ""
    clocks = selectors.coordinated_clocks(request.user, state=state)
    page = Paginator(clocks, CASES_PER_PAGE).get_page(request.GET.get("page"))
    log_list_read(request.user, [clock.case for clock in page.object_list], what=AccessLog.List.CLOCKS,
                  request=request)
    return render(request, "casework/clocks.html", {"page": page, "state": state, "states": Deadline.State.choices})


def not_found(request, exception=None):
    """404: JSON under /api/, the Dutch page elsewhere. Says nothing about whether a case exists."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return render(request, "404.html", status=404)
