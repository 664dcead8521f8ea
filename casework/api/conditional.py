"""Versions of what the API answers (`ETag`, `If-Match`) and where a new resource lives (`Location`).

- A case's and a note's answer carries an `ETag`: a digest of the representation itself, so it
  changes whenever anything the client sees changes (RFC 9110, 8.8.3).
- `PATCH` of a note may send `If-Match` with the ETag it read: when the note has changed since, the
  edit is refused with 412 (RFC 9110, 13.1.1) and nothing is stored. Without `If-Match` the edit
  goes ahead (the header is optional, so existing clients keep working).
- A 201 answer names the new resource in `Location`.
"""

import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from casework.api.version import is_v1


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("The resource changed since you read it (If-Match); read it again and retry.")
    default_code = "precondition_failed"


def etag_of(data) -> str:
    """A strong entity tag of a representation (its JSON, keys sorted)."""
    text = json.dumps(data, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))
    return f'"{hashlib.sha256(text.encode()).hexdigest()[:32]}"'


def tagged(data, status_code: int = status.HTTP_200_OK, **kwargs) -> Response:
    response = Response(data, status=status_code, **kwargs)
    response["ETag"] = etag_of(data)
    return response


def matches(if_match: str, data) -> bool:
    """Whether an If-Match header value names the current representation (`*` always does). The
    comparison is the strong one (RFC 9110, 13.1.1): a weak tag `W/"..."` never matches."""
    tags = [tag.strip() for tag in if_match.split(",")]
    return "*" in tags or etag_of(data) in tags


def require_match(request, represent):
    """A precondition for a write (casework.services.casefile.edit_note): `represent(obj)` is the
    object's current representation; a stale If-Match is a 412."""
    if_match = request.headers.get("If-Match")

    def check(obj):
        if if_match is not None and not matches(if_match, represent(obj)):
            raise PreconditionFailed()
    return check


def created(data, name: str, with_etag: bool = False, **kwargs) -> Response:
    """A 201 answer with the new resource's address (`name`: the URL name without its version prefix)."""
    response = tagged(data, status.HTTP_201_CREATED) if with_etag else Response(data, status=status.HTTP_201_CREATED)
    response["Location"] = reverse(f"{'api-v1' if is_v1() else 'api'}-{name}", kwargs=kwargs)
    return response
