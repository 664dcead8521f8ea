"""Case API: thin viewsets over selectors, access and services."""

from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, viewsets
from rest_framework.decorators import action

from casework import selectors, services
from casework.access import access_case_by_id
from casework.api.conditional import created, tagged
from casework.api.pagination import LoggedPages
from casework.api.params import DATE_TIME, ID, choice, query, read_choice, read_date_time, read_id
from casework.api.serializers import (
    CaseSerializer,
    CaseSummarySerializer,
    DetailSerializer,
    DuplicateSignalSerializer,
    ExemptionEndSerializer,
    FieldErrorsSerializer,
    ForwardedSignalSerializer,
    ParticipationSerializer,
    RegistrationChangeSerializer,
    SignalSerializer,
    StartkwalificatieSerializer,
    ThuiswerkplanSerializer,
)
from casework.api.version import is_v1
from casework.models import AccessLog, Case, Deadline
from systems import scopes

NOT_FOUND = OpenApiResponse(DetailSerializer, description="No such case, or not one you work on.")
UNAUTHENTICATED = OpenApiResponse(DetailSerializer, description="Not signed in (no or a wrong token).")
RECORD_RESPONSES = {
    200: CaseSerializer,
    400: OpenApiResponse(FieldErrorsSerializer, description="Not allowed by the rules; nothing was stored."),
    401: UNAUTHENTICATED,
    403: OpenApiResponse(DetailSerializer, description="You see the case but may not record this."),
    404: NOT_FOUND,
}


