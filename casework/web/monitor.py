"""The monitor pages: the dashboard (charts with their numbers), the printable quarterly report
and its CSV (exact for the Inspectie, or with small numbers hidden for the public). Aggregates
only; who sees which region follows membership."""

import csv
import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework import monitor
from casework.formkit import DateInput, PeriodFormMixin, reported_until
from casework.http.queries import query_without_page
from casework.models import Case, Plan, Provision, SurveyResponse, Vrijstelling
from casework.monitor.year_table import school_year_table
from chain.models import AbsenceReport
from signin.reauth import fresh_second_factor
from teams.models import Region, School, Sector


class ScopeFilter(forms.Form):
    """The monitor's scope: one of the user's regions (or all), a sector, a school."""

    region = forms.ModelChoiceField(label=gettext_lazy("Region"), queryset=Region.objects.none(), required=False)
    sector = forms.ChoiceField(label=gettext_lazy("Sector"), required=False,
                               choices=[("", gettext_lazy("all")), *Sector.choices])
    school = forms.ModelChoiceField(label=gettext_lazy("School"), queryset=School.objects.none(), required=False)

    def __init__(self, *args, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.filter(pk__in=regions)
        self.fields["school"].queryset = School.objects.filter(region_id__in=regions).order_by("name")

    def scope(self, regions) -> monitor.Scope:
        data = self.cleaned_data
        chosen = [data["region"].pk] if data.get("region") else list(regions)
        return monitor.Scope(regions=chosen, sector=data.get("sector") or "",
                             school=data["school"].pk if data.get("school") else None)


class MonitorFilter(PeriodFormMixin, ScopeFilter):
    period_fields = ("since", "peildatum")

    peildatum = forms.DateField(label=gettext_lazy("Peildatum"), required=False, widget=DateInput())
    since = forms.DateField(label=gettext_lazy("Period from"), required=False, widget=DateInput())

    def clean(self):
        cleaned = super().clean()
        for name in ("peildatum", "since"):
            if cleaned.get(name) and not 1990 <= cleaned[name].year <= 2200:
                self.add_error(name, _("Give a date between 1990 and 2200."))
        return cleaned


def _filtered(request):
    regions = monitor.ensure_monitor_access(request.user)
    form = MonitorFilter(request.GET, regions=regions)  # every field is optional: empty is valid
    if not form.is_valid():
        return form, None, regions
    return form, form.scope(regions), regions


def chart_data(result: dict, trend: list[dict]) -> dict:
    counts, period = result["counts"], result["period"]
    return {
        "trend": {"labels": [row["label"] for row in trend],
                  "series": [{"label": _("Thuiszitters (LRV + AV)"), "data": [r["thuiszitters"] for r in trend]},
                             {"label": _("Threatened (dreigend)"), "data": [r["dreigend"] for r in trend]},
                             {"label": _("Exempted (vrijstelling)"), "data": [r["vrij"] for r in trend]}]},
        "returns": {"labels": [row["label"] for row in trend],
                    "series": [{"label": _("Back in education"), "data": [r["returns"] for r in trend]}]},
        "durations": {"labels": [str(label) for label in DURATION_LABELS.values()],
                      "series": [{"label": _("Thuiszitters"), "data": [counts["durations"][k] for k in DURATION_LABELS]}]},
        "compliance": {"labels": [_("48 hours"), _("3 months")],
                       "series": [{"label": _(state), "colour": colour,
                                   "data": [period["compliance"][clock][state] for clock in monitor.COMPLIANCE_CLOCKS]}
                                  for state, colour in (("met", "#2e7d32"), ("breached", "#b3261e"),
                                                        ("stopped", "#90a4ae"))]},
    }


def traject_rows(counts: dict) -> list[tuple]:
    """In traject on the peildatum per setting: (label, partly, fully)."""
    traject = counts["in_traject"]
    return [(label, traject["gedeeltelijk"][setting], traject["volledig"][setting])
            for setting, label in Case.Setting.choices]


def breakdown(counts: dict) -> dict:
    """The dashboard's tables of the new figures: per category, per ground."""
    return {
        "categories": [(label, counts["thuiszitters_by_category"][category], counts["ziek_by_category"][category])
                       for category, label in Case.Category.choices],
        "grounds": [(grounds, label, counts["vrij_by_ground"][grounds])
                    for grounds, label in Vrijstelling.Grounds.choices],
        "traject": traject_rows(counts),
    }


DURATION_LABELS = {"lt_4_weeks": gettext_lazy("< 4 weeks"), "4_weeks_3_months": gettext_lazy("4 weeks – 3 months"),
                   "3_6_months": gettext_lazy("3 – 6 months"), "gt_6_months": gettext_lazy("> 6 months")}


@login_required
def dashboard(request):
    form, scope, regions = _filtered(request)
    if scope is None:
        return render(request, "monitor/dashboard.html", {"form": form}, status=400)
    today = timezone.localdate()
    peildatum = form.cleaned_data.get("peildatum") or today
    result = monitor.report(scope, peildatum, form.cleaned_data.get("since"))
    trend = monitor.monthly_trend(scope, peildatum)
    context = {"form": form, "result": result, "trend": trend, "charts": chart_data(result, trend),
               "peildatum": peildatum, "period_from": dt.date.fromisoformat(result["period"]["from"]),
               "durations": [(DURATION_LABELS[k], v) for k, v in result["counts"]["durations"].items()],
               "breakdown": breakdown(result["counts"]),
               "schools": dict(School.objects.filter(region_id__in=regions).values_list("pk", "name")),
               "quarter": (peildatum.year, (peildatum.month - 1) // 3 + 1)}
    return render(request, "monitor/dashboard.html", context)


def _quarter(request):
    try:
        year, quarter = int(request.GET.get("year", "")), int(request.GET.get("quarter", ""))
        if not 1990 <= year <= 2200:
            raise ValueError(year)
        first, last = monitor.quarter_bounds(year, quarter)
    except ValueError:
        today = timezone.localdate()
        year, quarter = today.year, (today.month - 1) // 3 + 1
        first, last = monitor.quarter_bounds(year, quarter)
    until, errors = reported_until(first, last, field="quarter")
    return year, quarter, first, last, until, errors


@login_required
def quarter_report(request):
    form, scope, _regions = _filtered(request)
    year, quarter, first, last, until, errors = _quarter(request)
    if scope is None:
        return render(request, "monitor/dashboard.html", {"form": form}, status=400)
    if errors:  # a quarter that has not started: nothing to count
        return render(request, "monitor/quarter.html", {"year": year, "quarter": quarter,
                                                        "refusal": errors["quarter"][0]}, status=400)
    result = monitor.report(scope, until, first)
    rows = monitor.quarter_rows(result["counts"], result["period"])
    return render(request, "monitor/quarter.html", {
        "year": year, "quarter": quarter, "first": first, "last": until, "running": until < last, "result": result,
        "sector_rows": [(row["label"], row["total"], [row["by_sector"][s] for s in monitor.SECTORS])
                        for row in rows if row["by_sector"] is not None],
        "breakdown_rows": [(row["label"], row["total"]) for row in rows
                           if row["by_sector"] is None and row["key"] not in monitor.PERIOD_ROWS],
        "traject": traject_rows(result["counts"]),
        "sectors": monitor.SECTORS,
        "csv_inspectie": query_without_page(request, audience="inspectie"),
        "csv_public": query_without_page(request, audience="public"),
        "generated": dt.datetime.now(tz=timezone.get_current_timezone())})


@login_required
@fresh_second_factor
def quarter_csv(request):
    _form, scope, _regions = _filtered(request)
    year, quarter, _first, _last, until, errors = _quarter(request)
    audience = request.GET.get("audience") or "inspectie"
    if errors:
        return HttpResponse(errors["quarter"][0], status=400, content_type="text/plain; charset=utf-8")
    if scope is None or audience not in monitor.AUDIENCES:
        return HttpResponse(status=400)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    suffix = "-openbaar" if audience == "public" else ""
    response["Content-Disposition"] = f'attachment; filename="thuiszitters-{year}-Q{quarter}{suffix}.csv"'
    writer = csv.writer(response)
    for row in monitor.quarter_csv_rows(scope, year, quarter, audience, until):
        writer.writerow(row)
    return response


class YearFilter(ScopeFilter):
    """The year view: a school year and the monitor's scope."""

    def __init__(self, *args, school_years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school_year"] = forms.ChoiceField(label=gettext_lazy("School year"), required=False,
                                                       choices=[(year, year) for year in school_years])
        self.order_fields(["school_year", "region", "sector", "school"])


def year_charts(result: dict) -> dict:
    """The year view's charts (static/js/monitor.js draws them; each has its table beside it)."""
    peildata = result["peildata"]
    return {
        "durations": {"labels": [str(label) for label in DURATION_LABELS.values()],
                      "series": [{"label": _("Pupils"), "data": list(result["year"]["durations"].values())}]},
        "peildata": {"labels": [row["peildatum"] for row in peildata],
                     "series": [{"label": _("Thuiszitters"), "data": [row["thuiszitters"] for row in peildata]},
                                {"label": _("Sick"), "data": [row["ziek"] for row in peildata]},
                                {"label": _("Thuiswerkplan"), "data": [row["thuiswerkplan"] for row in peildata]}]},
        "referrals": {"labels": [str(label) for _kind, label in Provision.Kind.choices],
                      "series": [{"label": _("Referrals"), "data": list(result["referrals"]["referrals"].values())},
                                 {"label": _("Returns"), "data": list(result["referrals"]["returns"].values())}]},
        "ect": {"labels": [str(label) for _kind, label in Plan.EctQuestionKind.choices] + [_("the clock")],
                "series": [{"label": _("Consults"), "data": list(result["ect"]["by_kind"].values())}]},
    }


def school_years(today: dt.date, back: int = 6) -> list[str]:
    current = int(monitor.school_year_of(today)[:4])
    return [f"{year}-{year + 1}" for year in range(current, current - back, -1)]


@login_required
def school_year(request):
    """The year view: the pupils out in the school year (as DUO and the municipality count) beside
    the counts on its peildata (as the SWV counts), from the same history."""
    regions = monitor.ensure_monitor_access(request.user)
    today = timezone.localdate()
    years = school_years(today)
    form = YearFilter(request.GET, regions=regions, school_years=years)
    if not form.is_valid():
        return render(request, "monitor/year.html", {"form": form}, status=400)
    label = form.cleaned_data.get("school_year") or years[0]
    result = monitor.year_report(form.scope(regions), label, today, within=regions)
    reports = [(name, result["absence_reports"].get(kind, 0)) for kind, name in AbsenceReport.Kind.choices]
    return render(request, "monitor/year.html", {
        "form": form, "result": result, "first": dt.date.fromisoformat(result["from"]),
        "charts": year_charts(result), "query": query_without_page(request, school_year=label),
        "schools": School.objects.filter(region_id__in=form.scope(regions).regions).order_by("name"),
        "until": dt.date.fromisoformat(result["until"]),
        "durations": [(DURATION_LABELS[key], value) for key, value in result["year"]["durations"].items()],
        "peildata": [(dt.date.fromisoformat(row["peildatum"]), row) for row in result["peildata"]],
        "reports": reports, "kpi9": result["kpi9"], "listened": kpi9_listened(result["kpi9"]),
        "reads_texts": bool(monitor.policy_regions(request.user)),
        "referrals": [(name, result["referrals"]["referrals"][kind], result["referrals"]["returns"][kind])
                      for kind, name in Provision.Kind.choices],
        "ect_kinds": [(name, result["ect"]["by_kind"][kind]) for kind, name in
                      [*Plan.EctQuestionKind.choices, ("clock", _("Started by the three-month clock"))]]})


def _year_scope(request):
    """The year view's school year and regions (the user's, or the one chosen), or a 400 form."""
    regions = monitor.ensure_monitor_access(request.user)
    today = timezone.localdate()
    years = school_years(today)
    form = YearFilter(request.GET, regions=regions, school_years=years)
    if not form.is_valid():
        return form, None, None, today
    scope = form.scope(regions)
    return form, form.cleaned_data.get("school_year") or years[0], scope.regions, today


@login_required
@fresh_second_factor
def school_year_csv(request):
    """The year's KPIs for the jaarverslag: the scope and each school location, small numbers
    suppressed (it leaves the SWV)."""
    form, label, regions, today = _year_scope(request)
    if label is None:
        return HttpResponse(status=400)
    schools = list(School.objects.filter(region_id__in=regions).order_by("name"))
    table = school_year_table(regions, schools, label, today)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="kpi-schooljaar-{label}.csv"'
    writer = csv.writer(response)
    writer.writerow([_("Figure"), *[str(name) for _key, name in table["columns"]]])
    for name, cells in table["rows"]:
        writer.writerow([str(name), *cells])
    return response


@login_required
def school_year_print(request, school_id: int):
    """One page for the SWV's conversation with a school location: its KPIs beside the whole
    SWV's, small numbers suppressed (the page is handed to the school)."""
    form, label, regions, today = _year_scope(request)
    school = School.objects.filter(pk=school_id, region_id__in=regions).first()
    if label is None or school is None:
        return render(request, "monitor/year.html", {"form": form}, status=400 if label is None else 404)
    table = school_year_table(regions, [school], label, today)
    return render(request, "monitor/year_print.html", {
        "school": school, "table": table, "generated": dt.datetime.now(tz=timezone.get_current_timezone())})


def kpi9_listened(figures: dict) -> list[tuple[str, float]]:
    """KPI 9's shares of "werd er naar u geluisterd?" with their labels (none when not shown)."""
    if not figures["shown"]:
        return []
    return [(label, figures["listened"][key]) for key, label in SurveyResponse.Listened.choices]


@login_required
def kpi9_texts(request):
    """KPI 9's answers to "Wat kan beter?", for the SWV director alone (404 for anyone else): per
    school year and scope, without names, case numbers or dates, in random order; none from fewer
    than the minimum number of answers."""
    regions = monitor.ensure_policy_role(request.user)
    years = school_years(timezone.localdate())
    form = YearFilter(request.GET, regions=regions, school_years=years)
    if not form.is_valid():
        return render(request, "monitor/kpi9_texts.html", {"form": form}, status=400)
    label = form.cleaned_data.get("school_year") or years[0]
    return render(request, "monitor/kpi9_texts.html", {
        "form": form, "school_year": label, "min_responses": monitor.MIN_RESPONSES,
        "texts": monitor.improvement_texts(form.scope(regions), label, within=regions)})
