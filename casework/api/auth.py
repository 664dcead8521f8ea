"""Token sign-in and sign-out for API clients.

`POST auth/token` is throttled (scope `auth`) and guarded by the login lock-out. A user who needs
two factors (signin.factors) also sends `otp`: the current code of their authenticator app or one
of their backup codes, so a password alone never yields a token. Every sign-in issues a new token
(one per device or script; signin.tokens), which expires `CASEWORK_API_TOKEN_HOURS` later. Version
1 answers `{token, expiresAt}`; the deprecated path keeps its old answer, `{token}`.

Anonymous by design: the view authenticates nobody (a stale `Authorization` header is ignored,
never a 401), and the schema says so (no security requirement).

`POST auth/logout` ends the token the request was made with, `POST auth/logout-all` every token of
its user; both only with a token (a browser session signs out at /logout/)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from knox.settings import knox_settings
from rest_framework import serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.api.serializers import DetailSerializer, FieldErrorsSerializer
from casework.api.throttling import AnonRateThrottle, ScopedRateThrottle
from casework.api.version import is_v1
from casework.http.parsers import DepthLimitedJSONParser
from signin.devices import verify_code
from signin.events import log_signin
from signin.factors import requires_second_factor
from signin.tokens import ApiTokenAuthentication, end_all_tokens, end_token, issue_token


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The OpenAPI security scheme of signin.tokens.ApiTokenAuthentication (keeps the name
    `tokenAuth` that DRF's token had, so a generated client's configuration stays the same)."""

    target_class = "signin.tokens.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        scheme = build_bearer_security_scheme_object(header_name="Authorization", token_prefix=knox_settings.AUTH_HEADER_PREFIX)
        scheme["description"] = (
            "A personal API token from obtainToken, sent as `Authorization: Token <token>`: the prefix is "
            "`Token`, not `Bearer` (a token sent as Bearer is refused with 401). A generated client must be "
            "given the prefix, e.g. openapi-python-client's `AuthenticatedClient(base_url=..., token=..., "
            "prefix=\"Token\")`. It expires at its "
            "`expiresAt` (a fixed time after it was issued, however much it is used) and ends earlier at "
            "logOut, logOutAll, on the account page, and when the user's password changes, their second "
            "factor is reset or their account is deactivated. An expired or ended token is a 401.")
        return scheme


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
    """The deprecated path's answer (version 1 adds `expiresAt`: casework.api.schema)."""

    token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`.")


class ObtainToken(APIView):
    authentication_classes = []  # signing in needs no token: a header sent along is ignored
    permission_classes = []
    throttle_classes = [AnonRateThrottle, ScopedRateThrottle]
    throttle_scope = "auth"
    renderer_classes = [JSONRenderer]
    # Two strings are said as well in a form as in JSON on the deprecated path;
    # /api/v1/auth/token takes JSON only (casework.api.urls_v1).
    parser_classes = [DepthLimitedJSONParser, FormParser, MultiPartParser]

    @extend_schema(
        summary="Exchange a username, password and second-factor code for a new API token",
        request=TokenRequestSerializer,
        auth=[],
        responses={
            200: OpenApiResponse(TokenSerializer, description="A new token, for this device or script only."),
            400: OpenApiResponse(FieldErrorsSerializer, description="The credentials were not accepted (a wrong "
                                                                    "username or password, or a missing or wrong "
                                                                    "second factor `otp`), or the body is invalid."),
            429: OpenApiResponse(DetailSerializer, description="Too many attempts; try again later."),
        },
    )
    def post(self, request, *args, **kwargs):
        serializer = TokenRequestSerializer(data=request.data, context={"request": request, "view": self})
        serializer.is_valid(raise_exception=True)
        token, text = issue_token(serializer.validated_data["user"], client=request.headers.get("User-Agent", ""))
        if not is_v1():
            return Response({"token": text})
        return Response({"token": text, "expiresAt": serializers.DateTimeField().to_representation(token.expiry)})


class TokenOnly(APIView):
    # Signing out with a token: the token itself says who; a session cookie does not count.
    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [IsAuthenticated]


class Logout(TokenOnly):
    @extend_schema(
        summary="Sign out: end the token this request is made with",
        description="Ends the token sent in `Authorization`; the user's other tokens (other devices or "
                    "scripts) keep working. Only with a token: a browser session signs out at /logout/.",
        request=None,
        responses={204: OpenApiResponse(description="The token has ended; from now on it is refused (401).")},
    )
    def post(self, request, *args, **kwargs):
        end_token(request.auth, request, how="api logout")
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAll(TokenOnly):
    @extend_schema(
        summary="Sign out everywhere: end every API token of the user",
        description="Ends every API token of the user, on every device, this one included (a lost laptop). "
                    "Only with a token; the account page in the browser can end them one by one.",
        request=None,
        responses={204: OpenApiResponse(description="Every token of the user has ended, this one too.")},
    )
    def post(self, request, *args, **kwargs):
        end_all_tokens(request.user, request, why="api logout-all")
        return Response(status=status.HTTP_204_NO_CONTENT)
