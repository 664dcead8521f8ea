"""Token login for API clients, throttled (scope `auth`) and guarded by the login lock-out.

Anonymous by design: the view authenticates nobody (a stale `Authorization` header is ignored,
never a 401), and the schema says so (no security requirement)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle

from casework.api.serializers import DetailSerializer, FieldErrorsSerializer
from casework.parsers import DepthLimitedJSONParser


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`.")


class ObtainToken(ObtainAuthToken):
    authentication_classes = []  # signing in needs no token: a header sent along is ignored
    throttle_classes = [AnonRateThrottle, ScopedRateThrottle]  # DRF's own view has none
    throttle_scope = "auth"
    # DRF's view names its own (no depth limit); two strings are said as well in a form as in JSON.
    # /api/v1/auth/token takes JSON only (casework.api.urls_v1).
    parser_classes = [DepthLimitedJSONParser, FormParser, MultiPartParser]

    @extend_schema(
        summary="Exchange a username and password for an API token",
        request=AuthTokenSerializer,
        auth=[],
        responses={
            200: OpenApiResponse(TokenSerializer, description="The user's token."),
            400: OpenApiResponse(FieldErrorsSerializer, description="The credentials were not accepted (a wrong "
                                                                    "username or password, or a missing or wrong "
                                                                    "second factor), or the body is invalid."),
            429: OpenApiResponse(DetailSerializer, description="Too many attempts; try again later."),
        },
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
