"""Monitor API: the same numbers as the monitor pages (aggregates only)."""

from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from casework import monitor
from casework.api.params import DATE, ID, choice, query, read_choice, read_date, read_id, read_int
from casework.api.serializers import DetailSerializer, FieldErrorsSerializer
from casework.formkit import period_errors, reported_until
from systems import scopes
from teams.models import Sector

FIRST_YEAR, LAST_YEAR = 1990, 2200
COMMON = [query("region", ID, description="One of your regions; all of them when empty."),
          query("sector", choice(Sector.values)),
          query("school", ID)]
DATES = (f"YYYY-MM-DD, from {FIRST_YEAR} to {LAST_YEAR} and not in the future (else a 400 naming the "
         "parameter).")
ERRORS = {400: FieldErrorsSerializer,
          401: OpenApiResponse(DetailSerializer, description="Not signed in."),
          404: OpenApiResponse(DetailSerializer, description="No monitor access, or not for this region.")}


COUNT = {"type": "integer", "minimum": 0}
NULLABLE_NUMBER = {"type": "number", "nullable": True}


def counts_by(what: str) -> dict:
    return {"type": "object", "additionalProperties": COUNT, "description": f"Counts by {what}."}


COUNTS = {
    "type": "object",
    "description": "Counts on the peildatum by the counting rules (see docs/counting.md in the repository).",
    "required": ["peildatum", "thuiszitters", "lrv", "av", "vrij", "ziek", "dreigend", "open_cases", "durations",
                 "by_sector", "thuiszitters_by_region", "thuiszitters_by_school", "thuiszitters_by_category",
                 "ziek_by_category", "vrij_by_ground", "in_traject", "without_offer_over_3_months", "thuiswerkplan"],
    "properties": {
        "peildatum": {"type": "string", "format": "date"},
        **{key: COUNT for key in ("thuiszitters", "lrv", "av", "vrij", "ziek", "dreigend", "open_cases",
                                  "without_offer_over_3_months")},
        "thuiswerkplan": {**COUNT, "description": "Of the pupils counted as LRV, AV, threatened or sick, those with "
                                                  "a thuiswerkplan running on the peildatum."},
        "durations": {**counts_by("time out of school (thuiszitters)"), "description": (
            "The thuiszitters by time out of school: lt_4_weeks, 4_weeks_3_months, 3_6_months, gt_6_months; they "
            "add up to `thuiszitters`.")},
        "by_sector": {"type": "object", "additionalProperties": counts_by("registration"),
                      "description": "Per sector, counts by registration."},
        "thuiszitters_by_region": counts_by("region id"),
        "thuiszitters_by_school": counts_by("school id"),
        "thuiszitters_by_category": counts_by("category"),
        "ziek_by_category": counts_by("category"),
        "vrij_by_ground": counts_by("ground of the exemption"),
        "in_traject": {"type": "object", "required": ["total"], "description": "Taking part: the total, and per "
                                                                               "level (gedeeltelijk, volledig) the "
                                                                               "counts by setting.",
                       "properties": {"total": COUNT}, "additionalProperties": counts_by("setting")},
    },
}
STATS = {"type": "object", "required": ["cases", "median", "p90"],
         "properties": {"cases": COUNT, "median": NULLABLE_NUMBER, "p90": NULLABLE_NUMBER}}
COMPLIANCE = {"type": "object", "required": ["met", "breached", "stopped"],
              "properties": {"met": COUNT, "breached": COUNT, "stopped": COUNT, "met_share": NULLABLE_NUMBER,
                             "breached_share": NULLABLE_NUMBER, "stopped_share": NULLABLE_NUMBER}}
