"""A version-1 request read before its view, against its operation's contract (casework.api.contract):
a query parameter or a body key the operation does not describe is a 400 problem naming each one
(`invalidParams`), instead of being ignored. The body is read here only to see its keys; the view
parses it again as before (Django keeps the bytes, and the multipart fields it parsed)."""

import json

from django.core.exceptions import RequestDataTooBig
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

from casework.api.contract import Operation, contract
from casework.api.errors import problem_response

NOTHING = object()  # no body whose keys can be read (none, not JSON, too big: the view answers it)
WITH_BODY = ("POST", "PUT", "PATCH")


def json_body(request):
    if request.method not in WITH_BODY or request.content_type != "application/json":
        return NOTHING
    try:
        raw = request.body
        return json.loads(raw) if raw else NOTHING
    except (RequestDataTooBig, ValueError):
        return NOTHING


def form_fields(request):
    """The field names of a multipart body (the document upload), or NOTHING."""
    if request.method not in WITH_BODY or request.content_type != "multipart/form-data":
        return NOTHING
    try:
        return dict.fromkeys([*request.POST, *request.FILES])
    except (MultiPartParserError, RequestDataTooBig):
        return NOTHING


def body_keys(request, operation: Operation):
    data = form_fields(request) if operation.multipart else json_body(request)
    if data is NOTHING:
        data = json_body(request)
    return data


def unknown_input(request, operation: Operation):
    """A 400 problem naming every query parameter and body key `operation` does not take, or None."""
    terms = contract()
    refused = [{"name": name, "reason": _("This operation has no such query parameter.")}
               for name in terms.unknown_query(operation, request.GET.keys())]
    data = body_keys(request, operation)
    if data is not NOTHING:
        if operation.body is None:
            names = list(data) if isinstance(data, dict) else []
        else:
            names = terms.unknown_keys(operation.body, data)
        refused += [{"name": name, "reason": _("The request body has no such field.")} for name in names]
    if not refused:
        return None
    return problem_response(400, _("The request has parameters or fields this operation does not know: %(names)s.")
                            % {"names": ", ".join(entry["name"] for entry in refused)}, invalidParams=refused)
