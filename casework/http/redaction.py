"""A logging filter that keeps personal data out of log lines.

The convention is ids only in logs; this filter is the safety net for the known leak paths:
query strings (a search for a child's name), request payloads passed as dicts, dates (birth
dates), e-mail addresses (also URL-encoded, `%40`) and phone numbers, and free-text fields named in
the message. Every handler of LOGGING has it: the server's, and the Celery worker's and beat's
(casework/celery.py keeps Django's LOGGING for them).

A refused request (Django's `django.security.*` loggers: a Host header not in ALLOWED_HOSTS, a
CSRF failure, too many fields) is the client's fault, not a fault of casework: it is logged as one
line, without the traceback Django attaches.
"""

import logging
import re

REDACTED = "[redacted]"
PERSONAL_KEYS = frozenset({
    "given_name", "family_name", "birth_date", "pupil_number", "summary", "plan", "text", "advice", "question",
    "motivation", "alternatives", "notes", "reason", "mentor_name", "relation", "contact", "name", "email",
    "password", "q", "improve",
})
# Django's loggers of refused requests (SuspiciousOperation and CSRF): one line each.
REFUSED_REQUEST_LOGGERS = ("django.security.",)
# Paths whose part is a secret that acts as a key (a parent's link, a calendar feed): never logged.
MASK = "..."  # ASCII: a log stream in the C locale must not fail on it
SECRET_PATHS = [
    (re.compile(r"(/inzage/)[^/\s\"'?]+"), r"\1" + MASK),
    (re.compile(r"(/tevredenheid/)[^/\s\"'?]+"), r"\1" + MASK),
    (re.compile(r"(/calendar/)[^/\s\"'?]+?(\.ics)?(?=[/\s\"'?]|$)"), r"\1" + MASK + r"\2"),
]
PATTERNS = [
    *SECRET_PATHS,
    (re.compile(r"\?[^\s\"']*"), "?" + REDACTED),  # query strings
    (re.compile(r"\b\d{4}-\d{2}-\d{2}(?![\d:T])"), "[date]"),  # ISO dates (not timestamps' date part)
    (re.compile(r"\b\d{1,2}[-/.]\d{1,2}[-/.]\d{4}\b"), "[date]"),  # 17-05-2012
    (re.compile(r"[\w.+-]+(?:@|%40)[\w-]+\.[\w.-]+"), "[email]"),
    (re.compile(r"(?<!\d)(?:\+31|0)[ -]?6(?:[ -]?\d){8}(?!\d)"), "[phone]"),
    # key=value, key: value, 'key': 'value' (a repr); an unquoted value runs to the end of the line
    (re.compile(r"(?i)\b(" + "|".join(sorted(PERSONAL_KEYS)) + r")\b(['\"]?\s*[=:]\s*)('[^']*'|\"[^\"]*\"|[^&\n}]+)"),
     r"\1\2" + REDACTED),
]


def redact_path(path: str) -> str:
    """A request path fit for a log line or the access log: no query string, no secret token."""
    path = str(path or "").split("?", 1)[0]
    for pattern, replacement in SECRET_PATHS:
        path = pattern.sub(replacement, path)
    return path


def access_line(protocol: str, action: str, details: dict) -> str | None:
    """The server's access-log line for a daphne action (None for actions not logged): the
    method, the redacted path, the status and size, as daphne's own log has them."""
    path = redact_path(details.get("path", ""))
    if protocol == "http" and action == "complete":
        return (f'{details.get("client")} "{details.get("method")} {path}" '
                f'{details.get("status") or "-"} {details.get("size") or "-"}')
    if protocol == "websocket" and action in ("connecting", "rejected", "connected", "disconnected"):
        return f'{details.get("client")} "WS{action.upper()} {path}"'
    return None


def scrub(value):
    if isinstance(value, str):
        for pattern, replacement in PATTERNS:
            value = pattern.sub(replacement, value)
        return value
    if isinstance(value, dict):
        return {k: (REDACTED if str(k).lower() in PERSONAL_KEYS else scrub(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(scrub(v) for v in value)
    return value


class PersonalDataFilter(logging.Filter):
    """Rewrites each record's message and arguments with personal data redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict):
            record.args = scrub(record.args)
        elif record.args:
            record.args = tuple(scrub(arg) for arg in record.args)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = scrub(message)
        record.args = ()
        if record.name.startswith(REFUSED_REQUEST_LOGGERS):
            record.exc_info, record.exc_text = None, None  # one line: the refusal, no traceback
        if record.exc_info and record.exc_info[1] is not None and not getattr(record, "_scrubbed", False):
            # Keep the traceback's frames but not exception texts that may quote input.
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        record._scrubbed = True
        return True