PERIOD = {
    "type": "object",
    "description": "What happened between `from` and `until` (inclusive).",
    "required": ["from", "until", "new_signals", "returns", "offers_with_place", "closed", "exemptions_advised",
                 "exemptions_granted", "ect_consults", "routes", "doorbraak_decisions", "doorbraak_no_agreement",
                 "ladder", "compliance",
                 "days_signal_to_team_action", "days_absent_to_placement"],
    "properties": {
        "from": {"type": "string", "format": "date"}, "until": {"type": "string", "format": "date"},
        **{key: COUNT for key in ("new_signals", "returns", "offers_with_place", "exemptions_advised",
                                  "ect_consults")},
        "exemptions_granted": {**COUNT, "description": (
            "Exemptions that took effect in the period: granted by Leerplicht, recorded with the signal, or (a 5a "
            "recorded with the signal) once the SWV's advice on it is on record.")},
        "doorbraak_decisions": {**COUNT, "description": (
            "Doorbraak decisions with a place: the MPL's decision `plaatsing` and the SWV director's decisions.")},
        "doorbraak_no_agreement": {**COUNT, "description": (
            "MPL decisions `geen_overeenstemming` (no agreement: the SWV director decides).")},
        "closed": counts_by("outcome"), "routes": counts_by("route chosen"),
        "ladder": counts_by("rung of the escalation ladder (team, ect, mpl_doe, director)"),
        "compliance": {"type": "object", "additionalProperties": COMPLIANCE, "description": "Per clock."},
        "days_signal_to_team_action": STATS, "days_absent_to_placement": STATS,
    },
}


@extend_schema_field(COUNTS)
class CountsField(serializers.DictField):
    pass


@extend_schema_field(PERIOD)
class PeriodField(serializers.DictField):
    pass


class MonitorSerializer(serializers.Serializer):
    counts = CountsField(help_text="Counts of the open cases on the peildatum.")
    period = PeriodField(help_text="What happened in the period.")


def scope_from(request) -> monitor.Scope:
    params = request.query_params
    region = read_id(params, "region", "Give a region id.")
    regions = monitor.ensure_monitor_access(request.user, region)
    sector = read_choice(params, "sector", Sector.values)
    school = read_id(params, "school", "Give a school id.")
    return monitor.Scope(regions=[region] if region else regions, sector=sector, school=school)


def parse_date(params, field, *, required=False):
    day = read_date(params, field, required=required)
    if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValidationError({field: [f"Give a date between {FIRST_YEAR} and {LAST_YEAR}."]})
    return day


class MonitorView(APIView):
    system_scopes = {"get": scopes.MONITOR_READ}

    @extend_schema(summary="Counts on a peildatum and the period before it (default: its quarter)",
                   parameters=[query("peildatum", DATE, required=True, description=DATES),
                               query("since", DATE, description=f"Start of the period (not after the peildatum), "
                                                                f"{DATES}"),
                               *COMMON],
                   responses={200: MonitorSerializer, **ERRORS})
    def get(self, request):
        scope = scope_from(request)
        peildatum = parse_date(request.query_params, "peildatum", required=True)
        since = parse_date(request.query_params, "since")
        errors = period_errors(since, peildatum, until_field="peildatum")
        if errors:
            raise ValidationError(errors)
        return Response(monitor.report(scope, peildatum, since))


class QuarterRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text='E.g. "lrv", "thuiszitters:spijbelaar", "vrij:5a", "duur:3_6_months", '
                                          '"in_traject:volledig", "doorbraak_decisions".')
    label = serializers.CharField(help_text="The row's label in the CSV (Dutch).")
    total = serializers.JSONField(help_text='A count, "< 5" (1 to 4) or "x" (hidden so that no small count '
                                            'follows from the totals).')
    by_sector = serializers.DictField(child=serializers.JSONField(), allow_null=True,
                                      help_text="Per sector (po, vo, so, vso, mbo); null for a row without sectors.")


class PublicQuarterSerializer(serializers.Serializer):
    audience = serializers.CharField()
    year = serializers.IntegerField()
    quarter = serializers.IntegerField()
    peildatum = serializers.DateField()
    sectors = serializers.ListField(child=serializers.CharField())
    rows = QuarterRowSerializer(many=True)


