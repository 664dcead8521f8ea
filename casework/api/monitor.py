"""Monitor API: the same numbers as the monitor pages (aggregates only)."""

import datetime as dt

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from casework import monitor
from casework.access import is_id
from casework.api.serializers import DetailSerializer, FieldErrorsSerializer
from casework.formkit import period_errors
from teams.models import Sector

COMMON = [OpenApiParameter("region", int, description="One of your regions; all of them when empty."),
          OpenApiParameter("sector", str, enum=list(Sector.values)),
          OpenApiParameter("school", int)]
ERRORS = {400: FieldErrorsSerializer,
          401: OpenApiResponse(DetailSerializer, description="Not signed in."),
          404: OpenApiResponse(DetailSerializer, description="No monitor access, or not for this region.")}


class MonitorSerializer(serializers.Serializer):
    counts = serializers.DictField(help_text="Counts of the open cases on the peildatum.")
    period = serializers.DictField(help_text="What happened in the period.")


def scope_from(request) -> monitor.Scope:
    params = request.query_params
    region = params.get("region") or None
    if region is not None and not is_id(region):
        raise ValidationError({"region": ["Give a region id."]})
    regions = monitor.ensure_monitor_access(request.user, int(region) if region else None)
    sector = params.get("sector", "")
    if sector and sector not in Sector.values:
        raise ValidationError({"sector": [f"Choose one of: {', '.join(Sector.values)}."]})
    school = params.get("school") or None
    if school is not None and not is_id(school):
        raise ValidationError({"school": ["Give a school id."]})
    return monitor.Scope(regions=[int(region)] if region else regions, sector=sector,
                         school=int(school) if school else None)


def parse_date(value, field):
    try:
        day = dt.date.fromisoformat(value)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError({field: ["Give a date as YYYY-MM-DD."]}) from None
    if not 1990 <= day.year <= 2200:
        raise ValidationError({field: ["Give a date between 1990 and 2200."]})
    return day


class MonitorView(APIView):
    @extend_schema(summary="Counts on a peildatum and the period before it (default: its quarter)",
                   parameters=[OpenApiParameter("peildatum", str, required=True, description="YYYY-MM-DD"),
                               OpenApiParameter("since", str, description="Start of the period, YYYY-MM-DD"),
                               *COMMON],
                   responses={200: MonitorSerializer, **ERRORS})
    def get(self, request):
        scope = scope_from(request)
        peildatum = parse_date(request.query_params.get("peildatum"), "peildatum")
        since = request.query_params.get("since")
        since = parse_date(since, "since") if since else None
        errors = period_errors(since, peildatum, until_field="peildatum")
        if errors:
            raise ValidationError(errors)
        return Response(monitor.report(scope, peildatum, since))


class QuarterRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text='E.g. "lrv", "thuiszitters:spijbelaar", "vrij:5a", "in_traject:volledig".')
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
    @extend_schema(summary="The quarterly report (peildatum: the quarter's last day)",
                   description='audience "inspectie" (default): the exact numbers, as GET /api/monitor/. '
                               'audience "public": the table of the public CSV, with counts from 1 to 4 as "< 5" '
                               'and the cells that would give them away as "x".',
                   parameters=[OpenApiParameter("year", int, required=True),
                               OpenApiParameter("quarter", int, required=True, enum=[1, 2, 3, 4]),
                               OpenApiParameter("audience", str, enum=list(monitor.AUDIENCES)), *COMMON],
                   responses={200: PolymorphicProxySerializer(
                       component_name="QuarterReport", serializers=[MonitorSerializer, PublicQuarterSerializer],
                       resource_type_field_name=None), **ERRORS})
    def get(self, request):
        scope = scope_from(request)
        audience = request.query_params.get("audience") or "inspectie"
        if audience not in monitor.AUDIENCES:
            raise ValidationError({"audience": [f"Choose one of: {', '.join(monitor.AUDIENCES)}."]})
        try:
            year, quarter = int(request.query_params.get("year", "")), int(request.query_params.get("quarter", ""))
        except ValueError:
            raise ValidationError({"quarter": ["Give a year and a quarter (1-4)."]}) from None
        if not 1990 <= year <= 2200:
            raise ValidationError({"year": ["Give a year between 1990 and 2200."]})
        if quarter not in (1, 2, 3, 4):
            raise ValidationError({"quarter": ["Give a quarter from 1 to 4."]})
        if audience == "public":
            return Response(monitor.quarter_table(scope, year, quarter, audience))
        first, last = monitor.quarter_bounds(year, quarter)
        return Response(monitor.report(scope, last, first))
