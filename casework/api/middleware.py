"""The API's version on every answer, and problem+json for every error under /api/v1/.

- Sets the request's API version (casework.api.version) for the error handler and serializers.
- Every answer under /api/ carries `API-Version` (the full semantic version); the deprecated paths
  outside /api/v1/ also carry `Deprecation` (RFC 9745) and a `Link` to their successor.
- Under /api/v1/ an error answer that did not come from the API's own handler (a route that does
  not exist, a server error, a CSRF refusal) is replaced by an RFC 9457 problem of its status.
"""

from casework.api import version
from casework.api.errors import PROBLEM_JSON, problem_response

V1_DOCUMENT = "/api/v1/openapi.json"


class ApiVersionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        spoken = version.for_path(request.path_info)
        if not spoken:
            return self.get_response(request)
        token = version.activate(spoken)
        try:
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
        if spoken == "legacy":
            response["Deprecation"] = version.LEGACY_DEPRECATION
            response["Link"] = f'<{V1_DOCUMENT}>; rel="successor-version"'
        return response
