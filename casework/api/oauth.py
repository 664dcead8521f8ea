"""The token endpoint of connected systems (`POST /api/v1/oauth/token`): OAuth 2.0 client
credentials (RFC 6749 §4.4), by django-oauth-toolkit with casework's validator
(systems.oauth: private_key_jwt, or client_secret_basic where registered). The answer is RFC 6749's
(`access_token`, `token_type` Bearer, `expires_in`, `scope`), with `Cache-Control: no-store`; a
refusal is an RFC 9457 problem that also carries RFC 6749's `error` and `error_description`, so
both a problem-aware client and an OAuth library read it.

And the OpenAPI scheme of the systems' bearer tokens (`systemAuth`, type oauth2 with the
clientCredentials flow and its scopes); each operation names the scope a system needs for it
(casework.api.scopes), or none when only persons may call it."""

import json

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from oauth2_provider.views.mixins import OAuthLibMixin
from rest_framework import serializers
from rest_framework.parsers import FormParser
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle
from rest_framework.views import APIView

from casework.api.errors import PROBLEM_JSON, problem_type, title_of
from casework.api.scopes import ANY_SCOPE, required_scope
from systems import scopes as scope_vocabulary
from systems.oauth import JWT_BEARER

TOKEN_PATH = "/api/v1/oauth/token"  # noqa: S105 - an address, no secret


class SystemTokenScheme(OpenApiAuthenticationExtension):
    target_class = "systems.auth.SystemBearerAuthentication"
    name = "systemAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "oauth2",
            "description": "A connected system's access token from the token endpoint (client credentials; "
                           "the client authenticates with private_key_jwt, or client_secret_basic where "
                           "registered), sent as `Authorization: Bearer <token>`. It expires after "
                           "`expires_in` seconds; ask for a new one then.",
            "flows": {"clientCredentials": {"tokenUrl": TOKEN_PATH,
                                            "scopes": {name: str(text) for name, text in scope_vocabulary.SCOPES.items()}}},
        }

    def get_security_requirement(self, auto_schema):
        view, method = auto_schema.view, auto_schema.method

        class _Request:  # the scope map is read per action or per method, as for a request
            pass
        request = _Request()
        request.method = method
        needed = required_scope(view, request)
        if needed is None:
            return None
        return {self.name: [] if needed == ANY_SCOPE else [needed]}


TOKEN_REQUEST = inline_serializer("ClientCredentials", {
    "grant_type": serializers.ChoiceField(choices=["client_credentials"]),
    "scope": serializers.CharField(required=False, help_text="Space-separated scopes; empty: all the system's."),
    "client_assertion_type": serializers.ChoiceField(choices=[JWT_BEARER], required=False,
                                                     help_text="With private_key_jwt."),
    "client_assertion": serializers.CharField(required=False, help_text=(
        "With private_key_jwt: a JWT signed with the system's key, with iss and sub the client id, aud "
        "this endpoint's URL, exp at most 5 minutes ahead and a jti never used before.")),
})
TOKEN_ANSWER = inline_serializer("ClientToken", {
    "access_token": serializers.CharField(help_text="Send as `Authorization: Bearer <token>`. Stored as a digest only."),
    "token_type": serializers.ChoiceField(choices=["Bearer"]),
    "expires_in": serializers.IntegerField(help_text="Seconds until the token expires."),
    "scope": serializers.CharField(help_text="The scopes granted, space-separated."),
})


class ClientToken(OAuthLibMixin, APIView):
    authentication_classes = []
    permission_classes = []
    parser_classes = [FormParser]
    throttle_classes = [AnonRateThrottle, ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        summary="An access token for a connected system (OAuth 2.0 client credentials)",
        description="The client authenticates with `private_key_jwt` (client_assertion) or, where the "
                    "system is registered for it, with HTTP Basic (`client_secret_basic`). A secret in the "
                    "body is refused.",
        request={"application/x-www-form-urlencoded": TOKEN_REQUEST},
        responses={200: TOKEN_ANSWER,
                   400: OpenApiResponse(description="invalid_request, invalid_grant, invalid_scope or "
                                                    "unsupported_grant_type (`error` says which)."),
                   401: OpenApiResponse(description="invalid_client: the client could not be authenticated.")},
        tags=["oauth"],
    )
    def post(self, request):
        if request._request.POST.get("grant_type") != "client_credentials":
            # Refused before django-oauth-toolkit sees it: no other grant is ever served here (a
            # password grant would otherwise try the credentials before refusing).
            return self._answer(400, {"error": "unsupported_grant_type"}, {})
        _, headers, body, status = self.create_token_response(request._request)
        return self._answer(status, json.loads(body or "{}"), headers)

    def _answer(self, status: int, data: dict, headers: dict) -> Response:
        if status >= 400:
            response = Response(self._problem(status, data), status=status, content_type=PROBLEM_JSON)
        else:
            response = Response(data, status=status)
        for name, value in headers.items():
            if name.lower() != "content-type":
                response[name] = value
        response["Cache-Control"] = "no-store"
        return response

    @staticmethod
    def _problem(status: int, data: dict) -> dict:
        error = data.get("error", "invalid_request")
        details = {
            "invalid_client": _("The client could not be authenticated."),
            "invalid_scope": _("A scope asked for is not one this system has."),
            "unsupported_grant_type": _("Only client_credentials is supported."),
            "unauthorized_client": _("This client may not use this grant."),
        }
        return {"type": problem_type(status), "title": title_of(status),
                "status": status, "detail": details.get(error, _("The token request is not valid.")),
                "error": error, "error_description": data.get("error_description", "")}
