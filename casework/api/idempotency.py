"""`Idempotency-Key` on the API's POSTs (the IETF draft "The Idempotency-Key HTTP Header Field").

A client that sends a POST with `Idempotency-Key: <key>` (1 to 255 visible ASCII characters) and
retries it with the same key gets the first answer again, byte for byte, instead of a second note,
signal or claim, for 24 hours. The key is the client's own: it is kept per credential (a digest
of the `Authorization` header, or of the session for a browser), so two clients never share one.

- the same key with another request (method, path or body) is a 422;
- the same key while its first request still runs is a 409 (the two never both run: the first
  request's row holds the key, casework.services.idempotency);
- a first answer that says nothing about the request (a server error, 401, 429) is not kept: the
  retry runs anew;
- a stored answer goes only to a credential that is still accepted (a token ended since gets the
  view's 401, not the answer).

Every POST of version 1 takes it, except the two token endpoints (a token is issued anew at every
sign-in; there is nothing to repeat)."""

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from django.utils.translation import gettext as _
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.settings import api_settings

from casework.access import log_reads_again, reads_since
from casework.api.errors import problem_response
from casework.services import idempotency

HEADER = "Idempotency-Key"
KEY = re.compile(r"[\x21-\x7e]{1,255}", re.ASCII)
# The token endpoints: this API's sign-in and the machine clients' OAuth 2.0 token endpoint.
EXEMPT = ("/api/v1/auth/token", "/api/v1/oauth/token")
KEPT_HEADERS = ("Content-Type", "Content-Language", "Location", "ETag")
NOT_KEPT = (401, 429)


def client_of(request) -> str | None:
    """A digest of the credential the request carries (None: none, and the view will refuse it)."""
    credential = request.headers.get("Authorization") or request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    return hashlib.sha256(credential.encode()).hexdigest() if credential else None


def signed_in_user(request):
    """The user whose credential the request carries, if it is still accepted (checked before a
    stored answer is handed back: a token that has since ended must not read it), else None."""
    try:
        user = Request(request, authenticators=[authenticate() for authenticate in
                                                api_settings.DEFAULT_AUTHENTICATION_CLASSES]).user
    except APIException:
        return None
    return user if user.is_authenticated else None


def fingerprint(request) -> str:
    digest = hashlib.sha256(f"{request.method} {request.get_full_path()}\n".encode())
    if request.content_type == "multipart/form-data":
        for name, value in sorted(request.POST.items()):
            digest.update(f"{name}={value}\n".encode())
        for name, upload in sorted(request.FILES.items()):
            digest.update(f"{name}:{upload.name}:{upload.size}\n".encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
    else:
        digest.update(request.body)
    return digest.hexdigest()


@dataclass
class IdempotencyBracket:
    answer: HttpResponse | None = None  # an answer without running the view
    row: object = None  # the row this request holds while its view runs
    started: dt.datetime | None = None

    @classmethod
    def of(cls, request, operation) -> "IdempotencyBracket | None":
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None or request.path_info in EXEMPT or operation is None:
            return None
        if not KEY.fullmatch(key):
            return cls(answer=problem_response(400, _("Give an Idempotency-Key of 1 to 255 visible ASCII characters."),
                                               invalidParams=[{"name": HEADER, "reason": _("Not a valid key.")}]))
        client = client_of(request)
        if client is None:
            return None
        try:
            mark = fingerprint(request)
        except RequestDataTooBig:  # the view refuses it
            return None
        claim = idempotency.claim(client=client, key=key, method=request.method, path=request.get_full_path(),
                                  fingerprint=mark)
        if claim.new:
            return cls(row=claim.row, started=claim.row.created_at)
        row = claim.row
        if (row.method, row.path, row.fingerprint) != (request.method, request.get_full_path(), mark):
            return cls(answer=problem_response(422, _("This Idempotency-Key was used for another request; use a new "
                                                      "key for a new request.")))
        if row.status is None:
            return cls(answer=problem_response(409, _("A request with this Idempotency-Key is still being handled; "
                                                      "try again in a moment.")))
        user = signed_in_user(request)
        if user is None:
            return None  # an ended or expired credential gets no stored answer: the view refuses it
        log_reads_again(user, row.reads, request=request)  # the answer shows those cases again
        answer = HttpResponse(bytes(row.body), status=row.status)
        for name, value in row.headers.items():
            answer[name] = value
        return cls(answer=answer)

    def keep(self, request, response) -> None:
        """Store the first answer on the key's row (or free the key when there is nothing to keep)."""
        user = getattr(request, "user", None)  # set by DRF when it authenticated the request
        if response.streaming or response.status_code >= 500 or response.status_code in NOT_KEPT or \
                user is None or not user.is_authenticated:
            idempotency.release(self.row)
            return
        headers = {name: response[name] for name in KEPT_HEADERS if name in response}
        idempotency.finish(self.row, status=response.status_code, headers=headers, body=response.content,
                           reads=reads_since(user, request, self.started))

