"""One translation of domain errors into HTTP answers for the whole API.

Under /api/v1/ every 4xx/5xx is an RFC 9457 problem (`application/problem+json`): `type`, `title`,
`status`, `detail` and, for invalid input, `invalidParams` with a `name` and `reason` per message
(nested fields as dotted names: `child.birth_date`, `tasks.0`). The texts follow the request's
language (Dutch unless the user chose English). The deprecated paths under /api/ keep their
DRF shapes (`{"detail": ...}`, or the field errors) for this release.

A handler of our own rather than drf-standardized-errors: that package answers its own shape
(`type`/`errors` with `attr`/`code`), not RFC 9457's `title`/`status`/`detail`/`invalidParams`,
so it would need the same amount of code to reshape, plus a dependency; and the deprecated paths
must keep the old shape, which a global replacement of DRF's handler would not.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from casework.api.version import is_v1
from casework.services import DuplicateSignal
from casework.services.intake import SignalForwarded, forwarded_message
from workflows.services import TaskConflict

PROBLEM_JSON = "application/problem+json"
NON_FIELD = "non_field_errors"


def problem_type(status_code: int) -> str:
    """The problem's `type`: one URI per HTTP status (the status says what went wrong)."""
    return f"urn:casework:problem:{status_code}"


def title_of(status_code: int) -> str:
    titles = {
        400: _("Invalid input"),
        401: _("Not signed in"),
        403: _("Not allowed"),
        404: _("Not found"),
        405: _("Method not allowed"),
        406: _("Not acceptable"),
        409: _("Conflict"),
        412: _("Precondition failed"),
        413: _("Request too large"),
        415: _("Unsupported media type"),
        422: _("Unprocessable request"),
        429: _("Too many requests"),
    }
    if status_code in titles:
        return titles[status_code]
    return _("Server error") if status_code >= 500 else _("Request refused")


def detail_of(status_code: int) -> str:
    """A detail for an answer that came without one (a route that does not exist, a server error)."""
    if status_code == 404:
        return _("There is nothing at this address.")
    if status_code >= 500:
        return _("Something went wrong on our side; nothing was stored. Try again later.")
    return title_of(status_code)


def invalid_params(detail, prefix: str = "") -> list[dict]:
    """DRF's field errors as RFC 9457 `invalidParams`: one entry per message, nested names dotted."""
    if isinstance(detail, dict):
        return [entry for key, value in detail.items()
                for entry in invalid_params(value, f"{prefix}.{key}" if prefix else str(key))]
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return [{"name": prefix or NON_FIELD, "reason": str(item)} for item in detail]
        return [entry for at, item in enumerate(detail) for entry in invalid_params(item, f"{prefix}.{at}")]
    return [{"name": prefix or NON_FIELD, "reason": str(detail)}]


def problem(status_code: int, detail: str, **extra) -> dict:
    return {"type": problem_type(status_code), "title": title_of(status_code), "status": status_code,
            "detail": detail, **extra}


def problem_response(status_code: int, detail: str | None = None, **extra) -> JsonResponse:
    """A problem answer outside DRF (middleware: an unknown route, a server error)."""
    return JsonResponse(problem(status_code, detail or detail_of(status_code), **extra), status=status_code,
                        content_type=PROBLEM_JSON)


def as_problem(response: Response, exc) -> Response:
    data = response.data
    if isinstance(exc, ValidationError):
        params = invalid_params(data)
        general = [entry["reason"] for entry in params if entry["name"] == NON_FIELD]
        detail = " ".join(general) if general else _("The input is not valid; see invalidParams.")
        body = problem(response.status_code, detail, invalidParams=params)
    else:
        detail = data.get("detail", "") if isinstance(data, dict) else ""
        extra = {"caseId": data["case_id"]} if isinstance(data, dict) and "case_id" in data else {}
        body = problem(response.status_code, str(detail) or detail_of(response.status_code), **extra)
    response.data = body
    response.content_type = PROBLEM_JSON
    return response


def exception_handler(exc, context):
    response = domain_answer(exc)
    if response is None:
        exc = as_drf_exception(exc)
        response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == 429 and "Retry-After" not in response:
        # DRF gives no wait once a client is far over its rate; the longest window is then the honest one.
        view = context.get("view")
        durations = [getattr(throttle, "duration", 0) or 0 for throttle in (view.get_throttles() if view else [])]
        response["Retry-After"] = str(max(durations, default=60) or 60)
    if response is not None and is_v1() and response.status_code >= 400:
        return as_problem(response, exc)
    return response


def domain_answer(exc) -> Response | None:
    """The answers to the core's own exceptions (a signal for a child with an open case, a task or
    a case that changed in the meantime)."""
    if isinstance(exc, SignalForwarded):  # before DuplicateSignal: never the case or its number
        return Response({"detail": forwarded_message()}, status=status.HTTP_202_ACCEPTED)
    if isinstance(exc, DuplicateSignal):
        return Response(
            {
                "detail": _("This child already has an open case; the signal was added to it."),
                "case_id": exc.case_id,
            },
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, TaskConflict):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, (TransitionNotAllowed, ConcurrentTransition)):
        return Response(
            {"detail": _("The case changed in the meantime; reload it and try again.")},
            status=status.HTTP_409_CONFLICT,
        )
    return None


def as_drf_exception(exc):
    """Django's validation and permission errors (raised by the core services) as DRF's."""
    if isinstance(exc, DjangoValidationError):
        return ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD: exc.messages})
    if isinstance(exc, DjangoPermissionDenied):
        return PermissionDenied(str(exc) or None)
    return exc