@extend_schema_view(
    list=extend_schema(
        summary="Cases you work on",
        parameters=[query("deadline_state", choice(Deadline.State.values),
                          description="Only cases with a clock in this state now (e.g. breached, warning)."),
                    query("status", choice(Case.Status.values), description="Only cases in this status."),
                    query("updatedSince", DATE_TIME,
                          description="Only cases changed after this moment (something happened on them: any "
                                      "event of their timeline), as RFC 3339, e.g. 2026-11-27T09:30:00Z."),
                    query("school", ID, description="Only cases of this school (id)."),
                    query("region", ID, description="Only cases of this region (id).")],
        responses={200: CaseSummarySerializer(many=True), 400: FieldErrorsSerializer, 401: UNAUTHENTICATED,
                   404: OpenApiResponse(DetailSerializer, description="No such page (past the last one).")},
    ),
    retrieve=extend_schema(
        summary="One case with its timeline (the read is logged)",
        responses={200: CaseSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Signal a (threatened) thuiszitter",
        request=SignalSerializer,
        responses={
            201: OpenApiResponse(CaseSerializer, description="A new case was opened for the child."),
            202: OpenApiResponse(
                ForwardedSignalSerializer,
                description="The child has an open case you do not work on: the signal was recorded on it and "
                            "forwarded to its team, who are told who you are and how to reach you. The answer "
                            "says nothing about the case (no id); the signal is in the access log.",
            ),
            400: OpenApiResponse(FieldErrorsSerializer, description="Invalid signal (also: a date outside "
                                                                    "1900-2100); nothing was stored."),
            401: UNAUTHENTICATED,
            403: OpenApiResponse(DetailSerializer, description="You are not in a team that may signal."),
            409: OpenApiResponse(
                DuplicateSignalSerializer,
                description="The child already has an open case that you work on; the signal was recorded on it.",
            ),
        },
    ),
)
class CaseViewSet(LoggedPages, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                  viewsets.GenericViewSet):
    serializer_class = CaseSummarySerializer
    shown_list = AccessLog.List.CASES
    system_scopes = {"list": scopes.CASES_READ, "retrieve": scopes.CASES_READ, "create": scopes.CASES_SIGNAL}
    queryset = Case.objects.none()  # for the schema; requests use the selector

    def get_queryset(self):
        # version 1 names the filter in lower camelCase (casework.api.schema renames it in the document)
        params = self.request.query_params
        return selectors.visible_cases(
            self.request.user,
            deadline_state=read_choice(params, "deadlineState" if is_v1() else "deadline_state", Deadline.State.values),
            status=read_choice(params, "status", Case.Status.values),
            updated_since=read_date_time(params, "updatedSince"),
            school=read_id(params, "school", "Give a school id."),
            region=read_id(params, "region", "Give a region id."))

    def retrieve(self, request, pk=None):
        case = access_case_by_id(request.user, pk, request=request, action=AccessLog.Action.API_VIEW)
        return tagged(CaseSerializer(selectors.with_timeline(case)).data)

    def create(self, request):
        signal = SignalSerializer(data=request.data)
        signal.is_valid(raise_exception=True)
        case = services.signal_case(actor=request.user, data=signal.to_signal_input(), request=request)
        case = selectors.signalled_case(request.user, case, request=request)
        return created(CaseSerializer(case).data, "case-detail", with_etag=True, pk=case.pk)

    def _record(self, request, pk, serializer_class, write):
        """Parse, call one service on the visible case (404 otherwise), answer the case."""
        case = access_case_by_id(request.user, pk, request=request, action=AccessLog.Action.API_VIEW)
        payload = serializer_class(data=request.data)
        payload.is_valid(raise_exception=True)
        write(case, payload.validated_data)
        case = Case.objects.select_related("child", "school", "region", "signalled_by").get(pk=case.pk)
        return tagged(CaseSerializer(selectors.with_timeline(case)).data)

    @extend_schema(summary="Record a change of registration, or a move to another school, from a date (case team or "
                           "Leerplicht)",
                   request=RegistrationChangeSerializer, responses=RECORD_RESPONSES)
    @action(detail=True, methods=["post"])
    def registration(self, request, pk=None):
        return self._record(request, pk, RegistrationChangeSerializer, lambda case, data: services.change_registration(
            case=case, actor=request.user, registration=data["registration"], since=data["since"],
            reason=data["reason"], school=data["school"]))

    @extend_schema(summary="Record how far the pupil takes part, from a date (naar vermogen)",
                   request=ParticipationSerializer, responses=RECORD_RESPONSES)
    @action(detail=True, methods=["post"])
    def participation(self, request, pk=None):
        return self._record(request, pk, ParticipationSerializer, lambda case, data: services.record_participation(
            case=case, actor=request.user, level=data["level"], since=data["since"], setting=data["setting"],
            note=data["note"], provision=data["provision"]))

    @extend_schema(summary="Record the young person's startkwalificatie (ends the qualification duty at 16/17)",
                   request=StartkwalificatieSerializer, responses=RECORD_RESPONSES)
    @action(detail=True, methods=["post"])
    def startkwalificatie(self, request, pk=None):
        return self._record(request, pk, StartkwalificatieSerializer,
                            lambda case, data: services.record_startkwalificatie(
                                case=case, actor=request.user, obtained_on=data["obtained_on"]))

    @extend_schema(summary="Record a thuiswerkplan: the plan for a pupil working at home (case team or Leerplicht)",
                   request=ThuiswerkplanSerializer, responses=RECORD_RESPONSES)
    @action(detail=True, methods=["post"])
    def thuiswerkplan(self, request, pk=None):
        return self._record(request, pk, ThuiswerkplanSerializer, lambda case, data: services.record_thuiswerkplan(
            case=case, actor=request.user, starts_on=data["starts_on"], until=data.get("until"),
            provides=data["provides"], contact_moments=data["contact_moments"], school_contact=data["school_contact"]))

    @extend_schema(summary="End a running exemption early (revocation by Leerplicht)",
                   request=ExemptionEndSerializer, responses=RECORD_RESPONSES)
    @action(detail=True, methods=["post"], url_path="vrijstelling/end")
    def end_vrijstelling(self, request, pk=None):
        return self._record(request, pk, ExemptionEndSerializer, lambda case, data: services.revoke_vrijstelling(
            case=case, actor=request.user, last_day=data["last_day"], reason=data["reason"]))
