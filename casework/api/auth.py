"""Token login for API clients, throttled (scope `auth`) and guarded by the login lock-out. A user
who needs two factors (signin.factors) also sends `otp`: the current code of their authenticator
app or one of their backup codes, so a password alone never yields a token.

Anonymous by design: the view authenticates nobody (a stale `Authorization` header is ignored,
never a 401), and the schema says so (no security requirement)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle

from casework.api.serializers import DetailSerializer, FieldErrorsSerializer
from casework.parsers import DepthLimitedJSONParser
from signin.devices import verify_code
from signin.events import log_signin
from signin.factors import requires_second_factor


@extend_schema_serializer(component_name="AuthToken")  # the request's component stays `AuthTokenRequest`
class TokenRequestSerializer(AuthTokenSerializer):
    otp = serializers.CharField(
        label=_("Code"), required=False, allow_blank=True, max_length=20, write_only=True,
        help_text=_("The current code of your authenticator app, or a backup code (required with two factors)."))

    def validate(self, attrs):
        attrs = super().validate(attrs)
        user, request = attrs["user"], self.context.get("request")
        if requires_second_factor(user):
            code = attrs.get("otp", "")
            if not code:
                raise serializers.ValidationError({"otp": _("Give the current code of your authenticator app.")})
            device, method = verify_code(user, code)
            if device is None:
                log_signin(request, "login_failed", user=user, detail="api token: second factor")
                raise serializers.ValidationError({"otp": _("This code is not right (or no longer valid).")})
            log_signin(request, "login", user=user, detail=f"api token, {method}")
        else:
            log_signin(request, "login", user=user, detail="api token")
        return attrs


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`.")


class ObtainToken(ObtainAuthToken):
    authentication_classes = []  # signing in needs no token: a header sent along is ignored
    throttle_classes = [AnonRateThrottle, ScopedRateThrottle]  # DRF's own view has none
    throttle_scope = "auth"
    serializer_class = TokenRequestSerializer
    # DRF's view names its own (no depth limit); two strings are said as well in a form as in JSON.
    # /api/v1/auth/token takes JSON only (casework.api.urls_v1).
    parser_classes = [DepthLimitedJSONParser, FormParser, MultiPartParser]

    @extend_schema(
        summary="Exchange a username, password and second-factor code for an API token",
        request=TokenRequestSerializer,
        auth=[],
        responses={
            200: OpenApiResponse(TokenSerializer, description="The user's token."),
            400: OpenApiResponse(FieldErrorsSerializer, description="The credentials were not accepted (a wrong "
                                                                    "username or password, or a missing or wrong "
                                                                    "second factor `otp`), or the body is invalid."),
            429: OpenApiResponse(DetailSerializer, description="Too many attempts; try again later."),
        },
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