class QuarterView(APIView):
    system_scopes = {"get": scopes.MONITOR_READ}

    @extend_schema(summary="The quarterly report (peildatum: the quarter's last day, or today)",
                   description='A quarter that has not ended yet is reported up to today (the peildatum is today); '
                               'one that has not started yet is refused (400 naming `quarter`). '
                               'audience "inspectie" (default): the exact numbers, as GET /api/monitor/. '
                               'audience "public": the table of the public CSV, with counts from 1 to 4 as "< 5" '
                               'and the cells that would give them away as "x".',
                   parameters=[query("year", {"type": "integer", "minimum": FIRST_YEAR, "maximum": LAST_YEAR},
                                     required=True),
                               query("quarter", {"type": "integer", "enum": [1, 2, 3, 4]}, required=True),
                               query("audience", choice(monitor.AUDIENCES)), *COMMON],
                   responses={200: PolymorphicProxySerializer(
                       component_name="QuarterReport", serializers=[MonitorSerializer, PublicQuarterSerializer],
                       resource_type_field_name=None), **ERRORS})
    def get(self, request):
        scope = scope_from(request)
        audience = read_choice(request.query_params, "audience", monitor.AUDIENCES) or "inspectie"
        year = read_int(request.query_params, "year", FIRST_YEAR, LAST_YEAR,
                        f"Give a year between {FIRST_YEAR} and {LAST_YEAR}.")
        quarter = read_int(request.query_params, "quarter", 1, 4, "Give a quarter from 1 to 4.")
        first, last = monitor.quarter_bounds(year, quarter)
        until, errors = reported_until(first, last, field="quarter")
        if errors:
            raise ValidationError(errors)
        if audience == "public":
            return Response(monitor.quarter_table(scope, year, quarter, audience, until))
        return Response(monitor.report(scope, until, first))


