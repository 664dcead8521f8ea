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
from casework.web.forms import ChainUploadForm, LinkForm
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
    return _reconcile_page(request)


def _reconcile_page(request, *, refused: tuple[str, int] | None = None, typed: dict | None = None,
                    errors: list[str] | None = None, status: int = 200):
    """The page; after a refused link or set-aside, the item keeps what was typed and shows why."""
    regions = ensure_can_import(request.user)
    school = request.GET.get("school")
    rows = selectors.reconciliation(regions, int(school) if school and is_id(school) else None)
    shown = [case for row in rows for case in row.without_report] + \
        [difference.report.case for row in rows for difference in row.differences]
    log_list_read(request.user, shown, what=AccessLog.List.RECONCILIATION, request=request)
    if refused is not None:
        kind, pk = refused
        for row in rows:
            for item in row.reports if kind == "report" else row.unenrolled:
                if item.pk == pk:
                    item.typed, item.errors = typed or {}, errors or []
    return render(request, "chain/reconcile.html", {"rows": rows}, status=status)


def _refusal_messages(error: ValidationError) -> list[str]:
    return [str(message) for messages_ in error.message_dict.values() for message in messages_]


def _back(request):
    return redirect(reverse("chain-reconcile"))


def _refused(request, error: ValidationError):
    for message in _refusal_messages(error):
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
    typed = {"case": request.POST.get("case", "")}
    if not form.is_valid():
        return _reconcile_page(request, refused=("report", report_id), typed=typed, status=400,
                               errors=[_("Give the number of an open case.")])
    try:
        case = reconcile.link_report(actor=request.user, report_id=report_id, case_id=form.cleaned_data["case"])
    except ValidationError as error:
        return _reconcile_page(request, refused=("report", report_id), typed=typed, status=400,
                               errors=_refusal_messages(error))
    messages.success(request, _("The report is linked to case %(number)s.") % {"number": case.pk})
    return _back(request)


@login_required
@require_POST
def item_dismiss(request, item: str, item_id: int):
    reason = request.POST.get("reason", "")
    try:
        reconcile.dismiss(actor=request.user, item=item, item_id=item_id, reason=reason)
    except ValidationError as error:
        return _reconcile_page(request, refused=(item, item_id), typed={"reason": reason}, status=400,
                               errors=_refusal_messages(error))
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
