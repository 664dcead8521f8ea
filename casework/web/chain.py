"""Dutch pages for the chain: the import of absence reports and enrolment changes (a file), and the
reconciliation page per school with one action per item. Leerplicht and the SWV's director or
coordinator only (403 for everyone else). Thin: parse, call chain.*, render."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from casework.access import is_id, log_list_read
from casework.models import AccessLog
from casework.web.forms import ChainUploadForm, DismissForm, LinkForm
from chain import formats, reconcile, selectors
from chain.models import ImportBatch
from chain.rules import ensure_can_import
from chain.services import import_records


def _records(upload) -> list[dict]:
    raw = upload.read()
    if upload.name.lower().endswith(".json") or raw.lstrip()[:1] in (b"[", b"{"):
        try:
            return formats.check_records(json.loads(raw.decode("utf-8-sig")))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise formats.FormatError(_("The file is not valid JSON.")) from None
    return formats.read_csv(raw)


@login_required
@require_http_methods(["GET", "POST"])
def chain_import(request):
    regions = ensure_can_import(request.user)
    form = ChainUploadForm(request.POST or None, request.FILES or None)
    result, status = None, 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                records = _records(upload)
            except formats.FormatError as error:
                form.add_error("file", str(error))
            else:
                result = import_records(actor=request.user, records=records, source=ImportBatch.Source.UPLOAD,
                                        filename=upload.name)
                status = 200
    context = {"form": form, "result": result, "imports": selectors.recent_imports(request.user, regions),
               "open_count": selectors.open_items(regions).count()}
    return render(request, "chain/import.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def chain_reconcile(request):
    regions = ensure_can_import(request.user)
    school = request.GET.get("school")
    rows = selectors.reconciliation(regions, int(school) if school and is_id(school) else None)
    shown = [case for row in rows for case in row.without_report] + \
        [difference.report.case for row in rows for difference in row.differences]
    log_list_read(request.user, shown, what=AccessLog.List.RECONCILIATION, request=request)
    return render(request, "chain/reconcile.html", {"rows": rows})


def _back(request, anchor: str = ""):
    return redirect(reverse("chain-reconcile") + (f"#{anchor}" if anchor else ""))


def _refused(request, error: ValidationError):
    for messages_ in error.message_dict.values():
        for message in messages_:
            messages.error(request, message)


@login_required
@require_POST
def report_signal(request, report_id: int):
    try:
        case = reconcile.signal_from_report(actor=request.user, report_id=report_id)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Case %(number)s holds the report now.") % {"number": case.pk})
    return _back(request)


@login_required
@require_POST
def report_link(request, report_id: int):
    form = LinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the number of an open case."))
        return _back(request, f"report-{report_id}")
    try:
        case = reconcile.link_report(actor=request.user, report_id=report_id, case_id=form.cleaned_data["case"])
    except ValidationError as error:
        _refused(request, error)
        return _back(request, f"report-{report_id}")
    messages.success(request, _("The report is linked to case %(number)s.") % {"number": case.pk})
    return _back(request)


@login_required
@require_POST
def item_dismiss(request, item: str, item_id: int):
    form = DismissForm(request.POST)
    try:
        reconcile.dismiss(actor=request.user, item=item, item_id=item_id,
                          reason=form.data.get("reason", ""))
    except ValidationError as error:
        _refused(request, error)
        return _back(request, f"{item}-{item_id}")
    messages.success(request, _("Set aside, with the reason kept."))
    return _back(request)


@login_required
@require_POST
def unenrolment_signal(request, change_id: int):
    try:
        case = reconcile.signal_unenrolled(actor=request.user, change_id=change_id)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Case %(number)s: absolute absence from the unenrolment.") % {"number": case.pk})
    return _back(request)
