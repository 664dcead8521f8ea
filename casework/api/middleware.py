"""The API's HTTP conventions, in two middlewares (settings.MIDDLEWARE).

`ApiVersionMiddleware`, outermost, on every answer under /api/:
- sets the request's API version (casework.api.version) for the error handler and serializers;
- `API-Version` (the full semantic version) on every answer;
- `Cache-Control: no-store` on every answer but the OpenAPI documents (the answers hold personal
  data, and no cache between the client and us may keep them);
- the deprecated paths outside /api/v1/: `Deprecation` (RFC 9745), `Sunset` (RFC 8594, the day
  they stop answering: CASEWORK_API_SUNSET) and a `Link` to their successor;
- /api/v1/openapi.json may be read from any origin (`Access-Control-Allow-Origin: *`, the NL API
  Design Rules' /core/publish-openapi), and its CORS preflight is answered; a preflight to any other
  path of version 1 is answered too (204, never a 401) but allows no other origin
  (/core/transport/cors: the data is same-origin only);
- under /api/v1/ an error answer that did not come from the API's own handler (a route that does
  not exist, a server error, a CSRF refusal) is replaced by an RFC 9457 problem of its status.

`ApiRequestMiddleware`, after the user's language is known, under /api/v1/ (the document aside):
- an unknown query parameter or body key is a 400 naming it (casework.api.contract);
- a POST with `Idempotency-Key` runs once (casework.api.idempotency);
- the answer says its rate limit (`RateLimit-Limit`, `-Remaining`, `-Reset`; casework.api.throttling).
"""

import datetime as dt

from django.conf import settings
from django.http import HttpResponse
from django.utils.http import http_date

from casework.api import version
from casework.api.contract import contract
from casework.api.errors import PROBLEM_JSON, problem_response
from casework.api.idempotency import IdempotencyBracket
from casework.api.requests import unknown_input
from casework.api.throttling import quota_of

V1_DOCUMENT = "/api/v1/openapi.json"
DOCUMENTS = (V1_DOCUMENT, "/api/schema/")
PREFLIGHT_MAX_AGE = "86400"


def is_preflight(request) -> bool:
    return request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers


def preflight_answer(path: str) -> HttpResponse:
    answer = HttpResponse(status=204)
    if path == V1_DOCUMENT:  # the document is public: any origin may read it
        answer["Access-Control-Allow-Origin"] = "*"
        answer["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        answer["Access-Control-Allow-Headers"] = "Accept, Accept-Language"
        answer["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return answer


class ApiVersionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        spoken = version.for_path(request.path_info)
        if not spoken:
            return self.get_response(request)
        token = version.activate(spoken)
        try:
            if spoken == "v1" and is_preflight(request):
                response = preflight_answer(request.path_info)
            else:
                response = self.get_response(request)
            if spoken == "v1" and response.status_code >= 400 and \
                    not response.get("Content-Type", "").startswith(PROBLEM_JSON):
                replaced = problem_response(response.status_code)
                for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                    if header in response:
                        replaced[header] = response[header]
                response = replaced
        finally:
            version.deactivate(token)
        response["API-Version"] = version.API_VERSION
        if request.path_info == V1_DOCUMENT:
            response["Access-Control-Allow-Origin"] = "*"
        elif request.path_info not in DOCUMENTS:
            response["Cache-Control"] = "no-store"
        if spoken == "legacy":
            response["Deprecation"] = version.LEGACY_DEPRECATION
            response["Sunset"] = sunset()
            response["Link"] = f'<{V1_DOCUMENT}>; rel="successor-version"'
        return response


def sunset() -> str:
    """The deprecated paths' last day as an HTTP date (RFC 8594): the start of that day, UTC."""
    day = dt.datetime.combine(settings.CASEWORK_API_SUNSET, dt.time.min, tzinfo=dt.UTC)
    return http_date(int(day.timestamp()))


class ApiRequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if version.for_path(request.path_info) != "v1" or request.path_info == V1_DOCUMENT:
            return self.get_response(request)
        method = "get" if request.method == "HEAD" else request.method.lower()
        operation = contract().operation(method, request.path_info) if method != "options" else None
        if operation is not None:
            refused = unknown_input(request, operation)
            if refused is not None:
                return refused
        bracket = IdempotencyBracket.of(request, operation)
        if bracket is not None and bracket.answer is not None:
            return bracket.answer  # refused, still running, or the stored answer of the first request
        response = self.get_response(request)
        if bracket is not None:
            bracket.keep(request, response)
        quota = quota_of(request)
        if quota is not None:
            response["RateLimit-Limit"] = str(quota.limit)
            response["RateLimit-Remaining"] = str(quota.remaining)
            response["RateLimit-Reset"] = str(quota.reset)
        return response

