"""Pages of the privacy officer (access log, subject access, data-breach register) and the
coordinator's "who looked at this file". Thin: parse, call casework.privacy, render."""

import csv
import datetime as dt
import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from casework.access import MAX_ID, is_id
from casework.formkit import DateInput, PeriodFormMixin
from casework.http.queries import query_without_page
from casework.models import DataBreach, LogReading
from casework.services import privacy
from chain import selectors as chain_selectors
from signin.reauth import fresh_second_factor
from teams.models import Region, Team

ROWS_PER_PAGE = 50


# The dates a search can name: a day out of this range cannot be turned into a moment (OverflowError).
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(9000, 12, 31)
DAY_RANGE = [MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)]


class IdChoiceField(forms.ModelChoiceField):
    """A model choice by id: a text that cannot be a row id is an invalid choice (not an overflow)."""

    def to_python(self, value):
        if value not in self.empty_values and not is_id(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class AccessLogFilter(PeriodFormMixin, forms.Form):
    case = forms.IntegerField(label=gettext_lazy("Case number"), required=False, min_value=1, max_value=MAX_ID)
    child = forms.CharField(label=gettext_lazy("Child's name"), required=False, max_length=100)
    user = forms.CharField(label=gettext_lazy("Username"), required=False, max_length=150)
    team = IdChoiceField(label=gettext_lazy("Team"), queryset=Team.objects.all(), required=False)
    since = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput(), validators=DAY_RANGE)
    until = forms.DateField(label=gettext_lazy("Until"), required=False, widget=DateInput(), validators=DAY_RANGE)

    def search_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"case_id": data["case"], "child_name": data["child"], "username": data["user"],
                "team_id": data["team"].pk if data["team"] else None, "since": data["since"], "until": data["until"]}


def _search(request):
    privacy.ensure_privacy_officer(request.user)
    form = AccessLogFilter(request.GET or None)
    if request.GET and not form.is_valid():
        return form, None, None
    kwargs = form.search_kwargs() if request.GET else {}
    return form, privacy.search_access_log(request.user, **kwargs), kwargs


@login_required
def access_log(request):
    form, rows, kwargs = _search(request)
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page")) if rows is not None else None
    if rows is not None:
        privacy.record_reading(request.user, LogReading.Kind.SEARCH, filters=privacy.reading_filters(**kwargs),
                               results=page.paginator.count, request=request)
    return render(request, "privacy/access_log.html", {"form": form, "page": page, "query": query_without_page(request)},
                  status=200 if rows is not None else 400)


def _who(row) -> str:
    """The reader of an access-log row: a username, or the holder of a personal link (no user)."""
    if row.user is not None:
        return row.user.username
    if row.access_link is not None:
        return _("personal link (%(audience)s)") % {"audience": row.access_link.get_audience_display()}
    return _("personal link")


@login_required
@fresh_second_factor
def access_log_csv(request):
    """The search as CSV. The export is logged (LogReading) before the first row leaves; rows of a
    parent's or young person's personal link have no user and name the link holder instead."""
    form, rows, kwargs = _search(request)
    if rows is None:
        return render(request, "privacy/access_log.html", {"form": form, "page": None}, status=400)
    rows = rows.select_related("access_link")
    privacy.record_reading(request.user, LogReading.Kind.EXPORT, filters=privacy.reading_filters(**kwargs),
                           results=rows.count(), request=request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="inzagelog.csv"'
    writer = csv.writer(response)
    writer.writerow(["at", "user", "case", "public_signal", "action", "path", "ip", "list", "cases_shown"])
    for row in rows.iterator(chunk_size=2000):
        writer.writerow([timezone.localtime(row.at).isoformat(), _who(row), row.case_id or "",
                         row.public_signal_id or "", row.action, row.path, row.ip or "", row.what,
                         " ".join(map(str, row.shown_case_ids))])
    return response


@login_required
def case_access_log(request, case_id: int):
    case, rows = privacy.case_access_log(request.user, case_id, request=request)
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "privacy/case_access_log.html", {"case": case, "page": page})


@login_required
def subject_access_search(request):
    privacy.ensure_privacy_officer(request.user)
    name = request.GET.get("q", "")
    return render(request, "privacy/subject_access_search.html",
                  {"q": name, "children": privacy.find_children(request.user, name)[:50]})


@login_required
@fresh_second_factor
def subject_access(request, child_id: int):
    export = privacy.subject_access(request.user, child_id, request=request)
    if request.GET.get("format") == "json":
        response = HttpResponse(json.dumps(export, ensure_ascii=False, indent=2),
                                content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="inzage-{child_id}.json"'
        return response
    return render(request, "privacy/subject_access.html", {"export": export, "child_id": child_id})


class BreachForm(forms.Form):
    region = forms.ModelChoiceField(label=gettext_lazy("Region"), queryset=Region.objects.none())
    what = forms.CharField(label=gettext_lazy("What happened"), widget=forms.Textarea(attrs={"rows": 4}))
    discovered_at = forms.DateTimeField(label=gettext_lazy("Discovered at"),
                                        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    cases = forms.CharField(label=gettext_lazy("Case numbers involved"), required=False,
                            help_text=gettext_lazy("Separated by commas."))
    risk = forms.ChoiceField(label=gettext_lazy("Risk"), choices=DataBreach.Risk.choices)
    measures = forms.CharField(label=gettext_lazy("Measures taken"), required=False,
                               widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.filter(pk__in=regions)

    def clean_cases(self):
        parts = [part for part in self.cleaned_data["cases"].replace(" ", "").split(",") if part]
        if not all(is_id(part) for part in parts):
            raise ValidationError(_("Give case numbers separated by commas."))
        return [int(part) for part in parts]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=gettext_lazy("Decision"), choices=DataBreach.Decision.choices)
    decision_motivation = forms.CharField(label=gettext_lazy("Motivation"), widget=forms.Textarea(attrs={"rows": 3}))
    ap_reference = forms.CharField(label=gettext_lazy("AP reference"), required=False, max_length=100)


def _add_errors(form, error):
    for field, problems in error.message_dict.items():
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)


@login_required
@require_http_methods(["GET", "POST"])
def breaches(request):
    regions = privacy.ensure_privacy_officer(request.user)
    form = BreachForm(request.POST or None, regions=regions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            breach = privacy.record_breach(actor=request.user, region=data["region"], what=data["what"],
                                           discovered_at=data["discovered_at"], case_ids=data["cases"],
                                           risk=data["risk"], measures=data["measures"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The breach is registered. Decide on notifying the AP within 72 hours."))
            return redirect("privacy-breach", breach_id=breach.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "privacy/breaches.html", {"form": form, "breaches": privacy.breaches_for(request.user)},
                  status=status)


@login_required
@require_http_methods(["GET", "POST"])
def breach_detail(request, breach_id: int):
    breach = privacy.breaches_for(request.user).filter(pk=breach_id).first()
    if breach is None:
        raise Http404
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            privacy.decide_breach(actor=request.user, breach_id=breach.pk, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The decision is recorded."))
            return redirect("privacy-breach", breach_id=breach.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "privacy/breach_detail.html",
                  {"breach": breach, "form": form, "clock": breach.deadlines.first()}, status=status)


@login_required
@require_GET
def import_log(request):
    """The chain's imports for the officer's regions: who read which file when, how many rows, what
    became of them, which national-number columns were dropped."""
    regions = privacy.ensure_privacy_officer(request.user)
    page = Paginator(chain_selectors.import_log(regions), 50).get_page(request.GET.get("page"))
    return render(request, "privacy/import_log.html", {"page": page})
