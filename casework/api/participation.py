"""Personal links API: the case team revokes a parent's or young person's link. Thin: parse, call
casework.services.participation."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.access import access_case_by_id
from casework.api.serializers import DetailSerializer
from casework.models import AccessLink, AccessLog
from casework.services import participation


class AccessLinkSerializer(serializers.ModelSerializer):
    """A personal link as the case team sees it (never its token: only its hash is stored)."""

    class Meta:
        model = AccessLink
        fields = ["id", "audience", "created_at", "expires_at", "revoked_at"]
        read_only_fields = fields


class AccessLinkRevokeView(APIView):
    @extend_schema(
        summary="Revoke a personal link of a parent or young person (case team); it ends at once",
        request=None,
        responses={
            200: OpenApiResponse(AccessLinkSerializer, description="The link, revoked (again: unchanged)."),
            401: OpenApiResponse(DetailSerializer, description="Not signed in."),
            403: OpenApiResponse(DetailSerializer, description="You see the case but are not in its team."),
            404: OpenApiResponse(DetailSerializer, description="No such case or link, or not a case you work on."),
        },
    )
    def post(self, request, case_id, link_id):
        case = access_case_by_id(request.user, case_id, request=request, action=AccessLog.Action.API_VIEW)
        link = participation.revoke_access_link(case=case, actor=request.user, link_id=link_id)
        return Response(AccessLinkSerializer(link).data)
