"""Token login for API clients, throttled (scope `auth`) and guarded by the login lock-out."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle

from casework.api.serializers import DetailSerializer, FieldErrorsSerializer
from casework.parsers import DepthLimitedJSONParser


class ObtainToken(ObtainAuthToken):
    throttle_classes = [AnonRateThrottle, ScopedRateThrottle]  # DRF's own view has none
    throttle_scope = "auth"
    # DRF's view names its own (no depth limit); two strings are said as well in a form as in JSON.
    parser_classes = [DepthLimitedJSONParser, FormParser, MultiPartParser]

    @extend_schema(
        summary="Exchange a username and password for an API token",
        request=AuthTokenSerializer,
        responses={
            200: OpenApiResponse(description='{"token": "..."}: send it as `Authorization: Token <token>`.'),
            400: OpenApiResponse(FieldErrorsSerializer, description="Wrong username or password."),
            429: OpenApiResponse(DetailSerializer, description="Too many attempts; try again later."),
        },
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
