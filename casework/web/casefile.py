"""Dutch pages for the case file (notes, documents) and the search box. Thin: parse, call
casework.casefile or casework.search, render."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casework import search
from casework.access import access_case_by_id, log_list_read
from casework.http.files import file_response
from casework.models import AccessLog
from casework.services import casefile
from casework.web.cases import case_page
from casework.web.forms import DocumentForm, NoteForm

RESULTS_PER_PAGE = 25


@login_required
@require_POST
def note_add(request, case_id: int):
    case = access_case_by_id(request.user, case_id, request=request)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            casefile.add_note(case=case, actor=request.user, text=form.cleaned_data["text"],
                              shared_with_mentor=form.cleaned_data["shared_with_mentor"],
                              corrects=form.cleaned_data["corrects"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Note added."))
            return redirect(reverse("case-detail", args=[case.pk]) + "#notes")
    return case_page(request, case, note_form=form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def note_edit(request, case_id: int, note_id: int):
    case = access_case_by_id(request.user, case_id, request=request)
    note = casefile.note_of_case(case, note_id)
    form = NoteForm(request.POST or None, initial={"text": note.text, "shared_with_mentor": note.shared_with_mentor})
    status = 200
    if not casefile.may_edit(note, request.user):
        messages.error(request, _("Only the author can edit a note, and only for %(minutes)s minutes; add a "
                                  "correction note instead.") % {"minutes": settings.CASEWORK_NOTE_EDIT_MINUTES})
        return redirect(reverse("case-detail", args=[case.pk]) + f"?corrects={note.pk}#notes")
    if request.method == "POST":
        if form.is_valid():
            try:
                casefile.edit_note(case=case, actor=request.user, note_id=note.pk, text=form.cleaned_data["text"],
                                   shared_with_mentor=form.cleaned_data["shared_with_mentor"])
            except ValidationError as error:
                form.add_service_errors(error)
            except PermissionDenied as error:
                messages.error(request, str(error))
                return redirect(reverse("case-detail", args=[case.pk]) + "#notes")
            else:
                messages.success(request, _("Note saved."))
                return redirect(reverse("case-detail", args=[case.pk]) + "#notes")
        status = 400
    return render(request, "casework/note_edit.html", {"case": case, "note": note, "form": form}, status=status)


@login_required
@require_POST
def document_upload(request, case_id: int):
    case = access_case_by_id(request.user, case_id, request=request)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            casefile.upload_document(case=case, actor=request.user, upload=form.cleaned_data["file"],
                                     kind=form.cleaned_data["kind"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Document added."))
            return redirect(reverse("case-detail", args=[case.pk]) + "#documents")
    return case_page(request, case, document_form=form, status=400)


@login_required
@require_POST
def document_withdraw(request, case_id: int, document_id: int):
    case = access_case_by_id(request.user, case_id, request=request)
    try:
        casefile.withdraw_document(case=case, actor=request.user, document_id=document_id)
    except PermissionDenied as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Document removed."))
    return redirect(reverse("case-detail", args=[case.pk]) + "#documents")


@login_required
@require_GET
def document_download(request, case_id: int, document_id: int):
    """The only way to a document's content: access checked, the download logged."""
    document = casefile.open_document(request.user, case_id, document_id, request=request)
    return file_response(document)


@login_required
@require_GET
def search_view(request):
    query = request.GET.get("q", "")
    page, error = None, ""
    if query.strip():
        try:
            results = search.search_cases(request.user, query)
        except ValidationError as invalid:
            error = " ".join(invalid.messages)
        else:
            page = Paginator(results, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
            log_list_read(request.user, page.object_list, what=AccessLog.List.SEARCH, request=request)
    context = {"q": query, "page": page, "error": error,
               "query": urlencode({"q": query}) if query else ""}
    return render(request, "casework/search.html", context, status=400 if error else 200)
