"""The chain's imports over the API: `POST /api/v1/absence-reports` (absence reports, as from
DUO's Verzuimloket) and `POST /api/v1/enrolments` (enrolment changes, as in BRON), for a connected
system with the import scope or a person who may import (Leerplicht, the SWV's director or
coordinator). The rows and their rules: chain.formats and chain.services; docs/integrations.md."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.api.serializers import DetailSerializer, FieldErrorsSerializer
from chain import formats
from chain.models import AbsenceReport, EnrolmentChange, ImportBatch, Outcome
from chain.services import import_records
from systems import scopes

_text = dict(required=False, allow_blank=True)
PUPIL = {
    "brin": serializers.CharField(help_text="The school's BRIN code: 2 digits and 2 capitals, e.g. 12AB."),
    "vestiging": serializers.CharField(**_text, help_text="The location: 2 digits (e.g. 01); empty for the main one."),
    "pupil_number": serializers.CharField(**_text, help_text="The school's own pupil number (never a BSN)."),
    "family_name": serializers.CharField(), "given_names": serializers.CharField(help_text="All given names."),
    "birth_date": serializers.DateField(),
    # Accepted so that an export sent as it is does not fail: dropped before anything is read.
    "bsn": serializers.CharField(**_text, help_text="Dropped unread: casework stores no BSN (the answer says so)."),
    "onderwijsnummer": serializers.CharField(**_text, help_text="Dropped unread, as a BSN."),
}
ABSENCE_ROW = inline_serializer("AbsenceReportRow", {
    **PUPIL,
    "kind": serializers.ChoiceField(choices=AbsenceReport.Kind.values),
    "first_day": serializers.DateField(help_text="The first day of the absence."),
    "last_day": serializers.DateField(required=False, allow_null=True, help_text="Empty while the absence goes on."),
    "reason": serializers.CharField(**_text, max_length=formats.MAX_TEXT),
    "melding_id": serializers.CharField(**_text, max_length=40, help_text="DUO's reference of the report."),
    "reported_on": serializers.DateField(required=False, allow_null=True, help_text="When the school reported it."),
})
ENROLMENT_ROW = inline_serializer("EnrolmentChangeRow", {
    **PUPIL,
    "change": serializers.ChoiceField(choices=EnrolmentChange.Change.values, help_text="in (enrolled) or out."),
    "date": serializers.DateField(help_text="The day of the enrolment or unenrolment."),
})
RESULT = inline_serializer("ImportResult", {
    "import_id": serializers.IntegerField(help_text="The import, as the privacy officer's import log names it."),
    "rows": serializers.IntegerField(),
    "outcomes": serializers.DictField(child=serializers.IntegerField(), help_text="Rows per outcome."),
    "dropped_columns": serializers.ListField(child=serializers.CharField(), help_text=(
        "Columns with a BSN or onderwijsnummer: dropped before anything was read or stored.")),
    "results": inline_serializer("ImportRowResult", {
        "row": serializers.IntegerField(help_text="The row's number in `rows`, from 1."),
        "outcome": serializers.ChoiceField(choices=Outcome.choices),
        "reason": serializers.CharField(help_text="Why it was refused or what was done (the request's language)."),
        "case_id": serializers.IntegerField(allow_null=True, help_text="The case it was linked to or changed."),
        "report_id": serializers.IntegerField(allow_null=True, help_text="The absence report kept."),
    }, many=True),
})


def _answer(result) -> dict:
    batch = result.batch
    return {"import_id": batch.pk, "rows": batch.rows, "outcomes": batch.outcomes,
            "dropped_columns": batch.dropped_columns,
            "results": [{"row": row.row, "outcome": row.outcome, "reason": row.reason, "case_id": row.case_id,
                         "report_id": row.report_id} for row in result.results]}


class ChainImport(APIView):
    kind: str

    def post(self, request):
        body = request.data
        if not isinstance(body, dict) or not isinstance(body.get("rows"), list):
            raise ValidationError({"rows": ["Send {\"rows\": [...]}: a list of rows (objects)."]})
        try:
            records = formats.check_records(body["rows"])
        except formats.FormatError as error:
            raise ValidationError({"rows": [str(error)]}) from None
        result = import_records(actor=request.user, records=records, source=ImportBatch.Source.API,
                                kinds=(self.kind,))  # PermissionDenied: a 403 by the API's handler
        return Response(_answer(result))


ERRORS = {400: FieldErrorsSerializer, 403: OpenApiResponse(DetailSerializer, description=(
    "Not one who may import: Leerplicht, the SWV's director or coordinator, or a connected system with the scope."))}


class AbsenceReportImport(ChainImport):
    kind = ImportBatch.Kind.ABSENCE
    system_scopes = {"post": scopes.ABSENCE_IMPORT}

    @extend_schema(summary="Read absence reports (verzuimmeldingen) into casework, row by row",
                   description="Each row is matched to the child's open case (a dated event on it) or kept for the "
                               "reconciliation page; a refused row changes nothing. A BSN or onderwijsnummer key is "
                               "dropped unread. The same rows sent again change nothing (duplicate).",
                   request=inline_serializer("AbsenceReports", {"rows": ABSENCE_ROW.__class__(many=True)}),
                   responses={200: RESULT, **ERRORS}, tags=["chain"])
    def post(self, request):
        return super().post(request)


class EnrolmentImport(ChainImport):
    kind = ImportBatch.Kind.ENROLMENT
    system_scopes = {"post": scopes.ENROLMENTS_IMPORT}

    @extend_schema(summary="Read enrolment changes (in- en uitschrijvingen) into casework, row by row",
                   description="An unenrolment of a pupil with an open case makes the case absolute absence (AV) "
                               "from its date (Leerplicht is told); an enrolment makes an AV pupil LRV at that "
                               "school, or moves the case to it. Refused rows change nothing.",
                   request=inline_serializer("EnrolmentChanges", {"rows": ENROLMENT_ROW.__class__(many=True)}),
                   responses={200: RESULT, **ERRORS}, tags=["chain"])
    def post(self, request):
        return super().post(request)
