"""The wire of the event push: a case event as a CloudEvent 1.0 in structured JSON mode by the NL GOV
profile for CloudEvents, signed by the Standard Webhooks specification, and the two HTTP calls to a
receiver (httpx: connect and read timeouts, never a redirect followed):

- the handshake that a callback URL wants our events (CloudEvents "HTTP 1.1 Web Hooks for Event
  Delivery", section 4.1 "Validation request": `OPTIONS` with `WebHook-Request-Origin`, answered 200
  with `WebHook-Allowed-Origin` naming us or `*`), as the NL GOV guideline for the webhook pattern
  asks at registration time;
- the delivery (`POST`, `application/cloudevents+json`), whose answer counts only by its status.

The event carries ids and its kind only ("informatiearm notificeren"): the receiver reads the case
with its own token and scope (`dataref` names where), and that read is logged as every read is."""

import secrets
from base64 import b64decode, b64encode
from binascii import Error as Base64Error
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import httpx
from cloudevents.core.bindings.http import to_structured
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from django.conf import settings
from django.utils import timezone
from standardwebhooks import Webhook

from casework.models import CaseEvent

TYPE_PREFIX = "nl.casework.case."
# One CloudEvent type per kind of case event, in reverse DNS (the NL GOV profile's `type`).
EVENT_TYPES = {kind: f"{TYPE_PREFIX}{kind}" for kind in CaseEvent.Kind.values}
DATA_CONTENT_TYPE = "application/json"
# Connect and read at most this long; a receiver that needs longer answers 202 and works later.
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
USER_AGENT = "casework-webhooks/1.0"
SECRET_PREFIX = "whsec_"  # noqa: S105 - the form's prefix, no secret
# A signing secret of at least 24 and at most 64 random bytes (Standard Webhooks: 24 to 64).
SECRET_BYTES = (24, 64)


def event_type(kind: str) -> str:
    return EVENT_TYPES[kind]


def kind_of(event_type_name: str) -> str | None:
    """The kind behind a CloudEvent type, or None for a type casework does not send."""
    kind = event_type_name.removeprefix(TYPE_PREFIX)
    return kind if event_type_name.startswith(TYPE_PREFIX) and kind in EVENT_TYPES else None


def new_secret() -> str:
    return SECRET_PREFIX + b64encode(secrets.token_bytes(32)).decode()


def valid_secret(secret: str) -> bool:
    """A secret in the Standard Webhooks form: `whsec_` and 24 to 64 bytes in base64."""
    if not secret.startswith(SECRET_PREFIX):
        return False
    try:
        raw = b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (Base64Error, ValueError):
        return False
    return SECRET_BYTES[0] <= len(raw) <= SECRET_BYTES[1]


def origin() -> str:
    """This installation's name towards receivers (`WebHook-Request-Origin`): a DNS name."""
    return settings.CASEWORK_WEBHOOK_ORIGIN or urlsplit(settings.CASEWORK_BASE_URL).hostname or "casework"


# Why a callback URL cannot be used.
NOT_HTTPS, MALFORMED = "not_https", "malformed"


def callback_refusal(url: str) -> str | None:
    """Why a callback URL cannot be used (None: it can): NOT_HTTPS (https only; http too where
    CASEWORK_WEBHOOK_ALLOW_HTTP allows it) or MALFORMED (no host, a user or password in it, a
    fragment, a port out of range)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port out of range raises here
    except ValueError:
        return MALFORMED
    allowed = {"https", "http"} if settings.CASEWORK_WEBHOOK_ALLOW_HTTP else {"https"}
    if parts.scheme not in allowed:
        return NOT_HTTPS
    if not parts.hostname or parts.username or parts.password or parts.fragment:
        return MALFORMED
    return None


def case_url(case_id: int) -> str:
    return f"{settings.CASEWORK_BASE_URL}/api/v1/cases/{case_id}"


def cloud_event(*, event_id: int, case_id: int, kind: str, at: datetime) -> bytes:
    """The body of a delivery: a CloudEvent 1.0 in structured JSON mode (NL GOV profile):
    `id` the event's id (persistent: the same event is always the same CloudEvent), `source` this
    installation, `type` per kind, `time` when the event was recorded, `subject` the case's id,
    `dataref` where the case is read, `data` ids and the kind only. The same event gives the same
    bytes at every try."""
    attributes = {
        "specversion": "1.0",
        "id": str(event_id),
        "source": settings.CASEWORK_EVENT_SOURCE,
        "type": event_type(kind),
        "time": timezone.localtime(at, timezone.get_fixed_timezone(0)),
        "subject": str(case_id),
        "datacontenttype": DATA_CONTENT_TYPE,
        "dataref": case_url(case_id),
    }
    data = {"caseId": case_id, "eventId": event_id, "kind": kind}
    return to_structured(CloudEvent(attributes=attributes, data=data), JSONFormat()).body


@dataclass(frozen=True)
class Answer:
    """What a receiver's answer leaves: its status, or the class of the error that stood for one,
    and with a 429 its `Retry-After` in seconds (the NL GOV guideline for the webhook pattern: a
    receiver over its rate answers 429 with Retry-After; one that is retired answers 410 Gone)."""

    status: int | None = None
    error: str = ""
    retry_after: int | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def gone(self) -> bool:
        return self.status == 410


def retry_after_seconds(value: str) -> int | None:
    """`Retry-After` as seconds (RFC 9110: delay-seconds); None for a date or anything else."""
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() else None


def signed_headers(secret: str, webhook_id: str, body: bytes) -> dict[str, str]:
    """The Standard Webhooks headers for this try: the message's id (the same at every try), the
    try's time and the signature over both and the body."""
    now = timezone.now()
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id=webhook_id, timestamp=now, data=body),
    }


def _send(method: str, url: str, **kwargs) -> tuple[int | None, httpx.Headers, str]:
    """One request; its status and headers (its body is never read), or the error's class."""
    try:
        with (httpx.Client(timeout=TIMEOUT, follow_redirects=False, trust_env=False) as client,
              client.stream(method, url, **kwargs) as response):
            return response.status_code, response.headers, ""
    except httpx.HTTPError as error:
        return None, httpx.Headers(), type(error).__name__


def deliver(*, url: str, secret: str, webhook_id: str, body: bytes) -> Answer:
    headers = {
        "Content-Type": f"{JSONFormat.CONTENT_TYPE}; charset=utf-8",
        "User-Agent": USER_AGENT,
        "WebHook-Request-Origin": origin(),
        **signed_headers(secret, webhook_id, body),
    }
    status, answered, error = _send("POST", url, content=body, headers=headers)
    wait = retry_after_seconds(answered.get("Retry-After", "")) if status == 429 else None
    return Answer(status=status, error=error, retry_after=wait)


def handshake(url: str) -> bool:
    """Whether the callback agrees to receive our events (the validation request, answered 200 with
    `WebHook-Allowed-Origin` naming us or `*`)."""
    status, headers, _ = _send("OPTIONS", url, headers={"WebHook-Request-Origin": origin(), "User-Agent": USER_AGENT})
    return status == 200 and headers.get("WebHook-Allowed-Origin", "").strip() in {origin(), "*"}