YEAR_COUNTS = inline_serializer("SchoolYearCounts", {
    "thuiszitters": serializers.IntegerField(help_text="Distinct pupils who were LRV or AV on a day of the year."),
    "thuiswerkplan": serializers.IntegerField(help_text="Of them, those with a thuiswerkplan during the year."),
    "lrv": serializers.IntegerField(help_text="Of them, LRV on a day of the year (a threatened pupil from day 29)."),
    "av": serializers.IntegerField(help_text="Of them, AV on a day of the year."),
    "durations": serializers.DictField(child=serializers.IntegerField(), help_text=(
        "Pupils by the days of the year they were out: lt_4_weeks, 4_weeks_3_months, 3_6_months, gt_6_months.")),
    "by_sector": serializers.DictField(child=serializers.IntegerField()),
})
YEAR_REPORT = inline_serializer("SchoolYearReport", {
    "school_year": serializers.CharField(help_text="e.g. 2025-2026: 1 August to 31 July."),
    "from": serializers.DateField(), "until": serializers.DateField(help_text="The year's last day, or today."),
    "complete": serializers.BooleanField(help_text="False while the year runs."),
    "year": YEAR_COUNTS,
    "peildata": inline_serializer("SchoolYearPeildatum", {
        "peildatum": serializers.DateField(), "thuiszitters": serializers.IntegerField(),
        "lrv": serializers.IntegerField(), "av": serializers.IntegerField(),
        "ziek": serializers.IntegerField(help_text="Sick and out for more than 4 weeks (a verbijzondering)."),
        "thuiswerkplan": serializers.IntegerField(help_text=(
            "LRV, AV, threatened or sick pupils with a running thuiswerkplan (a verbijzondering)."))}, many=True),
    "absence_reports": serializers.DictField(child=serializers.IntegerField(), help_text=(
        "Absence reports read from the chain for the cases in scope during the year, by kind.")),
    "ect": inline_serializer("EctCaseload", {
        "started": serializers.IntegerField(help_text="ECT consults started in the year."),
        "closed": serializers.IntegerField(help_text="ECT consults closed in the year."),
        "by_kind": serializers.DictField(child=serializers.IntegerField(), help_text=(
            "Consults started, by the kind of question (clock: started by the three-month clock).")),
        "by_sector": serializers.DictField(child=serializers.IntegerField()),
        "by_school": serializers.DictField(child=serializers.IntegerField(), help_text="By school id (location)."),
        "days_to_close": inline_serializer("EctDaysToClose", {
            "median": serializers.FloatField(allow_null=True), "mean": serializers.FloatField(allow_null=True)}),
        "first_reading": inline_serializer("EctFirstReading", {
            "approved": serializers.IntegerField(), "rejected": serializers.IntegerField(),
            "pending": serializers.IntegerField()}, help_text="The first advice of each consult started."),
        "by_consultant": inline_serializer("EctConsultantLoad", {
            "consultant": serializers.CharField(help_text="Who drafted the consult's first advice; empty: none yet."),
            "started": serializers.IntegerField(), "closed": serializers.IntegerField()}, many=True),
    }, help_text="The ECT's caseload (KPI 8)."),
    "referrals": inline_serializer("ReferralsAndReturns", {
        "referrals": serializers.DictField(child=serializers.IntegerField(), help_text=(
            "Referrals that started in the year, by kind of provision (rebound, ttvo, maatwerk_cl3, maatwerk_cl4, "
            "opdc_doorstart).")),
        "returns": serializers.DictField(child=serializers.IntegerField(), help_text=(
            "Returns to a regular school in the year, by the kind of provision the pupil came back from.")),
        "within_term": inline_serializer("ReturnsWithinTerm", {
            "cohort": serializers.IntegerField(help_text="Pupils whose provision's term (the OPDC's two years) ended "
                                                         "in the year."),
            "returned": serializers.IntegerField(help_text="Of them, back at a regular school within the term."),
            "share": serializers.FloatField(allow_null=True)}),
    }, help_text="Referrals to maatwerkvoorzieningen and returns to the schools (KPI 6)."),
    "kpi9": inline_serializer("SchoolYearKpi9", {
        "school_year": serializers.CharField(help_text="The school year in which the ECT consults closed."),
        "target": serializers.FloatField(help_text="The SWV's target for the average score (CASEWORK_KPI9_TARGET)."),
        "min_responses": serializers.IntegerField(help_text="Results are shown from this many answers on."),
        "invitations": serializers.IntegerField(help_text="Invitations sent after the consults that closed in the "
                                                          "year, in scope."),
        "shown": serializers.BooleanField(help_text="False: too few answers; every result below is null."),
        "responses": serializers.IntegerField(allow_null=True, help_text="Answers received."),
        "response_rate": serializers.FloatField(allow_null=True, help_text="Answers per 100 invitations, one "
                                                                           "decimal."),
        "average": serializers.FloatField(allow_null=True, help_text="The average score (1-10), one decimal."),
        "meets_target": serializers.BooleanField(allow_null=True, help_text="The average is at least the target."),
        "listened": inline_serializer("SchoolYearKpi9Listened", {
            key: serializers.FloatField(help_text=f"Share (%) answering {key!r} to \"Werd er naar u geluisterd?\".")
            for key in ("ja", "beetje", "nee")}, allow_null=True),
    }, help_text="KPI 9: satisfaction after an ECT consult (Jaarkalender & jaarplan SWV VO Groningen Stad, KPI 9). "
                 "No free texts and no link to a person; nothing but the invitations below the minimum."),
})


class YearView(APIView):
    system_scopes = {"get": scopes.MONITOR_READ}

    @extend_schema(summary="A school year: the pupils out in the year beside the counts on its peildata",
                   description="The DUO-style year figures (distinct pupils LRV or AV during the school year, with "
                               "how long) and the SWV's peildatum counts (the quarter ends inside the year), from the "
                               "same history. A running year is reported up to today; one that has not begun is a "
                               "400 naming `schoolYear`.",
                   parameters=[query("schoolYear", {"type": "string", "pattern": r"^\d{4}-\d{4}$"},
                                     description="e.g. 2025-2026; default: the current school year."), *COMMON],
                   responses={200: YEAR_REPORT, **ERRORS})
    def get(self, request):
        scope = scope_from(request)
        today = timezone.localdate()
        label = request.query_params.get("schoolYear") or monitor.school_year_of(today)
        try:
            return Response(monitor.year_report(scope, label, today, within=monitor.monitor_regions(request.user)))
        except ValueError:
            raise ValidationError({"schoolYear": [
                "Give a school year that has begun, as 2025-2026 (1 August to 31 July)."]}) from None
